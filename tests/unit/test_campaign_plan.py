"""A commune's campaign plan: its choices, quiet hours, the weekly caps per group and per
person, colliding days merged or moved (and said so), and the capacity warning."""

from __future__ import annotations

from datetime import date, time

from bot.services.campaigns import calendar
from bot.services.campaigns.calendar import Calendar
from bot.services.campaigns.plan import Choices, Load, Rules, capacity, plan
from content import campaigns as words


def _calendar(*days: dict) -> Calendar:  # type: ignore[type-arg]
    return Calendar.model_validate({"version": 1, "days": list(days)})


def _day(day_id: str, month: int, day: int, *messages: tuple[str, int, str, str]) -> dict:  # type: ignore[type-arg]
    return {"id": day_id, "name": f"Ngày {day_id}", "rule": {"kind": "fixed", "month": month,
                                                           "day": day},
            "messages": [{"key": key, "offset_days": offset, "time": at, "text": text}
                         for key, offset, at, text in messages]}


SHORT = "Kính gửi bà con {group}, một tin ngắn về an ninh, trật tự."
LONG = "Kính gửi bà con {group}. " + "Một câu vừa phải. " * 60


def test_the_default_plan_of_2027_keeps_every_message_within_the_caps() -> None:
    result = plan(calendar.dated(calendar.load(), 2027))
    assert len(result.entries) == 28 and result.notes == []  # the optional months are off
    days = [e.on for e in result.entries]
    assert len(set(days)) == len(days)
    for entry in result.entries:
        week = [d for d in days if 0 <= (d - entry.on).days < 7]
        assert len(week) <= 3


def test_a_communes_choices_switch_days_move_times_and_replace_texts() -> None:
    dated = calendar.dated(calendar.load(), 2027)
    result = plan(dated, Choices(off=frozenset({"law-day"}), on=frozenset({"children-month"}),
                                 times={("fire-day", "day"): time(19, 30)},
                                 texts={("drugs-day", "day"): "Kính gửi bà con {group}: tin riêng."}))
    parts = {part for entry in result.entries for part in entry.parts}
    assert ("law-day", "day") not in parts and ("children-month", "opening") in parts
    fire = next(e for e in result.entries if e.parts[0] == ("fire-day", "day"))
    assert fire.at == time(19, 30)
    drugs = next(e for e in result.entries if e.parts[0] == ("drugs-day", "day"))
    assert drugs.text == "Kính gửi bà con {group}: tin riêng."


def test_a_time_in_quiet_hours_moves_to_their_end_and_says_so() -> None:
    dated = calendar.dated(_calendar(_day("fire-day", 10, 4, ("day", 0, "08:00", SHORT))), 2027)
    result = plan(dated, Choices(times={("fire-day", "day"): time(22, 15)}))
    assert [e.at for e in result.entries] == [time(7, 0)]
    assert [n.text for n in result.notes] == [
        "Ngày fire-day: giờ gửi 22:15 rơi vào giờ nghỉ của bà con, nên dời sang 07:00."]


def test_two_messages_on_one_day_become_one_when_they_fit() -> None:
    dated = calendar.dated(_calendar(
        _day("a", 6, 10, ("day", 0, "08:00", SHORT)),
        _day("b", 6, 12, ("lead_up", -2, "09:00", SHORT + " Thêm."))), 2027)
    result = plan(dated)
    [entry] = result.entries
    assert entry.parts == (("a", "day"), ("b", "lead_up")) and entry.at == time(8, 0)
    assert entry.text.startswith(SHORT) and entry.text.endswith("Thêm.")
    assert [n.text for n in result.notes] == [
        "10/06/2027: «Ngày a» và «Ngày b» trùng ngày, gộp thành một tin."]


def test_too_long_to_merge_the_lesser_message_moves_a_day_and_the_day_itself_stays() -> None:
    dated = calendar.dated(_calendar(
        _day("a", 6, 10, ("day", 0, "08:00", LONG)),
        _day("b", 6, 12, ("lead_up", -2, "09:00", LONG))), 2027)
    result = plan(dated)
    assert [(e.on, e.parts) for e in result.entries] == [
        (date(2027, 6, 9), (("b", "lead_up"),)), (date(2027, 6, 10), (("a", "day"),))]
    assert [n.text for n in result.notes] == [words.NOTE_MOVED.format(
        name="«Ngày b»", old="10/06/2027", new="09/06/2027", cap=3)]


def test_a_crowded_week_keeps_the_days_moves_a_lead_up_and_counts_a_leaders_broadcast() -> None:
    dated = calendar.dated(_calendar(
        _day("a", 6, 1, ("day", 0, "08:00", LONG)),
        _day("b", 6, 3, ("day", 0, "08:00", LONG)),
        _day("c", 6, 5, ("day", 0, "08:00", LONG), ("lead_up", -1, "08:00", LONG))), 2027)
    # a leader's own broadcast went out on 2 June: with it the week is full
    result = plan(dated, taken=[date(2027, 6, 2)])
    kept = {e.parts[0]: e.on for e in result.entries}
    # every observance day keeps its own date: the fourth in the week goes, and says so
    assert kept == {("a", "day"): date(2027, 6, 1), ("b", "day"): date(2027, 6, 3),
                    ("c", "day"): date(2027, 6, 5)}
    assert [n.text for n in result.notes] == [
        "«Ngày c» ngày 04/06/2027: không còn ngày trống gần đó (mỗi nhóm tối đa 3 tin trong "
        "7 ngày), nên tin này không gửi.",
        words.NOTE_DAY_OVER_CAP.format(name="«Ngày c»", on="05/06/2027", cap=3),
        "«Ngày c» ngày 05/06/2027: chỉ gửi vào nhóm; người nhận tin riêng đã đủ 2 tin trong "
        "7 ngày."]


def test_a_lead_up_in_a_full_week_moves_out_of_it() -> None:
    dated = calendar.dated(_calendar(
        _day("a", 6, 1, ("day", 0, "08:00", LONG)),
        _day("b", 6, 3, ("day", 0, "08:00", LONG)),
        _day("c", 6, 14, ("day", 0, "08:00", LONG), ("lead_up", -9, "08:00", LONG))), 2027)
    result = plan(dated, taken=[date(2027, 6, 2)])
    kept = {e.parts[0]: e.on for e in result.entries}
    assert kept[("c", "lead_up")] == date(2027, 6, 8)  # 5/6 was a fourth in the week
    days = sorted([*kept.values(), date(2027, 6, 2)])
    for start in days:
        assert sum(1 for d in days if 0 <= (d - start).days < 7) <= 3, days
    assert any("dời từ 05/06/2027 sang 08/06/2027" in n.text for n in result.notes)


def test_in_private_a_person_gets_the_most_important_two_a_week() -> None:
    dated = calendar.dated(_calendar(
        _day("a", 6, 1, ("day", 0, "08:00", SHORT)),
        _day("b", 6, 3, ("day", 0, "08:00", SHORT)),
        _day("c", 6, 6, ("lead_up", -1, "08:00", SHORT))), 2027)
    result = plan(dated)
    assert [(e.parts[0][0], e.to_persons) for e in result.entries] == [
        ("a", True), ("b", True), ("c", False)]
    assert [n.text for n in result.notes] == [
        "«Ngày c» ngày 05/06/2027: chỉ gửi vào nhóm; người nhận tin riêng đã đủ 2 tin trong "
        "7 ngày."]


def test_a_day_too_big_for_the_messenger_starts_earlier_or_takes_two_mornings() -> None:
    on = date(2027, 6, 26)
    fits = capacity(on, time(8, 0), [Load("zalo", 200_000, 8)])
    assert (fits.ends_in_quiet, fits.warning) == (False, None)
    assert round(fits.hours, 2) == 6.94  # 200,000 messages at 8 a second: almost 7 hours
    late = capacity(on, time(15, 0), [Load("zalo", 200_000, 8), Load("telegram", 3_000, 30)])
    assert late.ends_in_quiet and late.start_earlier == time(14, 3) and not late.two_days
    assert late.warning == words.CAPACITY_EARLIER.format(
        on="26/06/2027", count="200.000", channel="Zalo", rate="8", took="6 giờ 57 phút",
        at="15:00", quiet="21:00", new="14:03")
    huge = capacity(on, time(8, 0), [Load("zalo", 500_000, 8)])
    assert huge.two_days and huge.start_earlier is None
    assert huge.warning is not None and "sáng hôm sau" in huge.warning
    assert Rules().quiet(time(21, 0)) and Rules().quiet(time(6, 59))
    assert not Rules().quiet(time(7, 0)) and not Rules().quiet(time(20, 59))
