"""Tip-off rules that were written twice — in a handler and in the service, or in two
services — each now kept in one place, and the table of officer actions that replaced the
chain of `if`s: who may take an action, from which statuses, who hears of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import FakeClock
from bot.messages import ChatType, Incoming, InputKind
from bot.models import (
    POLICE_TEAM,
    Area,
    Chat,
    GuardCounter,
    OutboxMessage,
    Person,
    Role,
    Tip,
    TipCard,
    TipStatus,
)
from bot.runtime import Runtime
from bot.services import areas, outbox, people
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.tips import TipProblem, actions, cards, jobs, lifecycle, team
from bot.services.tips.actions import ACTIONS, Tell
from content import tips as words
from tests.services.conftest import TEXT_CHANNEL
from tests.services.test_tips import _commune, _person, _submit

pytestmark = pytest.mark.pg


async def _chat(session: AsyncSession, person: Person) -> Chat:
    chat = await session.get(Chat, person.private_chat_id)
    assert chat is not None
    return chat


async def _texts_to(rt: Runtime, person: Person) -> list[str]:
    async with rt.db.reading() as session:
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == person.private_chat_id).order_by(OutboxMessage.id))).all()
        return [outbox.open_payload(rt, row).params.get("text", "") for row in rows]


async def _group(rt: Runtime, name: str) -> Chat:
    async with rt.transaction() as session:
        _, chat = await people.touch(session, rt, Incoming(
            channel=TEXT_CHANNEL, update_key=name, chat_id=name, chat_type=ChatType.GROUP,
            user_id=name, kind=InputKind.TEXT, chat_title=name))
        return chat


# ---- "only the chief may…": the table's `who`, asked by the button and by the action -----------

async def test_only_the_chief_assigns_handling_at_the_commune(rt: Runtime) -> None:
    officer, chief, reporter = [await _person(rt, n) for n in ("o", "c", "r")]
    commune_id = await _commune(rt, officer, chief)
    tip_id = (await _submit(rt, reporter, commune_id)).tip.id
    async with rt.transaction() as session:
        await actions.act(session, rt, tip_id, officer, "accept")
        # the button is refused before any question is asked …
        with pytest.raises(NotAllowed) as refused:
            await actions.begin(session, rt, tip_id, officer, "here", await _chat(session, officer))
        assert str(refused.value) == words.ONLY_CHIEF
        # … and the action itself the same way, whoever calls it
        with pytest.raises(NotAllowed) as refused:
            await actions.act(session, rt, tip_id, officer, "here", assignee_id=officer.id)
        assert str(refused.value) == words.ONLY_CHIEF
        begun = await actions.begin(session, rt, tip_id, chief, "here",
                                    await _chat(session, chief))
        assert begun.result is None and begun.version is not None  # the questions begin
        result = await actions.act(session, rt, tip_id, chief, "here",
                                   seen_version=begun.version, assignee_id=officer.id)
        assert result.tip.status == TipStatus.HANDLED_HERE
        assert result.tip.assigned_officer_id == officer.id


async def test_a_dispatcher_may_not_assign_handling_at_the_commune_either(rt: Runtime) -> None:
    dispatcher, reporter = await _person(rt, "d"), await _person(rt, "r")
    commune_id = await _commune(rt)
    async with rt.transaction() as session:
        commune = await session.get(Area, commune_id)
        assert commune is not None
        await people.grant_role(session, dispatcher, Role.DISPATCHER, commune,
                                now=rt.clock.now(), granted_by="test")
    tip_id = (await _submit(rt, reporter, None)).tip.id  # no place: the fallback mailbox
    async with rt.transaction() as session:
        await actions.act(session, rt, tip_id, dispatcher, "accept")
        with pytest.raises(NotAllowed, match=re.escape(words.ONLY_CHIEF)):
            await actions.begin(session, rt, tip_id, dispatcher, "here",
                                await _chat(session, dispatcher))


# ---- "extended once already": lifecycle.ONCE, asked by the button, the action and the card ----

async def test_the_time_to_decide_is_extended_once(rt: Runtime) -> None:
    officer, chief, reporter = [await _person(rt, n) for n in ("o", "c", "r")]
    commune_id = await _commune(rt, officer, chief)
    tip_id = (await _submit(rt, reporter, commune_id)).tip.id
    async with rt.transaction() as session:
        chat = await _chat(session, officer)
        await actions.act(session, rt, tip_id, officer, "accept")
        await actions.act(session, rt, tip_id, chief, "here", assignee_id=officer.id)
        tip = await session.get(Tip, tip_id)
        assert tip is not None
        assert "extend" in (await cards.card_parts(session, rt, tip)).actions
        begun = await actions.begin(session, rt, tip_id, officer, "extend", chat)
        await actions.act(session, rt, tip_id, officer, "extend", seen_version=begun.version,
                          basis="complex")
        assert tip.extended and lifecycle.taken_once("extend", tip)
        again = words.ALREADY_EXTENDED.format(ref=tip_id)
        with pytest.raises(TipProblem) as refused:
            await actions.begin(session, rt, tip_id, officer, "extend", chat)
        assert str(refused.value) == again
        with pytest.raises(TipProblem) as refused:
            await actions.act(session, rt, tip_id, officer, "extend", basis="procuracy")
        assert str(refused.value) == again
        assert "extend" not in (await cards.card_parts(session, rt, tip)).actions
        assert "extend" not in lifecycle.open_actions(tip)
        assert "extend" in lifecycle.actions_for(tip.status)  # the status alone would allow it


# ---- the table itself --------------------------------------------------------------------------

def test_every_action_of_the_lifecycle_has_its_row_and_the_rows_agree_with_it() -> None:
    assert set(ACTIONS) == set(lifecycle.TRANSITIONS)
    for action, spec in ACTIONS.items():
        starts, target = lifecycle.TRANSITIONS[action]
        # the reporter hears of exactly the actions that bring a new public status
        public_change = (target is not None and target in lifecycle.PUBLIC_STATUSES
                         and target not in starts)
        assert (Tell.REPORTER in spec.tells) == public_change, action
        assert spec.who <= actions.ANY_HOLDER, action
        assert (action in lifecycle.ONCE) == (spec.again != words.NOT_ALLOWED_NOW), action
        assert (spec.change is None) == (spec.tells == Tell.NOBODY), action
        assert (Tell.NEW_COMMUNE in spec.tells) == (action == "transfer"), action


async def test_an_action_tells_whom_its_row_says(rt: Runtime) -> None:
    officer, chief, reporter = [await _person(rt, n) for n in ("o", "c", "r")]
    commune_id = await _commune(rt, officer, chief)
    tip_id = (await _submit(rt, reporter, commune_id)).tip.id
    told = len(await _texts_to(rt, reporter))
    async with rt.transaction() as session:
        result = await actions.act(session, rt, tip_id, officer, "accept")
    assert result.done == words.DONE_ACTION.format(ref=tip_id, action=words.ACTIONS["accept"])
    to_reporter = await _texts_to(rt, reporter)
    assert len(to_reporter) == told + 1
    assert words.STATUS_FOR_RESIDENT[TipStatus.ACCEPTED] in to_reporter[-1]
    # the chief's card cannot be edited on a text-only messenger: a line instead
    assert (await _texts_to(rt, chief))[-1] == result.done
    async with rt.transaction() as session:
        await actions.act(session, rt, tip_id, officer, "note", note="Đã gọi điện xác minh.")
    assert len(await _texts_to(rt, reporter)) == told + 1  # a note is internal
    async with rt.transaction() as session:
        result = await actions.act(session, rt, tip_id, officer, "ask", note="Xe màu gì?")
    assert result.relayed and "Xe màu gì?" in (await _texts_to(rt, reporter))[-1]


# ---- a report stores the tip and queues its cards in one call ----------------------------------

async def test_submitting_queues_the_officers_cards_in_the_same_call(rt: Runtime) -> None:
    officer, reporter = await _person(rt, "o"), await _person(rt, "r")
    commune_id = await _commune(rt, officer)
    submitted = await _submit(rt, reporter, commune_id)
    async with rt.db.reading() as session:
        tip = await session.get(Tip, submitted.tip.id)
        chats = (await session.scalars(select(TipCard.chat_id).where(
            TipCard.tip_id == submitted.tip.id))).all()
    assert tip is not None and tip.cards_sent_at is not None
    assert list(chats) == [officer.private_chat_id]
    assert await cards.send_pending(rt) == 0  # nothing left for the safety net


# ---- a commune's team group: bound by a chief, the only group a bare card goes to ---------------

async def test_a_bare_card_goes_to_the_team_group_of_the_tips_commune_only(rt: Runtime) -> None:
    officer, chief, reporter = [await _person(rt, n) for n in ("o", "c", "r")]
    commune_id = await _commune(rt, officer, chief)
    async with rt.transaction() as session:
        await areas.import_areas(session, [areas.AreaRow(1, "DEMO-XA-2", "Xã Hòa Bình",
                                                         "commune", "DEMO-TINH")], rt.clock)
        other_commune = (await areas.by_code(session, "DEMO-XA-2")).id
    ours, theirs, silent, unbound = [await _group(rt, name)
                                     for name in ("ours", "theirs", "silent", "unbound")]
    async with rt.transaction() as session:
        with pytest.raises(InvalidInput, match=re.escape(words.SETUP_PRIVATE)):
            await team.bind(session, await _chat(session, chief), chief, rt.clock.now())
        group = await session.get(Chat, ours.id)
        assert group is not None
        with pytest.raises(NotAllowed, match=re.escape(words.SETUP_NOT_CHIEF)):
            await team.bind(session, group, officer, rt.clock.now())
        assert await team.bind(session, group, chief, rt.clock.now()) == "Xã Bình Yên"
        for chat_id, area_id, active in ((theirs.id, other_commune, True),
                                         (silent.id, commune_id, False)):
            chat = await session.get(Chat, chat_id)
            assert chat is not None
            chat.purpose, chat.area_id, chat.active = POLICE_TEAM, area_id, active
    submitted = await _submit(rt, reporter, commune_id)
    async with rt.db.reading() as session:
        bare = (await session.scalars(select(TipCard.chat_id).where(
            TipCard.tip_id == submitted.tip.id, TipCard.bare.is_(True)))).all()
        groups = {chat.id: chat for chat in (await session.scalars(select(Chat))).all()}
    assert list(bare) == [ours.id]
    assert team.is_team_group_of(groups[silent.id], commune_id)  # bound, though silent now
    assert not team.is_team_group_of(groups[theirs.id], commune_id)
    assert not team.is_team_group_of(groups[unbound.id], commune_id)
    assert not team.is_team_group_of(groups[ours.id], None)


# ---- expired guard counters: guards.purge, run with the tip-offs' scheduled work ----------------

async def test_the_tip_jobs_purge_expired_guard_counters_and_keep_the_live_ones(
        rt: Runtime, clock: FakeClock) -> None:
    now = clock.now()
    async with rt.transaction() as session:
        session.add(GuardCounter(key="tips:old", count=1, window_start=now - timedelta(days=2),
                                 expires_at=now - timedelta(seconds=1)))
        session.add(GuardCounter(key="tips:live", count=1, window_start=now,
                                 expires_at=now + timedelta(hours=1)))
    await jobs.run_due(rt, now)
    async with rt.db.reading() as session:
        keys = set((await session.scalars(select(GuardCounter.key))).all())
    assert keys == {"tips:live"}


def test_the_officer_is_asked_for_exactly_what_an_action_needs() -> None:
    from handlers import police

    assert set(police.FIRST_STEP) == {a for a, spec in ACTIONS.items() if spec.needs}
