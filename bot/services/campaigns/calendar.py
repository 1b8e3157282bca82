"""The observance-day calendar (`content/calendar.yaml`): its shape, its rules, its dates.

Each day has a rule that gives its anchor date in a year — a fixed date, a whole month (the
1st), the n-th weekday of a month, Lunar New Year (Tết, from the *Vietnamese* lunar calendar,
computed for UTC+7 by the maintained `lunar-vn` package: it differs from the Chinese one in
some years, e.g. 1985, 2007 and 2030), or a local date each village may set (the 19 August
festival) — and 2–4 messages sent a number of days from that anchor, at a local time.

The file is read with pydantic; a problem is reported with the file and line it stands on, so
whoever edits the calendar can find it. Dates are computed, never typed in per year. Never
reads the database: per-commune switches, times and texts are applied by the plan.
"""

from __future__ import annotations

import calendar as _stdcal
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from lunar_vn import LunarDate, lunar_to_solar
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from content import campaigns as words

CALENDAR_FILE = Path(__file__).resolve().parents[3] / "content" / "calendar.yaml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEY = r"^[a-z0-9][a-z0-9_-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FixedRule(_Strict):
    kind: Literal["fixed"]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def a_real_date(self) -> FixedRule:
        date(2024, self.month, self.day)  # a leap year: 29/2 is allowed, as a date can be
        return self


class MonthRule(_Strict):
    """A whole month; its anchor is the 1st."""

    kind: Literal["month"]
    month: int = Field(ge=1, le=12)


class NthWeekdayRule(_Strict):
    """E.g. the third Sunday of November; `n` = -1 is the last one."""

    kind: Literal["nth_weekday"]
    month: int = Field(ge=1, le=12)
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                     "sunday"]
    n: int = Field(ge=-1, le=5)

    @field_validator("n")
    @classmethod
    def not_zero(cls, n: int) -> int:
        if n == 0:
            raise ValueError("n counts from 1 (or -1 for the last)")
        return n


class LunarNewYearRule(_Strict):
    """Tết of the Vietnamese lunar calendar; messages count back from it."""

    kind: Literal["lunar_new_year"]


class LocalRule(_Strict):
    """A date each village may set for itself (the 19 August festival); this is the default."""

    kind: Literal["local"]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def a_real_date(self) -> LocalRule:
        date(2024, self.month, self.day)
        return self


Rule = Annotated[FixedRule | MonthRule | NthWeekdayRule | LunarNewYearRule | LocalRule,
                 Field(discriminator="kind")]


class Message(_Strict):
    key: str = Field(pattern=KEY, max_length=32)
    offset_days: int = Field(ge=-60, le=60)
    time: time
    text: str = Field(min_length=20)
    image: str | None = None


class Day(_Strict):
    id: str = Field(pattern=KEY, max_length=40)
    name: str = Field(min_length=3, max_length=120)
    rule: Rule
    optional: bool = False
    messages: list[Message] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def keys_once_and_months_kept(self) -> Day:
        keys = [m.key for m in self.messages]
        if len(set(keys)) != len(keys):
            raise ValueError(f"message keys repeat: {sorted(k for k in keys if keys.count(k) > 1)}")
        if isinstance(self.rule, MonthRule):
            days_in_month = _stdcal.monthrange(2023, self.rule.month)[1]
            outside = [m.key for m in self.messages
                       if not 0 <= m.offset_days < days_in_month]
            if outside:
                raise ValueError(f"messages outside the month: {outside}")
        if isinstance(self.rule, LunarNewYearRule):
            after = [m.key for m in self.messages if m.offset_days > 0]
            if after:
                raise ValueError(f"the lunar new year peak comes before the new year; after it: {after}")
        return self

    def message(self, key: str) -> Message:
        return next(m for m in self.messages if m.key == key)


class Calendar(_Strict):
    version: Literal[1]
    days: list[Day] = Field(min_length=1)

    @model_validator(mode="after")
    def ids_once(self) -> Calendar:
        ids = [d.id for d in self.days]
        if len(set(ids)) != len(ids):
            raise ValueError(f"day ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
        return self

    def day(self, day_id: str) -> Day:
        return next(d for d in self.days if d.id == day_id)


# ---- reading the file, with lines for every problem ----------------------------------------

@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class CalendarError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _line(node: yaml.Node | None, loc: Iterable[Any]) -> int:
    """The line (1-based) of the YAML node at `loc`, or of the deepest node on the way."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value
                          if isinstance(key, yaml.ScalarNode) and key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def read(path: Path = CALENDAR_FILE) -> tuple[Calendar, yaml.Node]:
    """The calendar and its YAML node tree (for the lines of later checks); raises
    `CalendarError` naming file and line."""
    shown = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        tree = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CalendarError([Problem(shown, mark.line + 1 if mark else 1,
                                     f"not YAML: {getattr(exc, 'problem', exc)}")]) from None
    try:
        return Calendar.model_validate(data), tree
    except ValidationError as exc:
        problems = [Problem(shown, _line(tree, error["loc"]),
                            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: "
                            f"{error['msg']}")
                    for error in exc.errors()]
        raise CalendarError(problems) from None


def load(path: Path = CALENDAR_FILE) -> Calendar:
    return read(path)[0]


def line_of(tree: yaml.Node, *loc: Any) -> int:
    return _line(tree, loc)


# ---- what a message's text must be -----------------------------------------------------------

# Zalo's limit, less the room the code's footer takes (how to acknowledge, the bot's link)
ZALO_LIMIT = 2000
FOOTER_ROOM = 300
MAX_TEXT = ZALO_LIMIT - FOOTER_ROOM
# long but real values, so a message that fits with them fits with any commune's
FILLED = words.LONGEST_FILLS
EVERY_MESSAGE = frozenset({"group", "commune", "police_contact", "report_hint"})
BY_RULE = {"local": frozenset({"festival_date", "festival_place"}),
           "lunar_new_year": frozenset({"tet_date"})}
ABBREVIATIONS = words.ABBREVIATIONS
_ABBREVIATION = re.compile(r"(?<!\w)(" + "|".join(ABBREVIATIONS) + r")(?!\w)")


def placeholders(rule: Rule) -> frozenset[str]:
    """What a message of a day with this rule may name."""
    return EVERY_MESSAGE | BY_RULE.get(rule.kind, frozenset())


@dataclass(frozen=True)
class TextProblem:
    """Why a campaign text cannot go as it is; `kind` is one of nfc, brace, placeholder,
    abbreviation, length (each caller words it for its reader)."""

    kind: str
    detail: str = ""


def text_problems(text: str, allowed: frozenset[str]) -> list[TextProblem]:
    """A campaign text as residents will read it: Unicode NFC, only the placeholders the code
    fills, no abbreviation residents should not have to decode, and — filled with long but
    real values — short enough for Zalo with the footer the code adds."""
    problems = []
    if unicodedata.normalize("NFC", text) != text:
        problems.append(TextProblem("nfc"))
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        return [*problems, TextProblem("brace", str(exc))]
    unknown = sorted(names - allowed)
    if unknown:
        return [*problems, TextProblem("placeholder", ", ".join(unknown))]
    problems += [TextProblem("abbreviation", found)
                 for found in sorted(set(_ABBREVIATION.findall(text)))]
    length = len(text.format(**FILLED))
    if length > MAX_TEXT:
        problems.append(TextProblem("length", str(length)))
    return problems


# ---- dates ----------------------------------------------------------------------------------

def tet(year: int) -> date:
    """Lunar New Year's day that falls in `year` (Vietnamese calendar, UTC+7)."""
    return lunar_to_solar(LunarDate(1, 1, year))


def _nth_weekday(year: int, rule: NthWeekdayRule) -> date:
    wanted = WEEKDAYS.index(rule.weekday)
    days = [date(year, rule.month, d)
            for d in range(1, _stdcal.monthrange(year, rule.month)[1] + 1)
            if date(year, rule.month, d).weekday() == wanted]
    return days[rule.n - 1] if rule.n > 0 else days[-1]


def _valid(year: int, month: int, day: int) -> date:
    """29/2 in a year without it is 28/2."""
    return date(year, month, min(day, _stdcal.monthrange(year, month)[1]))


def anchor(rule: Rule, year: int, local: date | None = None) -> date:
    """The day's anchor date in `year` (for a local rule, the village's own date if set)."""
    if isinstance(rule, FixedRule):
        return _valid(year, rule.month, rule.day)
    if isinstance(rule, MonthRule):
        return date(year, rule.month, 1)
    if isinstance(rule, NthWeekdayRule):
        return _nth_weekday(year, rule)
    if isinstance(rule, LunarNewYearRule):
        return tet(year)
    if local is not None and local.year == year:
        return local
    return _valid(year, rule.month, rule.day)


@dataclass(frozen=True)
class Dated:
    """One message of the calendar on its date in a given year (local date and time)."""

    day: Day
    message: Message
    anchor: date
    on: date

    @property
    def at(self) -> time:
        return self.message.time


def dated(calendar: Calendar, year: int, *, local: dict[str, date] | None = None
          ) -> list[Dated]:
    """Every message that falls in `year`, optional days' too (a commune's plan decides which
    to keep), in date and time order. A day's messages may fall in the year before its
    anchor's (the Tết peak of late January begins in December), so anchors of the years around
    are looked at too. `local`: a place's own date for days with a local rule."""
    found: list[Dated] = []
    for day in calendar.days:
        for anchor_year in (year - 1, year, year + 1):
            own = (local or {}).get(day.id)
            start = anchor(day.rule, anchor_year, own if own and own.year == anchor_year
                           else None)
            for message in day.messages:
                on = start + timedelta(days=message.offset_days)
                if on.year == year:
                    found.append(Dated(day, message, start, on))
    return sorted(found, key=lambda d: (d.on, d.at, d.day.id, d.message.key))
