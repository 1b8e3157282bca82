"""Officer actions on a tip, through the lifecycle table, each a `TipEvent` with actor and time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Person, Role, Tip, TipEvent
from bot.runtime import Runtime
from bot.services import people
from bot.services.errors import NotAllowed
from bot.services.tips import TipChanged, TipProblem, lifecycle
from bot.services.tips.access import POLICE, authorize
from bot.services.tips.events import record
from bot.services.tips.intake import route
from content import tips as words


@dataclass
class ActionResult:
    tip: Tip
    action: str
    role: str
    status_changed: bool
    public_note: str | None = None
    question: TipEvent | None = None
    moved_from: int | None = None


LOCK_TIP = (select(Tip).where(Tip.id == bindparam("tip_id")).with_for_update()
            .execution_options(populate_existing=True))


async def act(session: AsyncSession, rt: Runtime, tip: Tip, actor: Person, action: str,
              *, body: str | None = None, outcome: str | None = None,
              note: str | None = None, public_note: str | None = None,
              assignee: Person | None = None, complex_case: bool | None = None,
              basis: str | None = None, duplicate_of: int | None = None,
              commune: Area | None = None, seen_version: int | None = None) -> ActionResult:
    """Apply one action to a tip, by the lifecycle table, as a TipEvent with actor and time.

    The tip's row is locked first and read again (`SELECT … FOR UPDATE`; SQLite's writers
    take turns anyway): two officers acting at once are handled one after the other, and the
    second sees what the first did. Actions that still fit go through (two notes); one that
    no longer fits because the tip changed since the officer looked (`seen_version`, when
    the action took several steps; else when `tip` was read) raises TipChanged, so the
    officer hears that someone else was quicker, and nothing is recorded or told twice."""
    now = rt.clock.now()
    seen = tip.version if seen_version is None else seen_version
    await session.scalar(LOCK_TIP, {"tip_id": tip.id})  # refreshes `tip` in place
    role = await authorize(session, tip, actor, now)
    if not lifecycle.allowed(action, tip.status):
        problem = TipChanged if tip.version != seen else TipProblem
        sentence = words.TIP_CHANGED if tip.version != seen else words.NOT_ALLOWED_NOW
        raise problem(sentence.format(ref=tip.id, status=words.STATUS_FOR_OFFICER[tip.status],
                                      action=words.ACTIONS[action]))
    before = tip.status
    target = lifecycle.next_status(action, tip.status)
    event_text = note
    result = ActionResult(tip, action, role, status_changed=target != before)
    if action == "accept":
        tip.accepted_at = now
        tip.assigned_officer_id = tip.assigned_officer_id or actor.id
    elif action == "verify":
        tip.assigned_officer_id = tip.assigned_officer_id or actor.id
        tip.accepted_at = tip.accepted_at or now
    elif action == "forward":
        if not body:
            raise TipProblem(words.ASK_BODY.format(ref=tip.id))
        tip.forwarded_to, tip.forwarded_at = body, now
        event_text = body
    elif action == "here":
        if role != Role.POLICE_CHIEF:
            raise NotAllowed(words.ONLY_CHIEF)
        if assignee is None or not await people.has_role(
                session, assignee.id, set(POLICE), now, tip.commune_id):
            raise TipProblem(words.ASK_ASSIGNEE.format(ref=tip.id))
        tip.assigned_officer_id = assignee.id
        tip.complex_case = bool(complex_case)
        event_text = people.display_name(rt, assignee)
    elif action == "extend":
        if tip.extended:
            raise TipProblem(words.ALREADY_EXTENDED.format(ref=tip.id))
        if basis not in words.EXTENSION_BASES:
            raise TipProblem(words.ASK_EXTENSION.format(ref=tip.id))
        tip.extended = True
        event_text = words.EXTENSION_BASES[basis]
    elif action == "close":
        if outcome not in words.OUTCOMES:
            raise TipProblem(words.ASK_OUTCOME.format(ref=tip.id))
        if outcome == "duplicate":
            other = await session.get(Tip, duplicate_of) if duplicate_of else None
            if other is None or other.id == tip.id or other.commune_id != tip.commune_id:
                raise TipProblem(words.DUPLICATE_INVALID.format(typed=duplicate_of or "?"))
            event_text = f"{words.OUTCOMES[outcome]} #{other.id}"
        else:
            event_text = words.OUTCOMES[outcome]
        tip.outcome, tip.closed_at = outcome, now
        result.public_note = public_note
    elif action == "transfer":
        if commune is None or commune.level != "commune":
            raise TipProblem(words.ASK_TRANSFER.format(ref=tip.id))
        if commune.id == tip.commune_id:
            raise TipProblem(words.TRANSFER_SAME.format(ref=tip.id))
        result.moved_from = tip.commune_id
        event_text = f"{commune.name} ({commune.code})"
        tip.incident_area_id = commune.id
        tip.assigned_officer_id = None
        tip.accepted_at = None
    elif action in ("note", "ask") and not note:
        raise TipProblem(words.ASK_NOTE.format(ref=tip.id))
    tip.status = target
    tip.version += 1
    public = target in lifecycle.PUBLIC_STATUSES and target != before
    event = await record(session, rt, tip, actor, role, action, body=event_text,
                         public=public, from_status=before, to_status=target)
    if action == "ask":
        result.question = event
    if action == "transfer":
        await route(session, rt, tip)
    elif result.status_changed or action == "extend":
        lifecycle.schedule(tip, rt.settings, remote=await lifecycle.is_remote(session, tip))
    return result
