"""Coverage arithmetic on a hand-computed commune: households present in a period (added,
left), a household reached by both signals counted once, the period boundaries, a group with no
count («chưa có số hộ», never 0%), a count-only group, villages judged against the target and
rolled up to the commune; and a custom period counted from the days themselves.

Commune X (target 75%):
- Thôn A: group A1 (roster of 4: a1..a4, a4 left on 2026-03-01), group A2 (roster of 4)
- Thôn B: group B1 (no roster; the leader entered 10 households; an activity counted 8, then 6)
- Thôn C: group C1 (no roster, no figure)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.models import Activity, ActivityKind, GroupFigures, Household, Person, ReachSource
from bot.runtime import Runtime
from bot.services import areas
from bot.services.areas import AreaRow
from bot.services.coverage import periods, reach
from bot.services.coverage.compute import coverage
from bot.services.coverage.figures import AreaCoverage, Coverage, Standing

pytestmark = pytest.mark.pg

NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
ROWS = [AreaRow(1, "X", "Xã Thử", "commune", None),
        AreaRow(2, "A", "Thôn A", "village", "X"), AreaRow(3, "B", "Thôn B", "village", "X"),
        AreaRow(4, "C", "Thôn C", "village", "X"),
        AreaRow(5, "A1", "Tổ A1", "group", "A"), AreaRow(6, "A2", "Tổ A2", "group", "A"),
        AreaRow(7, "B1", "Tổ B1", "group", "B"), AreaRow(8, "C1", "Tổ C1", "group", "C")]


async def _tree(session: AsyncSession, clock: FakeClock) -> dict[str, int]:
    await areas.import_areas(session, ROWS, clock)
    return {row.code: (await areas.by_code(session, row.code)).id for row in ROWS}


def _house(area_id: int, code: str, added: date | None = None,
           left: date | None = None) -> Household:
    return Household(area_id=area_id, label=f"Hộ {code}", code=code, added_on=added,
                     left_on=left, created_at=NOW)


def _find(node: AreaCoverage, code: str) -> AreaCoverage:
    if node.code == code:
        return node
    for child in node.children:
        try:
            return _find(child, code)
        except LookupError:
            continue
    raise LookupError(code)


async def test_coverage_on_a_hand_computed_commune(rt: Runtime, clock: FakeClock) -> None:
    settings = rt.settings
    year = periods.parse(settings, "2026")  # 15/12/2025 – 14/12/2026
    first_half = periods.parse(settings, "2026H1")  # 15/12/2025 – 14/06/2026
    async with rt.transaction() as session:
        ids = await _tree(session, clock)
        a1 = [_house(ids["A1"], f"a{n}") for n in range(1, 4)]
        a1.append(_house(ids["A1"], "a4", left=date(2026, 3, 1)))
        a2 = [_house(ids["A2"], f"b{n}") for n in range(1, 5)]
        a2.append(_house(ids["A2"], "late", added=date(2026, 12, 15)))  # next year only
        a2.append(_house(ids["A2"], "gone", left=date(2025, 12, 1)))  # before the year
        session.add_all(a1 + a2)
        session.add(GroupFigures(area_id=ids["B1"], households=10))
        await session.flush()
        linked = Person(channel="text", user_ref="p1", external_id_enc=b"x", household_id=a1[0].id,
                        created_at=NOW, last_seen_at=NOW)
        session.add(linked)
        await session.flush()
        await reach.count_linked(session, settings, date(2026, 12, 7), [a1[0].id])
        # a1: an acknowledgement and an activity (once); a2: the last day of the first half;
        # a3: the first day of the second half; a4 (left in March): reached in January
        await reach.mark(session, settings, a1[0], date(2026, 2, 1), ReachSource.ACK)
        await reach.mark(session, settings, a1[0], date(2026, 2, 1), ReachSource.ACTIVITY)
        await reach.mark(session, settings, a1[0], date(2026, 5, 1), ReachSource.ACK)
        await reach.mark(session, settings, a1[1], date(2026, 6, 14), ReachSource.ACK)
        await reach.mark(session, settings, a1[2], date(2026, 6, 15), ReachSource.ACTIVITY)
        await reach.mark(session, settings, a1[3], date(2026, 1, 10), ReachSource.ACK)
        # A2: two of four, and one on the day before the year began (not counted)
        await reach.mark(session, settings, a2[0], date(2025, 12, 15), ReachSource.ACK)
        await reach.mark(session, settings, a2[1], date(2026, 12, 14), ReachSource.ACTIVITY)
        await reach.mark(session, settings, a2[2], date(2025, 12, 14), ReachSource.ACK)
        for counted in (8, 6):
            session.add(Activity(area_id=ids["B1"], kind=ActivityKind.MEETING,
                                 on=date(2026, 4, 1), topic="Họp tổ", counted=counted,
                                 created_at=NOW))

    async with rt.transaction() as session:
        await reach.retally(session, settings, date(2026, 12, 7))
    async with rt.db.reading() as session:
        # the same days as a custom period: counted in SQL from the days, not the tallies
        counted = await coverage(session, settings, ids["X"],
                                 periods.parse(settings, "2025-12-15..2026-12-14"))
        whole = await coverage(session, settings, ids["X"], year)
        half = await coverage(session, settings, ids["X"], first_half)
        custom = await coverage(session, settings, ids["X"],
                                periods.parse(settings, "2026-06-14..2026-06-15"))
        group_only = await coverage(session, settings, ids["A1"], year)

    assert isinstance(whole, Coverage) and whole.period == "2026" and whole.target == 75
    root = whole.root
    a1_year, a2_year = _find(root, "A1"), _find(root, "A2")
    # A1: 4 households (a4 left in March, still present in the year), all 4 reached
    assert (a1_year.households, a1_year.reached, a1_year.connected) == (4, 4, 1)
    # A2: b1..b4 present ("late" came after, "gone" left before); b1 and b2 reached
    assert (a2_year.households, a2_year.reached) == (4, 2)
    village_a = _find(root, "A")
    assert (village_a.households, village_a.reached, village_a.percent) == (8, 6, 75.0)
    assert village_a.standing(75) is Standing.MET and village_a.villages_met == 1
    b1 = _find(root, "B1")
    assert (b1.households, b1.reached) == (10, 8)
    assert b1.households_entered and b1.reached_entered
    assert _find(root, "B").standing(75) is Standing.MET
    c1 = _find(root, "C1")
    assert c1.households is None and c1.percent is None and c1.standing(75) is Standing.UNKNOWN
    assert _find(root, "C").households is None
    # the commune: 14 of 18 households in the villages with a count; 2 of 2 judged villages met
    assert (root.households, root.reached, root.groups, root.groups_without_count) == (18, 14, 4, 1)
    assert (root.villages_met, root.villages_judged) == (2, 2)

    # the first half: a1 (Feb, May), a2 (14/06), a4 (Jan); a3 (15/06) is in the second half;
    # a4 left in March but was present in the half
    assert _find(half.root, "A1").reached == 3
    assert _find(half.root, "A2").reached == 1  # b1 on the year's first day
    # a custom period of two days: a2 on 14/06 and a3 on 15/06
    assert _find(custom.root, "A1").reached == 2 and _find(custom.root, "A2").reached == 0
    assert group_only.root.code == "A1" and group_only.root.reached == 4
    # the tallies kept as reach arrived say what counting the days says
    assert counted.root == whole.root
    # the tree survives a snapshot's JSON
    assert AreaCoverage.from_json(root.to_json()) == root


async def test_the_nightly_recount_gives_a_new_period_its_tallies(rt: Runtime,
                                                                  clock: FakeClock) -> None:
    """Before 02:00 local nothing; after it, every group's households are recounted once that
    day (a roster change in between is counted by the next night's run, or by its import)."""
    settings = rt.settings
    async with rt.transaction() as session:
        ids = await _tree(session, clock)
        session.add_all([_house(ids["A1"], f"a{n}") for n in range(3)])
    new_year = periods.parse(settings, "2027")
    night = datetime(2026, 12, 15, 18, 30, tzinfo=UTC)  # 01:30 on 16/12 in Vietnam
    await reach.run_due(rt, night)
    async with rt.db.reading() as session:
        assert not await reach.tallied(session, new_year.key)
    await reach.run_due(rt, night.replace(hour=19, minute=30))  # 02:30
    async with rt.db.reading() as session:
        assert await reach.tallied(session, new_year.key)
        figures = await coverage(session, settings, ids["A1"], new_year)
    assert (figures.root.households, figures.root.reached) == (3, 0)
