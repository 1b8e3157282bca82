"""Report periods. A commune reports twice a year, on periods whose cut-off dates are settings
(FACTS: official periods often run 15 Dec – 14 Jun): `coverage_year_start` is the day a report
year begins, `coverage_half_start` the day its second half begins. A period is named after the
calendar year it ends in: with the defaults, «2026» runs 15/12/2025 – 14/12/2026, «2026H1»
15/12/2025 – 14/06/2026 and «2026H2» 15/06/2026 – 14/12/2026. Custom periods are written
`2026-03-01..2026-05-31`.

Reach is kept per standard period as it arrives (`containing`); a custom period is counted from
the days themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.config import Settings
from content import coverage as words


class PeriodKind(StrEnum):
    YEAR = "year"
    FIRST_HALF = "h1"
    SECOND_HALF = "h2"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    key: str  # "2026", "2026H1", "2026H2", "2026-03-01..2026-05-31"
    kind: PeriodKind
    first: date
    last: date  # inclusive

    @property
    def standard(self) -> bool:
        """Kept up to date in `period_reach` (a custom period is counted from the days)."""
        return self.kind is not PeriodKind.CUSTOM

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last


class PeriodError(ValueError):
    """Text that names no period; the message says what was wrong (for the CLI)."""


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def _on(year: int, month_day: str) -> date:
    """`month_day` in `year`; 29 February falls back to the 28th in other years."""
    month, day = _month_day(month_day)
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def _year_first(settings: Settings, year: int) -> date:
    """The first day of report year `year` (which ends in calendar year `year`)."""
    start = _on(year, settings.coverage_year_start)
    return start if start.month == 1 and start.day == 1 else _on(year - 1,
                                                                  settings.coverage_year_start)


def year_period(settings: Settings, year: int) -> Period:
    return Period(str(year), PeriodKind.YEAR, _year_first(settings, year),
                  _year_first(settings, year + 1) - timedelta(days=1))


def half_periods(settings: Settings, year: int) -> tuple[Period, Period]:
    whole = year_period(settings, year)
    second = _on(year, settings.coverage_half_start)
    if not whole.first < second <= whole.last:
        second = _on(year - 1, settings.coverage_half_start)
    return (Period(f"{year}H1", PeriodKind.FIRST_HALF, whole.first, second - timedelta(days=1)),
            Period(f"{year}H2", PeriodKind.SECOND_HALF, second, whole.last))


def report_year(settings: Settings, day: date) -> int:
    """The report year `day` belongs to."""
    return day.year + 1 if day >= _year_first(settings, day.year + 1) else day.year


def containing(settings: Settings, day: date) -> tuple[Period, Period]:
    """The standard periods `day` falls in: its report year and the half of it."""
    year = report_year(settings, day)
    first, second = half_periods(settings, year)
    return year_period(settings, year), first if first.holds(day) else second


def current(settings: Settings, day: date, kind: PeriodKind = PeriodKind.YEAR) -> Period:
    whole, half = containing(settings, day)
    return whole if kind is PeriodKind.YEAR else half


_YEAR = re.compile(r"^(\d{4})(H[12])?$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def parse(settings: Settings, text: str) -> Period:
    """«2026», «2026H1», «2026H2» or «2026-03-01..2026-05-31»."""
    cleaned = text.strip().replace(" ", "")
    if match := _YEAR.match(cleaned):
        year = int(match.group(1))
        if match.group(2) is None:
            return year_period(settings, year)
        first, second = half_periods(settings, year)
        return first if match.group(2).upper() == "H1" else second
    if match := _RANGE.match(cleaned):
        try:
            first, last = (date.fromisoformat(part) for part in match.groups())
        except ValueError as exc:
            raise PeriodError(words.PERIOD_NO_SUCH_DAY.format(text=cleaned)) from exc
        if last < first:
            raise PeriodError(words.PERIOD_BACKWARDS.format(text=cleaned))
        return Period(cleaned, PeriodKind.CUSTOM, first, last)
    raise PeriodError(words.PERIOD_UNKNOWN.format(text=text))


def deadline(settings: Settings, period: Period) -> date | None:
    """When the report for a standard period is due (None for a custom period): in the month
    after its last day at the earliest, on the deadline setting for its kind."""
    if not period.standard:
        return None
    setting = (settings.coverage_year_deadline if period.kind is PeriodKind.YEAR
               else settings.coverage_half_deadline)
    due = _on(period.last.year, setting)
    return due if due > period.last - timedelta(days=31) else _on(period.last.year + 1, setting)
