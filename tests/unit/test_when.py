"""When a broadcast should go, typed the ways Vietnamese people write it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.parse import is_now, parse_when

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=TZ)  # a Monday, 10:00


@pytest.mark.parametrize(("typed", "expected"), [
    ("19h30", (2026, 12, 7, 19, 30)),
    ("19:30", (2026, 12, 7, 19, 30)),
    ("hôm nay 19h30", (2026, 12, 7, 19, 30)),
    ("7 giờ tối", (2026, 12, 7, 19, 0)),
    ("7g tối", (2026, 12, 7, 19, 0)),
    ("tối nay 7h", (2026, 12, 7, 19, 0)),
    ("7 rưỡi tối", (2026, 12, 7, 19, 30)),
    ("1 giờ chiều", (2026, 12, 7, 13, 0)),
    ("12h trưa", (2026, 12, 7, 12, 0)),
    ("10 giờ đêm", (2026, 12, 7, 22, 0)),
    ("mai 7h", (2026, 12, 8, 7, 0)),
    ("ngày mai lúc 14h", (2026, 12, 8, 14, 0)),
    ("sáng mai 7 rưỡi", (2026, 12, 8, 7, 30)),
    ("lúc 8 giờ 15 phút sáng mai", (2026, 12, 8, 8, 15)),
    ("ngày kia 9h", (2026, 12, 9, 9, 0)),
    ("20/12 8h", (2026, 12, 20, 8, 0)),
    ("20/11 8h", (2027, 11, 20, 8, 0)),  # gone this year: next year's
    ("8h ngày 20/11/2026", (2026, 11, 20, 8, 0)),  # a year given is kept (then refused: past)
    ("chủ nhật 8h", (2026, 12, 13, 8, 0)),
    ("thứ 4 7h30", (2026, 12, 9, 7, 30)),
])
def test_the_ways_people_write_a_time(typed: str, expected: tuple[int, ...]) -> None:
    assert parse_when(typed, NOW, TZ) == datetime(*expected, tzinfo=TZ)


@pytest.mark.parametrize("typed", ["", "7", "20/11", "xyz 7h", "25h", "7h61", "31/02 8h",
                                   "20/11/1999 8h", "mai", "7h tối hôm qua nữa"])
def test_what_names_no_moment(typed: str) -> None:
    assert parse_when(typed, NOW, TZ) is None


def test_now_in_words() -> None:
    assert is_now("Bây giờ") and is_now("ngay") and not is_now("mai 7h")
