"""bot/parse.py: never raises, takes only ASCII digits, keeps every number in its range and
every date in its years; and a typed choice number never crashes either."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.base import match_choice
from bot.messages import Choice
from bot.parse import (
    MAX_PAGE,
    MAX_REF,
    MAX_YEAR,
    MIN_YEAR,
    looks_like_number,
    parse_date,
    parse_int,
    parse_page,
    parse_ref,
)

# text near what people type: digits of every script, signs, separators, huge numbers
DIGITS = st.sampled_from("0123456789²³¹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９۳߃०१੧")
NEAR_NUMBERS = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(DIGITS, st.sampled_from("#+-/. \t\n_")), max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@given(NEAR_NUMBERS)
@settings(max_examples=500)
def test_numbers_are_ascii_digits_in_range_or_none(text: str) -> None:
    for parse, high in ((parse_ref, MAX_REF), (parse_page, MAX_PAGE), (parse_int, MAX_REF)):
        value = parse(text)
        if value is not None:
            assert 1 <= value <= high
            body = text.strip().removeprefix("#").strip() if parse is parse_ref else text.strip()
            assert body.isascii() and body.isdigit() and int(body) == value
    looks_like_number(text)  # never raises either


@given(st.integers(min_value=1, max_value=MAX_REF))
def test_every_tip_number_reads_back(ref: int) -> None:
    for typed in (str(ref), f"#{ref}", f"  {ref} ", f"{ref:012d}"):
        assert parse_ref(typed) == ref
    assert looks_like_number(str(ref))


@given(st.integers().filter(lambda n: not 1 <= n <= MAX_REF))
def test_numbers_out_of_range_are_none(number: int) -> None:
    assert parse_ref(str(number)) is None


@given(NEAR_NUMBERS)
@settings(max_examples=300)
def test_dates_are_real_days_in_the_years_or_none(text: str) -> None:
    day = parse_date(text)
    if day is not None:
        assert MIN_YEAR <= day.year <= MAX_YEAR
        assert text.strip().isascii()


@given(st.dates(min_value=date(1, 1, 1)))
def test_every_day_in_the_years_reads_back_and_no_other(day: date) -> None:
    for typed in (f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
                  f"{day.day}-{day.month}-{day.year:04d}",
                  f"{day.day}.{day.month:02d}.{day.year:04d}"):
        expected = day if MIN_YEAR <= day.year <= MAX_YEAR else None
        assert parse_date(typed) == expected


def test_impossible_days_are_none() -> None:
    for typed in ("31/02/2026", "00/01/2026", "01/13/2026", "29/02/2025", "1/1/26", "1/1/2026/1"):
        assert parse_date(typed) is None
    assert parse_date("29/02/2024") == date(2024, 2, 29)


@given(NEAR_NUMBERS, st.integers(min_value=0, max_value=12))
@settings(max_examples=300)
def test_a_typed_choice_never_crashes(text: str, offered: int) -> None:
    """Choices are matched by `\\d`, which also takes other scripts' digits: int() reads
    those (they are decimal digits), and the index stays within what was offered."""
    choices = [Choice(str(i), f"Lựa chọn {i}") for i in range(offered)]
    chosen = match_choice(text, choices)
    assert chosen is None or chosen in choices
