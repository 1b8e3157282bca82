"""The observance-day calendar: every rule gives the right date, the real calendar file is
well formed, and a broken one is reported with its file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content_check import check_calendar
from bot.services.campaigns import calendar
from bot.services.campaigns.calendar import (
    FixedRule,
    LocalRule,
    LunarNewYearRule,
    MonthRule,
    NthWeekdayRule,
    anchor,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("year", "day"), [
    (2025, date(2025, 1, 29)), (2026, date(2026, 2, 17)), (2027, date(2027, 2, 6)),
    (2028, date(2028, 1, 26)), (2029, date(2029, 2, 13)),
    # the new moon of 2 February 2030 comes at 23:07 in Vietnam, 00:07 on the 3rd in China
    (2030, date(2030, 2, 2)),
    # the two years FACTS.md names: China's Tết fell on 20/2/1985 and 18/2/2007
    (1985, date(1985, 1, 21)), (2007, date(2007, 2, 17)),
])
def test_tet_is_vietnams(year: int, day: date) -> None:
    assert calendar.tet(year) == day
    assert anchor(LunarNewYearRule(kind="lunar_new_year"), year) == day


def test_fixed_month_nth_weekday_and_local_rules() -> None:
    assert anchor(FixedRule(kind="fixed", month=6, day=26), 2027) == date(2027, 6, 26)
    assert anchor(FixedRule(kind="fixed", month=2, day=29), 2027) == date(2027, 2, 28)
    assert anchor(MonthRule(kind="month", month=9), 2027) == date(2027, 9, 1)
    third_sunday = NthWeekdayRule(kind="nth_weekday", month=11, weekday="sunday", n=3)
    assert [anchor(third_sunday, y) for y in (2025, 2026, 2027)] == [
        date(2025, 11, 16), date(2026, 11, 15), date(2027, 11, 21)]
    last_friday = NthWeekdayRule(kind="nth_weekday", month=10, weekday="friday", n=-1)
    assert anchor(last_friday, 2027) == date(2027, 10, 29)
    festival = LocalRule(kind="local", month=8, day=19)
    assert anchor(festival, 2027) == date(2027, 8, 19)
    assert anchor(festival, 2027, local=date(2027, 8, 15)) == date(2027, 8, 15)


def test_a_years_messages_include_decembers_tet_lead_up() -> None:
    found = calendar.dated(calendar.load(), 2027)
    tet_peak = [(d.on, d.anchor) for d in found if d.day.id == "tet-peak"]
    # three before Tết 2027 (6/2) and the first before Tết 2028 (26/1), already in December
    assert tet_peak[-1] == (date(2027, 12, 29), date(2028, 1, 26))
    assert all(d.on.year == 2027 for d in found)
    assert {d.day.id for d in found if d.day.optional} == {"children-month",
                                                            "domestic-violence-month"}
    assert found == sorted(found, key=lambda d: (d.on, d.at, d.day.id, d.message.key))


def test_the_calendar_of_the_product_has_no_problem() -> None:
    assert [str(p) for p in check_calendar(REPO, REPO / "content" / "calendar.yaml")] == []


BROKEN = """\
version: 1
days:
  - id: fire-day
    name: Ngày toàn dân phòng cháy, chữa cháy
    rule: {kind: fixed, month: 10, day: 4}
    messages:
      - key: day
        offset_days: 0
        time: "08:00"
        text: "Kính gửi bà con {group}, hôm nay là ngày PCCC; gọi {hotline} khi có cháy."
      - key: long
        offset_days: 1
        time: "08:00"
        text: "%s"
  - id: drugs-month
    name: Tháng hành động phòng, chống ma túy
    rule: {kind: month, month: 6}
    messages:
      - key: late
        offset_days: 30
        time: "25:00"
        text: "Kính gửi bà con {group}, tháng 6 là tháng hành động."
""" % ("Kính gửi bà con {group}. " + "Một câu dài. " * 150)


def test_a_broken_calendar_is_reported_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    path = tmp_path / "content" / "calendar.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert [str(p) for p in check_calendar(tmp_path, path)] == [
        "content/calendar.yaml:21: days.1.messages.0.time: Input should be in a valid time "
        "format, hour value is outside expected range of 0-23"]
    path.write_text(BROKEN.replace('"25:00"', '"08:00"'), encoding="utf-8")
    assert [str(p) for p in check_calendar(tmp_path, path)] == [
        "content/calendar.yaml:15: days.1: Value error, messages outside the month: ['late']"]
    path.write_text(BROKEN.replace('"25:00"', '"08:00"').replace("offset_days: 30",
                                                                 "offset_days: 3"),
                    encoding="utf-8")
    texts = [str(p) for p in check_calendar(tmp_path, path)]
    assert texts == [
        "content/calendar.yaml:10: fire-day/day: unknown placeholder(s) hotline; allowed: "
        "commune, group, police_contact, report_hint",
        "content/calendar.yaml:14: fire-day/long: 2013 characters once filled: at most 1700, "
        "so it fits Zalo with its footer",
    ]
    path.write_text(BROKEN.replace("{hotline}", "113").replace('"25:00"', '"08:00"')
                    .replace("offset_days: 30", "offset_days: 3")
                    .replace("hôm nay", "ho\u0302m nay"), encoding="utf-8")
    texts = [str(p) for p in check_calendar(tmp_path, path)]
    assert texts[:2] == [
        "content/calendar.yaml:10: fire-day/day: not in Unicode NFC (write it again with a "
        "Vietnamese keyboard)",
        "content/calendar.yaml:10: fire-day/day: abbreviation «PCCC»: residents read it in full",
    ]
