"""Numbers and dates typed by people (or carried in button data), read in one place.

`str.isdigit()` then `int()` is the pattern this replaces: `"²".isdigit()` is true and
`int("²")` raises, and `int("99999999999999999999")` is a number no database column holds.
Here only ASCII digits count, every number has a range, and every date a year between
`MIN_YEAR` and `MAX_YEAR`; anything else is None, for the caller to answer politely.

Never raises on any text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time

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
