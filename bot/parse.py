"""Numbers and dates typed by people (or carried in button data), read in one place.

`str.isdigit()` then `int()` is the pattern this replaces: `"²".isdigit()` is true and
`int("²")` raises, and `int("99999999999999999999")` is a number no database column holds.
Here only ASCII digits count, every number has a range, and every date a year between
`MIN_YEAR` and `MAX_YEAR`; anything else is None, for the caller to answer politely.

Also when a leader wants a broadcast to go (`parse_when`), as Vietnamese people type it:
"bây giờ", "19h30", "hôm nay 19h30", "7 giờ tối", "tối nay 7h", "mai 7h", "sáng mai 7 rưỡi",
"20/11 8h", "8h ngày 20/11/2026", "chủ nhật 8h", "thứ 2 7h30": a time of day is needed (a day
alone is not a time to send); a day given without its year is the next such day.

Never raises on any text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_REF = 2**31 - 1  # a tip's number fits the database's 32-bit integer column
MAX_PAGE = 10_000
MIN_YEAR, MAX_YEAR = 2000, 2100

_DIGITS = re.compile(r"0*([0-9]{1,10})")  # ASCII only; past ten digits, out of any range
_DATE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")


def parse_int(text: str, *, low: int = 1, high: int = MAX_REF) -> int | None:
    """A whole number written in ASCII digits, between `low` and `high`; else None."""
    match = _DIGITS.fullmatch(text.strip())
    if not match:
        return None
    value = int(match.group(1))
    return value if low <= value <= high else None


def parse_ref(text: str) -> int | None:
    """A tip's number as an officer types it ("12" or "#12"); None for anything else."""
    text = text.strip()
    return parse_int(text.removeprefix("#"))


def parse_page(text: str) -> int | None:
    """A page number of a listing ("2"); None for anything else."""
    return parse_int(text, high=MAX_PAGE)


def looks_like_number(text: str) -> bool:
    """Typed as a number in any script ("12", "#12", "²", "١٢", "99999999999"), so worth a
    «not a valid number» answer rather than being read as a word."""
    body = text.strip().removeprefix("#")
    return bool(body) and all(unicodedata.category(ch).startswith("N") for ch in body)


def parse_date(text: str) -> date | None:
    """A day typed as dd/mm/yyyy (also with - or .), between MIN_YEAR and MAX_YEAR."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 31/02, month 13
        return None


_CLOCK = re.compile(r"([0-9]{1,2})\s*(?::|h|g|giờ)\s*([0-9]{1,2})?\s*(?:p|phút)?")


def parse_clock(text: str) -> time | None:
    """A time of day as people type it: "19:30", "19h30", "7h", "7 giờ 15"; else None."""
    match = _CLOCK.fullmatch(text.strip().lower())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


# ---- when to send: a day and a time of day in words --------------------------------------

NOW_WORDS = frozenset({"bây giờ", "bay gio", "ngay", "ngay bây giờ", "gửi ngay", "luôn",
                       "ngay lập tức", "now"})
_WHEN_CLOCK = re.compile(r"(?<![0-9/.-])([0-9]{1,2})\s*(?:(?:giờ|gio|h|g|:)\s*([0-9]{1,2}|rưỡi|ruoi)?"
                    r"(?:\s*(?:phút|phut|p)(?!\w))?|\s(rưỡi|ruoi))(?![0-9/.-])")
_DAY_MONTH = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})(?:[/.-]([0-9]{4}))?")
# a part of the day, and how an hour written with it becomes a 24-hour one
_PERIODS = {"sáng": "am", "sang": "am", "trưa": "noon", "trua": "noon", "chiều": "pm",
            "chieu": "pm", "tối": "pm", "toi": "pm", "đêm": "night", "dem": "night"}
_RELATIVE = {"hôm nay": 0, "hom nay": 0, "nay": 0, "ngày mai": 1, "ngay mai": 1, "mai": 1,
             "ngày kia": 2, "ngày mốt": 2, "mốt": 2, "ngay kia": 2, "mot": 2}
_WEEKDAYS = {"thứ hai": 0, "thứ 2": 0, "t2": 0, "thứ ba": 1, "thứ 3": 1, "t3": 1,
             "thứ tư": 2, "thứ 4": 2, "t4": 2, "thứ năm": 3, "thứ 5": 3, "t5": 3,
             "thứ sáu": 4, "thứ 6": 4, "t6": 4, "thứ bảy": 5, "thứ 7": 5, "t7": 5,
             "chủ nhật": 6, "cn": 6}
_FILLER = re.compile(r"[\s,.;]+|\b(?:lúc|vào|ngày|hôm|giờ)\b")


def _words_re(table: dict[str, object]) -> re.Pattern[str]:
    names = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


_PERIOD_RE = _words_re(dict(_PERIODS))
_RELATIVE_RE = _words_re(dict(_RELATIVE))
_WEEKDAY_RE = _words_re(dict(_WEEKDAYS))


def is_now(text: str) -> bool:
    return " ".join(text.lower().split()) in NOW_WORDS


def _hour(hour: int, period: str | None) -> int | None:
    if period in ("pm", "noon") and 1 <= hour < 12:
        return hour + 12 if period == "pm" or hour < 11 else hour
    if period == "night" and 7 <= hour < 12:
        return hour + 12
    if period == "am" and hour == 12:
        return 0
    return hour if hour <= 23 else None


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The moment `text` names, in `tz`; None when it names none (or something is left that is
    not a day or a time)."""
    rest = " ".join(text.lower().split())[:80]
    local = now.astimezone(tz)
    clock = _WHEN_CLOCK.search(rest)
    if clock is None:
        return None
    rest = rest[:clock.start()] + " " + rest[clock.end():]
    minute_text = clock.group(2) or clock.group(3) or "0"
    minute = 30 if minute_text in ("rưỡi", "ruoi") else int(minute_text)
    period = None
    if (found := _PERIOD_RE.search(rest)) is not None:
        period = _PERIODS[found.group(1)]
        rest = rest[:found.start()] + " " + rest[found.end():]
    hour = _hour(int(clock.group(1)), period)
    if hour is None or minute > 59:
        return None
    day = _day(rest, local.date())
    if day is None:
        return None
    on, rest = day
    if _FILLER.sub("", rest):
        return None
    return datetime.combine(on, time(hour, minute), tzinfo=tz)


def _day(rest: str, today: date) -> tuple[date, str] | None:
    """The day named in `rest` (today when none is) and what is left of it."""
    if (found := _DAY_MONTH.search(rest)) is not None:
        day, month, year = (int(found.group(1)), int(found.group(2)),
                            int(found.group(3)) if found.group(3) else None)
        try:
            on = date(year or today.year, month, day)
        except ValueError:
            return None
        if year is None and on < today:
            try:
                on = on.replace(year=today.year + 1)
            except ValueError:  # 29/02
                return None
        if not MIN_YEAR <= on.year <= MAX_YEAR:
            return None
        return on, rest[:found.start()] + " " + rest[found.end():]
    if (found := _WEEKDAY_RE.search(rest)) is not None:
        ahead = (_WEEKDAYS[found.group(1)] - today.weekday()) % 7
        return today + timedelta(days=ahead), rest[:found.start()] + " " + rest[found.end():]
    if (found := _RELATIVE_RE.search(rest)) is not None:
        return (today + timedelta(days=_RELATIVE[found.group(1)]),
                rest[:found.start()] + " " + rest[found.end():])
    return today, rest


# ---- a day that has passed, and numbers chosen from a list ------------------------------

_PAST_RELATIVE = {"hôm nay": 0, "hom nay": 0, "nay": 0, "hôm qua": 1, "hom qua": 1, "qua": 1,
                  "hôm kia": 2, "hom kia": 2}
_PAST_WEEKDAYS = {**_WEEKDAYS, "thu hai": 0, "thu 2": 0, "thu ba": 1, "thu 3": 1, "thu tu": 2,
                  "thu 4": 2, "thu nam": 3, "thu 5": 3, "thu sau": 4, "thu 6": 4, "thu bay": 5,
                  "thu 7": 5, "chu nhat": 6}


def parse_past_day(text: str, today: date) -> date | None:
    """A day that has (most likely) passed, as people type it: "hôm nay", "hôm qua", "hôm
    kia", "20/11" (the last 20/11 on or before today), "20/11/2026", "thứ 2" (the last
    Monday, today if it is one). A full date is returned as typed, even in the future, for the
    caller to refuse in words; None when the text names no day."""
    typed = " ".join(text.lower().split()).removeprefix("ngày ").strip(" .")
    if typed in _PAST_RELATIVE:
        return today - timedelta(days=_PAST_RELATIVE[typed])
    if typed in _PAST_WEEKDAYS:
        return today - timedelta(days=(today.weekday() - _PAST_WEEKDAYS[typed]) % 7)
    match = _DAY_MONTH.fullmatch(typed)
    if match is None:
        return None
    day, month = int(match.group(1)), int(match.group(2))
    year = int(match.group(3)) if match.group(3) else today.year
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        on = date(year, month, day)
        if match.group(3) is None and on > today:
            on = on.replace(year=year - 1)
    except ValueError:  # 31/02, month 13, 29/02 of a common year
        return None
    return on


ALL_WORDS = frozenset({"tất cả", "tat ca", "cả tổ", "ca to", "toàn bộ", "toan bo", "hết",
                       "het", "all"})
_RANGE_PART = re.compile(r"([0-9]{1,6})(?:\s*[-–—]\s*([0-9]{1,6}))?")
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_numbers(text: str, *, most: int = 10_000) -> list[int] | None:
    """Numbers chosen from a numbered list: "1 3 5-9", "1, 3, 5–9"; ascending, each once.
    None when anything in the text is not a number or a range (a range written backwards,
    "9-5", is read forwards); numbers are not checked against the list here, beyond `most`."""
    cleaned = re.sub(r"\s*[-–—]\s*", "-", text.strip())
    parts = [part for part in _SEPARATORS.split(cleaned) if part]
    if not parts:
        return None
    chosen: set[int] = set()
    for part in parts:
        match = _RANGE_PART.fullmatch(part)
        if match is None:
            return None
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        low, high = min(low, high), max(low, high)
        if high > most:
            return None
        chosen.update(range(low, high + 1))
    return sorted(chosen)


def means_all(text: str) -> bool:
    """«tất cả» (with or without diacritics) and the like: the whole list."""
    return " ".join(text.lower().split()).strip(" .!") in ALL_WORDS
