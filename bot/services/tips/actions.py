"""Officer actions on a tip, as a table: for each action who may take it, what the officer
must give first, what it changes and who hears of it. From which statuses it may start, and
where it leads, is the lifecycle table's (`lifecycle.TRANSITIONS`); an action the law allows
once (`lifecycle.ONCE`) is refused the second time.

`act` applies any action in one call: it locks the tip, checks the officer's right again,
changes the tip, records the event with actor and time, and queues every message the change
calls for (the cards, the reporter, the new commune), all in the caller's transaction.
`begin` is what pressing an action's button (or typing its command) does: the same checks,
then the action at once, or — when the officer must give something first — the version of
the tip the officer's answers will act upon.

Never tells the reporter who acted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Flag, auto

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Chat, Person, Role, Tip
from bot.parse import parse_ref
from bot.runtime import Runtime
from bot.services import areas, people
from bot.services.errors import NotAllowed
from bot.services.tips import TipChanged, TipProblem, cards, lifecycle
from bot.services.tips.access import POLICE, authorize, get_for_officer, officers_of
from bot.services.tips.events import record, record_view
from bot.services.tips.intake import route
from content import tips as words


class WrongInput(TipProblem):
    """What the officer gave does not fit (a commune that is not one, the tip's own commune):
    the step that asked for it may ask again."""


class Tell(Flag):
    """Who hears of an action, besides the officer who took it."""

    NOBODY = 0
    CARDS = auto()  # every card of the tip brought up to date (a line where cards cannot change)
    REPORTER = auto()  # a linked reporter hears the new public status, never who acted
    QUESTION = auto()  # the officer's question goes to a linked reporter
    NEW_COMMUNE = auto()  # the officers and team group of the tip's new commune get its cards


@dataclass(frozen=True)
class Inputs:
    """What an officer gives for an action (each action reads its own)."""

    body: str | None = None  # forward: the investigation body
    assignee_id: int | None = None  # here: the officer who handles it
    complex_case: bool = False  # here: a complex case (a longer deadline)
    basis: str | None = None  # extend: the legal basis (a key of words.EXTENSION_BASES)
    outcome: str | None = None  # close: a key of words.OUTCOMES
    duplicate_of: int | None = None  # close as a duplicate: the other tip
    public_note: str | None = None  # close: a note the reporter reads
    note: str | None = None  # note, ask: the text
    commune: str | None = None  # transfer: the commune's name as typed


@dataclass
class ActionResult:
    tip: Tip
    action: str
    role: str
    status_changed: bool
    done: str  # the confirmation: to the officer, and to colleagues whose cards cannot change
    public_note: str | None = None
    relayed: bool = False  # ask: the question reached the reporter (else it waits for a lookup)
    moved_to: str | None = None  # transfer: the new commune's name


@dataclass
class Change:
    """What an action's change works with."""

    session: AsyncSession
    rt: Runtime
    tip: Tip
    actor: Person
    role: str
    now: datetime
    inputs: Inputs
    result: ActionResult


# An action's change: alters the tip (its status is set afterwards, from the lifecycle table)
# and returns what its event records, or raises TipProblem when the inputs do not fit.
ChangeFn = Callable[[Change], Awaitable[str | None]]


async def _accept(c: Change) -> str | None:
    c.tip.accepted_at = c.now
    c.tip.assigned_officer_id = c.tip.assigned_officer_id or c.actor.id
    return None


async def _verify(c: Change) -> str | None:
    c.tip.assigned_officer_id = c.tip.assigned_officer_id or c.actor.id
    c.tip.accepted_at = c.tip.accepted_at or c.now
    return None


async def _forward(c: Change) -> str | None:
    if not c.inputs.body:
        raise TipProblem(words.ASK_BODY.format(ref=c.tip.id))
    c.tip.forwarded_to, c.tip.forwarded_at = c.inputs.body, c.now
    return c.inputs.body


async def _handle_here(c: Change) -> str | None:
    wanted = c.inputs.assignee_id
    assignee = await c.session.get(Person, wanted) if wanted is not None else None
    if assignee is None or not await people.has_role(
            c.session, assignee.id, set(POLICE), c.now, c.tip.commune_id):
        raise TipProblem(words.ASK_ASSIGNEE.format(ref=c.tip.id))
    c.tip.assigned_officer_id = assignee.id
    c.tip.complex_case = c.inputs.complex_case
    return people.display_name(c.rt, assignee)


async def _extend(c: Change) -> str | None:
    if c.inputs.basis not in words.EXTENSION_BASES:
        raise TipProblem(words.ASK_EXTENSION.format(ref=c.tip.id))
    c.tip.extended = True
    return words.EXTENSION_BASES[c.inputs.basis]


async def _close(c: Change) -> str | None:
    outcome = c.inputs.outcome
    if outcome not in words.OUTCOMES:
        raise TipProblem(words.ASK_OUTCOME.format(ref=c.tip.id))
    text = words.OUTCOMES[outcome]
    if outcome == "duplicate":
        other = await _duplicate(c.session, c.tip, c.inputs.duplicate_of)
        if other is None:
            raise TipProblem(words.DUPLICATE_INVALID.format(typed=c.inputs.duplicate_of or "?"))
        text = f"{text} #{other.id}"
    c.tip.outcome, c.tip.closed_at = outcome, c.now
    c.result.public_note = c.inputs.public_note
    return text


async def _write(c: Change) -> str | None:
    if not c.inputs.note:
        raise TipProblem(words.ASK_NOTE.format(ref=c.tip.id))
    return c.inputs.note


async def _transfer(c: Change) -> str | None:
    typed = (c.inputs.commune or "").strip()
    found = await areas.find_areas(c.session, typed, level="commune")
    if len(found) != 1:
        raise WrongInput(words.TRANSFER_NOT_FOUND.format(typed=typed[:60]))
    commune = found[0]
    if commune.id == c.tip.commune_id:
        raise WrongInput(words.TRANSFER_SAME.format(ref=c.tip.id))
    c.tip.incident_area_id = commune.id
    c.tip.assigned_officer_id = None
    c.tip.accepted_at = None
    c.result.moved_to = commune.name
    return f"{commune.name} ({commune.code})"


# Who may take an action: the roles `access.authorize` lets act on a tip, or fewer.
ANY_HOLDER = frozenset({Role.POLICE_CHIEF, Role.POLICE_OFFICER, Role.DISPATCHER})
CHIEF = frozenset({Role.POLICE_CHIEF})


@dataclass(frozen=True)
class Action:
    who: frozenset[Role]
    needs: tuple[str, ...]  # fields of `Inputs` the officer gives first (asked step by step)
    change: ChangeFn | None  # None: a look, nothing changes
    tells: Tell
    refusal: str = words.NO_RIGHT  # what someone outside `who` is told
    again: str = words.NOT_ALLOWED_NOW  # what a second try of a once-only action is told


ACTIONS: dict[str, Action] = {
    "accept": Action(ANY_HOLDER, (), _accept, Tell.CARDS | Tell.REPORTER),
    "verify": Action(ANY_HOLDER, (), _verify, Tell.CARDS | Tell.REPORTER),
    "forward": Action(ANY_HOLDER, ("body",), _forward, Tell.CARDS | Tell.REPORTER),
    "here": Action(CHIEF, ("assignee_id", "complex_case"), _handle_here,
                   Tell.CARDS | Tell.REPORTER, refusal=words.ONLY_CHIEF),
    "extend": Action(ANY_HOLDER, ("basis",), _extend, Tell.CARDS,
                     again=words.ALREADY_EXTENDED),
    "close": Action(ANY_HOLDER, ("outcome", "public_note"), _close, Tell.CARDS | Tell.REPORTER),
    "ask": Action(ANY_HOLDER, ("note",), _write, Tell.CARDS | Tell.QUESTION),
    "note": Action(ANY_HOLDER, ("note",), _write, Tell.CARDS),
    "transfer": Action(ANY_HOLDER, ("commune",), _transfer, Tell.CARDS | Tell.NEW_COMMUNE),
    "evidence": Action(ANY_HOLDER, (), None, Tell.NOBODY),  # the files, to the officer only
}


def _refuse(tip: Tip, role: str, action: str, seen_version: int) -> None:
    """Raise why `role` may not take `action` on `tip` now, if it may not: the tip's status
    (told as a change by someone else when the tip changed since the officer looked), the
    role, or an action the law allows once and that was taken."""
    if not lifecycle.allowed(action, tip.status):
        changed = tip.version != seen_version
        problem = TipChanged if changed else TipProblem
        sentence = words.TIP_CHANGED if changed else words.NOT_ALLOWED_NOW
        raise problem(sentence.format(ref=tip.id, status=words.STATUS_FOR_OFFICER[tip.status],
                                      action=words.ACTIONS[action]))
    spec = ACTIONS[action]
    if Role(role) not in spec.who:
        raise NotAllowed(spec.refusal)
    if lifecycle.taken_once(action, tip):
        raise TipProblem(spec.again.format(ref=tip.id, status=words.STATUS_FOR_OFFICER[tip.status],
                                           action=words.ACTIONS[action]))


@dataclass(frozen=True)
class Begun:
    """What pressing an action's button led to: done at once (`result`), the files sent
    (`result` None, `version` None), or the officer is to give `needs` for the tip as it
    stands at `version`."""

    tip_id: int
    result: ActionResult | None = None
    version: int | None = None


async def begin(session: AsyncSession, rt: Runtime, tip_id: int, actor: Person, action: str,
                chat: Chat) -> Begun:
    """An officer chose `action` on a tip, in their private `chat`: refused (DomainError),
    done at once, or started (the officer's answers then go to `act`)."""
    now = rt.clock.now()
    tip, role = await get_for_officer(session, tip_id, actor, now)
    _refuse(tip, role, action, tip.version)
    spec = ACTIONS[action]
    if spec.change is None:  # the evidence files, or a one-time link to them
        if rt.parts(chat.channel).capabilities.sends_files:
            await record_view(session, rt, tip, actor, role, "evidence")
        # elsewhere opening the link is what records the view
        await cards.send_evidence(session, rt, tip, chat, actor)
        return Begun(tip.id)
    if spec.needs:
        return Begun(tip.id, version=tip.version)
    return Begun(tip.id, await act(session, rt, tip.id, actor, action))


LOCK_TIP = (select(Tip).where(Tip.id == bindparam("tip_id")).with_for_update()
            .execution_options(populate_existing=True))


async def act(session: AsyncSession, rt: Runtime, tip_id: int, actor: Person, action: str,
              *, seen_version: int | None = None, body: str | None = None,
              assignee_id: int | None = None, complex_case: bool = False,
              basis: str | None = None, outcome: str | None = None,
              duplicate_of: int | None = None, public_note: str | None = None,
              note: str | None = None, commune: str | None = None) -> ActionResult:
    """Apply one action to a tip by the table, record it, and queue what it tells whom.

    The tip's row is locked first and read again (`SELECT … FOR UPDATE`; SQLite's writers
    take turns anyway): two officers acting at once are handled one after the other, and the
    second sees what the first did. Actions that still fit go through (two notes); one that
    no longer fits because the tip changed since the officer looked (`seen_version`, when
    the action took several steps; else when the tip was read in this transaction) raises
    TipChanged, so the officer hears that someone else was quicker, and nothing is recorded
    or told twice."""
    now = rt.clock.now()
    tip = await session.get(Tip, tip_id)
    if tip is None:
        raise NotAllowed(words.NO_RIGHT)  # the same answer: do not confirm a tip exists
    seen = tip.version if seen_version is None else seen_version
    await session.scalar(LOCK_TIP, {"tip_id": tip.id})  # refreshes `tip` in place
    role = await authorize(session, tip, actor, now)
    _refuse(tip, role, action, seen)
    spec = ACTIONS[action]
    if spec.change is None:
        raise ValueError(f"{action} changes nothing: see begin()")
    before = tip.status
    target = lifecycle.next_status(action, tip.status)
    done = words.DONE_ACTION.format(ref=tip.id, action=words.ACTIONS[action])
    result = ActionResult(tip, action, role, status_changed=target != before, done=done)
    inputs = Inputs(body=body, assignee_id=assignee_id, complex_case=complex_case, basis=basis,
                    outcome=outcome, duplicate_of=duplicate_of, public_note=public_note,
                    note=note, commune=commune)
    event_text = await spec.change(Change(session, rt, tip, actor, role, now, inputs, result))
    tip.status = target
    tip.version += 1
    public = target in lifecycle.PUBLIC_STATUSES and target != before
    await record(session, rt, tip, actor, role, action, body=event_text, public=public,
                 from_status=before, to_status=target)
    if Tell.NEW_COMMUNE in spec.tells:
        await route(session, rt, tip)
    elif result.status_changed or action == "extend":
        lifecycle.schedule(tip, rt.settings, remote=await lifecycle.is_remote(session, tip))
    await _tell(session, rt, result, actor, spec.tells, inputs)
    return result


async def _tell(session: AsyncSession, rt: Runtime, result: ActionResult, actor: Person,
                tells: Tell, inputs: Inputs) -> None:
    """Queue what an action tells whom, in this order: the cards (the old commune's withdrawn
    after a transfer), the new commune's cards, the reporter."""
    tip = result.tip
    if Tell.CARDS in tells:
        await cards.refresh(session, rt, tip, actor=actor, note=result.done)
    if Tell.NEW_COMMUNE in tells:
        await cards.send_new(session, rt, tip)
    if Tell.REPORTER in tells:
        await cards.notify_reporter(session, rt, tip, result.public_note)
    if Tell.QUESTION in tells and inputs.note:
        result.relayed = await cards.relay_question(session, rt, tip, inputs.note)


# ---- what the steps of an action ask, checked where they are asked ----------------------------

async def assignees(session: AsyncSession, rt: Runtime, tip_id: int, actor: Person
                    ) -> list[Person]:
    """The officers a tip can be given to: its commune's police."""
    now = rt.clock.now()
    tip, _ = await get_for_officer(session, tip_id, actor, now)
    return await officers_of(session, tip.commune_id or 0, now)


async def _duplicate(session: AsyncSession, tip: Tip, other_id: int | None) -> Tip | None:
    """The tip `tip` duplicates: another tip of the same commune."""
    other = await session.get(Tip, other_id) if other_id else None
    if other is None or other.id == tip.id or other.commune_id != tip.commune_id:
        return None
    return other


async def duplicate_target(session: AsyncSession, rt: Runtime, tip_id: int, actor: Person,
                           typed: str) -> int:
    """The tip number an officer typed as the one this tip duplicates; WrongInput when it is
    not another tip of the same commune."""
    tip, _ = await get_for_officer(session, tip_id, actor, rt.clock.now())
    other = await _duplicate(session, tip, parse_ref(typed))
    if other is None:
        raise WrongInput(words.DUPLICATE_INVALID.format(typed=typed.strip()[:20]))
    return other.id
