"""The text-only path every feature must work with: numbered choices, typed answers, splitting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.base import TextRenderer, match_choice, render_text, split_text
from bot.messages import Choice, Outgoing, Prompt, Request, choice_data, split_choice_data
from bot.text import fold, squash

CHOICES = (
    Choice("drugs", "Ma túy"),
    Choice("theft", "Trộm cắp, cướp giật"),
    Choice("fraud", "Lừa đảo qua mạng"),
    Choice("fight", "Đánh nhau, gây rối"),
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2", "theft"),
        ("2.", "theft"),
        (" 3) ", "fraud"),
        ("Ma túy", "drugs"),
        ("ma tuy", "drugs"),
        ("MA TUY", "drugs"),
        ("lua dao qua mang", "fraud"),
        ("Đánh nhau, gây rối", "fight"),
        ("danh nhau gay roi", "fight"),
        ("trom", "theft"),
        ("5", None),
        ("0", None),
        ("", None),
        ("xin chao", None),
        ("ma", None),
    ],
)
def test_match_choice(typed: str, expected: str | None) -> None:
    found = match_choice(typed, CHOICES)
    assert (found.id if found else None) == expected


@given(st.integers(min_value=1, max_value=len(CHOICES)), st.sampled_from(["", ".", ")", " "]))
def test_every_number_picks_its_choice(number: int, suffix: str) -> None:
    assert match_choice(f"{number}{suffix}", CHOICES) == CHOICES[number - 1]


@given(st.sampled_from(CHOICES))
def test_label_without_diacritics_picks_it(choice: Choice) -> None:
    assert match_choice(fold(choice.label), CHOICES) == choice


def test_render_numbers_choices_and_hints() -> None:
    text = render_text(Outgoing("Chọn loại việc", CHOICES))
    assert "1. Ma túy" in text and "4. Đánh nhau, gây rối" in text
    assert "số thứ tự" in text
    contact = render_text(Outgoing("Số điện thoại?", request=Request.CONTACT))
    assert "Gõ số điện thoại" in contact


def test_fold_and_squash() -> None:
    assert fold("Báo tin TỐ GIÁC!") == "bao tin to giac"
    assert fold("Đường Đồng Khởi") == "duong dong khoi"
    assert squash("/báo tin") == "baotin"


@given(st.text(alphabet=st.sampled_from("abc đê. \n!?"), min_size=0, max_size=6000))
def test_split_text_keeps_everything_within_limit(text: str) -> None:
    pieces = split_text(text, 2000)
    assert all(0 < len(piece) <= 2000 for piece in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


def test_split_prefers_sentence_boundaries() -> None:
    text = ("Câu này nói về an ninh trật tự ở thôn. " * 80).strip()
    pieces = split_text(text, 2000)
    assert len(pieces) == 2
    assert pieces[0].endswith(".")


def test_text_renderer_splits_long_messages() -> None:
    requests = TextRenderer(limit=2000).render(Outgoing("Tin dài. " * 500))
    assert len(requests) >= 3
    assert all(len(r.params["text"]) <= 2000 for r in requests)


def test_choice_data_limits() -> None:
    assert split_choice_data(choice_data("f12", "theft")) == ("f12", "theft")
    with pytest.raises(ValueError):
        choice_data("f1", "x" * 70)
    with pytest.raises(ValueError):
        Prompt("?", (Choice("a|b", "x"),))
