"""Tip-offs: the rules. Submitting (commit, then receipt), routing to the commune police,
officer actions through the lifecycle table, the resident's status lookup, two-way anonymous
follow-up, deadlines, statistics and retention.

Never logs or returns tip content or reporter identity except to the police of the tip's
commune (and the dispatcher for tips no commune can take). Receipt codes and PINs exist in
clear only in the receipt message; the database keeps keyed hashes.
"""

from __future__ import annotations

import json
import secrets
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import normalize_code, random_code
from bot.models import (
    POLICE_TEAM,
    Area,
    Chat,
    Evidence,
    GuardCounter,
    IdentityMode,
    Person,
    Role,
    RoleGrant,
    Tip,
    TipEvent,
    TipReporter,
    TipStatus,
)
from bot.runtime import Runtime
from bot.services import areas, evidence, guards, people, tip_lifecycle
from bot.services.errors import DomainError, NotAllowed
from bot.text import fold
from content import tips as words

CONTENT_CONTEXT = "tip.content"
REPORTER_CONTEXT = "tip.reporter"
PHONE_CONTEXT = "tip.phone"
EVENT_CONTEXT = "tip.event"
CODE_LENGTH = 10
POLICE = frozenset({Role.POLICE_OFFICER, Role.POLICE_CHIEF})
MAX_EVIDENCE = 10

DANGER_WORDS = ("cháy", "cướp", "dao", "súng", "cứu", "giết", "đâm", "chém", "nổ", "bắt cóc",
                "hiếp", "đánh nhau", "đánh người", "cầm dao", "máu")
DANGER_FOLDED = ("dang danh nhau", "danh nhau", "cuu voi", "cuu toi", "cuu em", "chay nha",
                 "dang chay", "co sung", "cam dao", "bat coc", "giet nguoi", "dam nguoi",
                 "dang cuop", "cuop giat", "no sung", "hiep dam", "chem nguoi")


class TipProblem(DomainError):
    pass


class TipChanged(TipProblem):
    """Someone else changed the tip between the officer's look and their action."""


# ---- codes ------------------------------------------------------------------------------------

def new_receipt_code() -> str:
    code = random_code(CODE_LENGTH)
    return f"TB-{code[:5]}-{code[5:]}"


def canonical_code(text: str) -> str | None:
    """The 10 code characters from what a person typed (with or without TB-, dashes, case)."""
    code = normalize_code(text)
    if len(code) == CODE_LENGTH + 2 and code.startswith("TB"):
        code = code[2:]
    return code if len(code) == CODE_LENGTH else None


def receipt_hash(rt: Runtime, canonical: str) -> str:
    return rt.digest(canonical, "tip.receipt")


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def pin_hash(rt: Runtime, canonical: str, pin: str) -> str:
    return rt.digest(f"{canonical}:{pin.strip()}", "tip.pin")


def sounds_urgent(text: str) -> bool:
    """Does the text suggest immediate danger? Then 113/114/115 come first."""
    lowered = f" {text.lower()} "
    if any(f" {word} " in f" {fold(lowered)} " for word in DANGER_FOLDED):
        return True
    padded = " " + " ".join(lowered.replace(",", " ").replace(".", " ").split()) + " "
    return any(f" {word} " in padded for word in DANGER_WORDS)


# ---- content ----------------------------------------------------------------------------------

@dataclass
class Draft:
    """What a resident filled in; `incident_area_id` is the village (or commune) chosen."""

    category: str
    description: str
    when: str
    identity: IdentityMode
    incident_area_id: int | None = None
    place_text: str | None = None
    address: str | None = None
    location: tuple[float, float] | None = None
    phone: str | None = None
    evidence_ids: list[int] = field(default_factory=list)
    urgent: bool = False


@dataclass(frozen=True)
class Content:
    description: str
    when: str
    place_text: str | None
    address: str | None
    location: tuple[float, float] | None


def seal_content(rt: Runtime, draft: Draft) -> bytes:
    data = {"description": draft.description, "when": draft.when,
            "place_text": draft.place_text, "address": draft.address,
            "location": list(draft.location) if draft.location else None}
    return rt.seal(json.dumps(data, ensure_ascii=False), CONTENT_CONTEXT)


def open_content(rt: Runtime, tip: Tip) -> Content | None:
    if tip.content_enc is None:
        return None
    data = json.loads(rt.open(tip.content_enc, CONTENT_CONTEXT))
    location = tuple(data["location"]) if data.get("location") else None
    return Content(data["description"], data["when"], data.get("place_text"),
                   data.get("address"), location)  # type: ignore[arg-type]


# ---- submitting -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Routing:
    """Where a tip went: its commune (None when the place is unknown), why it went to the
    fallback mailbox instead (None when it did not), and who holds that mailbox now."""

    commune: areas.AreaInfo | None
    fallback_reason: str | None
    mailbox: list[Person]


@dataclass(frozen=True)
class Submitted:
    tip: Tip
    code: str
    pin: str | None
    routing: Routing
    files: int  # evidence files attached


def _rate_window(rt: Runtime) -> guards.Window:
    return guards.Window(rt.settings.tips_per_day, timedelta(days=1))


def _rate_key(rt: Runtime, person: Person) -> str:
    return guards.guard_key(rt, "tips", str(person.id))


def _rate_day(rt: Runtime) -> datetime:
    """The start of today in the deployment's time zone: the tip counter's window opens there,
    not at the first tip. Opened at the first tip, its time sat beside a fully anonymous
    reporter's tip and, to whoever holds the key, named them."""
    local = rt.clock.now().astimezone(rt.settings.tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def rate_limited(rt: Runtime) -> str:
    """What a resident who has sent today's tips is told."""
    return words.RATE_LIMITED.format(limit=rt.settings.tips_per_day)


async def may_report(session: AsyncSession, rt: Runtime, person: Person) -> bool:
    return not await guards.is_blocked(session, _rate_key(rt, person), _rate_window(rt),
                                       _rate_day(rt))


def reporter_ref(rt: Runtime, person: Person) -> str:
    return rt.digest(str(person.id), "tip.reporter")


async def submit(session: AsyncSession, rt: Runtime, draft: Draft, person: Person,
                 owner_ref: str) -> Submitted:
    """Write the tip with its evidence and reporter link, routed, its deadline scheduled.

    The caller queues the officers' cards in the same transaction and sends the receipt only
    after it commits."""
    now = rt.clock.now()
    if not await guards.take(session, _rate_key(rt, person), _rate_window(rt), _rate_day(rt)):
        raise TipProblem(rate_limited(rt))
    # No look-up first: 50 random bits make a clash about one in 10^9 even among a million
    # tips, and the unique index turns one into a failed update, which the inbox retries
    # with a fresh code. The look-up cost every report a round trip.
    code = new_receipt_code()
    canonical = canonical_code(code)
    assert canonical is not None
    digest = receipt_hash(rt, canonical)
    pin = new_pin() if draft.identity is IdentityMode.ANONYMOUS else None
    tip = Tip(
        receipt_hash=digest, pin_hash=pin_hash(rt, canonical, pin) if pin else None,
        category=draft.category, content_enc=seal_content(rt, draft),
        incident_area_id=draft.incident_area_id, identity_mode=draft.identity,
        urgent=draft.urgent, status=TipStatus.RECEIVED, created_at=now, routed_at=now,
        cards_sent_at=now,  # the caller queues the cards in this transaction (see above)
    )
    routing = await route(session, rt, tip)  # before the insert, so the row goes in whole
    session.add(tip)
    await session.flush()
    # the link and the first event as plain inserts: nothing here needs them as objects, and
    # the ORM's flush of them cost more than the statements themselves
    if draft.identity is not IdentityMode.ANONYMOUS:
        await session.execute(insert(TipReporter.__table__), {  # type: ignore[arg-type]
            "tip_id": tip.id, "person_ref": reporter_ref(rt, person),
            "person_enc": rt.seal(str(person.id), REPORTER_CONTEXT),
            "phone_enc": rt.seal(draft.phone, PHONE_CONTEXT) if draft.phone else None,
        })
    files = await evidence.attach(session, draft.evidence_ids[:MAX_EVIDENCE], owner_ref, tip.id)
    await session.execute(insert(TipEvent.__table__), {  # type: ignore[arg-type]
        "tip_id": tip.id, "at": now, "actor_person_id": None, "actor_role": "reporter",
        "kind": "received", "to_status": TipStatus.RECEIVED, "public": True})
    return Submitted(tip, code, pin, routing, files)


async def route(session: AsyncSession, rt: Runtime, tip: Tip) -> Routing:
    """Send the tip to its commune's police, or to the fallback mailbox."""
    now = rt.clock.now()
    commune = None
    if tip.incident_area_id is not None:
        commune = await areas.enclosing_info(session, tip.incident_area_id, "commune")
    reason = None
    officers: list[Person] = []
    if commune is None:
        reason = "unknown_place"
    else:
        officers = await officers_of(session, commune.id, now)
        if not officers:
            reason = "no_officer"
    tip.commune_id = commune.id if commune else None
    tip.routed_to_fallback = reason is not None
    tip.fallback_reason = reason
    tip.routed_at = now
    tip_lifecycle.schedule(tip, rt.settings, remote=bool(commune and commune.is_remote))
    return Routing(commune, reason, await mailbox_holders(session, tip, now, officers))


# ---- who may see and act ------------------------------------------------------------------------

async def police_communes(session: AsyncSession, person: Person, now: datetime) -> list[int]:
    grants = await people.active_roles(session, person.id, now)
    return sorted({g.area_id for g in grants if Role(g.role) in POLICE})


async def is_dispatcher(session: AsyncSession, person: Person, now: datetime) -> bool:
    grants = await people.active_roles(session, person.id, now)
    return any(Role(g.role) is Role.DISPATCHER for g in grants)


async def is_chief_of(session: AsyncSession, person: Person, commune_id: int | None,
                      now: datetime) -> bool:
    if commune_id is None:
        return False
    return await people.has_role(session, person.id, {Role.POLICE_CHIEF}, now, commune_id)


async def authorize(session: AsyncSession, tip: Tip, person: Person, now: datetime) -> str:
    """The role under which `person` may see and act on `tip`; raises NotAllowed otherwise.

    Only the police of the tip's own commune — access never inherits up or down the area tree
    — and, for tips no commune could take, the dispatcher."""
    if tip.commune_id is not None and not tip.routed_to_fallback:
        grants = await people.active_roles(session, person.id, now)
        roles = {Role(g.role) for g in grants if g.area_id == tip.commune_id}
        if Role.POLICE_CHIEF in roles:
            return Role.POLICE_CHIEF
        if Role.POLICE_OFFICER in roles:
            return Role.POLICE_OFFICER
    if tip.routed_to_fallback and await is_dispatcher(session, person, now):
        return Role.DISPATCHER
    raise NotAllowed(words.NO_RIGHT)


async def get_for_officer(session: AsyncSession, tip_id: int, person: Person,
                          now: datetime) -> tuple[Tip, str]:
    tip = await session.get(Tip, tip_id)
    if tip is None:
        raise NotAllowed(words.NO_RIGHT)  # the same answer: do not confirm a tip exists
    return tip, await authorize(session, tip, person, now)


async def record(session: AsyncSession, rt: Runtime, tip: Tip, actor: Person | None,
                 role: str, kind: str, *, body: str | None = None, public: bool = False,
                 from_status: str | None = None, to_status: str | None = None) -> TipEvent:
    event = TipEvent(tip_id=tip.id, at=rt.clock.now(),
                     actor_person_id=actor.id if actor else None, actor_role=role, kind=kind,
                     from_status=from_status, to_status=to_status, public=public,
                     body_enc=rt.seal(body, EVENT_CONTEXT) if body else None)
    session.add(event)
    await session.flush()
    return event


def event_body(rt: Runtime, event: TipEvent) -> str | None:
    return rt.open(event.body_enc, EVENT_CONTEXT) if event.body_enc else None


async def record_view(session: AsyncSession, rt: Runtime, tip: Tip, viewer: Person,
                      role: str, what: str = "view") -> None:
    """Every look at a tip's details is on record."""
    await record(session, rt, tip, viewer, role, what)


# ---- officer actions -------------------------------------------------------------------------

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
    if not tip_lifecycle.allowed(action, tip.status):
        problem = TipChanged if tip.version != seen else TipProblem
        sentence = words.TIP_CHANGED if tip.version != seen else words.NOT_ALLOWED_NOW
        raise problem(sentence.format(ref=tip.id, status=words.STATUS_FOR_OFFICER[tip.status],
                                      action=words.ACTIONS[action]))
    before = tip.status
    target = tip_lifecycle.next_status(action, tip.status)
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
    public = target in tip_lifecycle.PUBLIC_STATUSES and target != before
    event = await record(session, rt, tip, actor, role, action, body=event_text,
                         public=public, from_status=before, to_status=target)
    if action == "ask":
        result.question = event
    if action == "transfer":
        await route(session, rt, tip)
    elif result.status_changed or action == "extend":
        tip_lifecycle.schedule(tip, rt.settings, remote=await is_remote(session, tip))
    return result


async def is_remote(session: AsyncSession, tip: Tip) -> bool:
    if tip.commune_id is None:
        return False
    commune = await areas.info(session, tip.commune_id)
    return bool(commune and commune.is_remote)


async def officers_of(session: AsyncSession, commune_id: int, now: datetime) -> list[Person]:
    return await people.holders(session, set(POLICE), commune_id, now)


async def chiefs_of(session: AsyncSession, commune_id: int, now: datetime) -> list[Person]:
    return await people.holders(session, {Role.POLICE_CHIEF}, commune_id, now)


async def dispatchers(session: AsyncSession, now: datetime) -> list[Person]:
    query = (
        select(Person).join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == Role.DISPATCHER, RoleGrant.revoked_at.is_(None),
               or_(RoleGrant.expires_at.is_(None), RoleGrant.expires_at > now))
        .distinct().order_by(Person.id)
    )
    return list((await session.scalars(query)).all())


async def mailbox_holders(session: AsyncSession, tip: Tip, now: datetime,
                          officers: list[Person] | None = None) -> list[Person]:
    """Who receives the tip's full card: its commune's police (`officers` when the caller has
    just asked), or the dispatchers."""
    if tip.routed_to_fallback or tip.commune_id is None:
        return await dispatchers(session, now)
    return officers if officers is not None else await officers_of(session, tip.commune_id, now)


# ---- the reporter ----------------------------------------------------------------------------

async def reporter_of(session: AsyncSession, rt: Runtime, tip: Tip) -> Person | None:
    link = await session.get(TipReporter, tip.id)
    if link is None or link.person_enc is None:
        return None
    return await session.get(Person, int(rt.open(link.person_enc, REPORTER_CONTEXT)))


async def reporter_phone(session: AsyncSession, rt: Runtime, tip: Tip) -> str | None:
    link = await session.get(TipReporter, tip.id)
    if link is None or link.phone_enc is None:
        return None
    return rt.open(link.phone_enc, PHONE_CONTEXT)


async def tips_of_reporter(session: AsyncSession, rt: Runtime, person: Person) -> list[Tip]:
    query = (select(Tip).join(TipReporter, TipReporter.tip_id == Tip.id)
             .where(TipReporter.person_ref == reporter_ref(rt, person)).order_by(Tip.id))
    return list((await session.scalars(query)).all())


async def open_questions(session: AsyncSession, tip: Tip) -> list[TipEvent]:
    query = (select(TipEvent).where(TipEvent.tip_id == tip.id, TipEvent.kind == "ask",
                                    TipEvent.answered.is_(False)).order_by(TipEvent.id))
    return list((await session.scalars(query)).all())


async def answer(session: AsyncSession, rt: Runtime, tip: Tip, text: str | None,
                 evidence_ids: list[int], owner_ref: str) -> TipEvent:
    """The reporter's answer (text or media) joins the tip's thread; open questions close."""
    event = await record(session, rt, tip, None, "reporter", "answer", body=text or None)
    await evidence.attach(session, evidence_ids, owner_ref, tip.id, event.id)
    await session.execute(update(TipEvent).where(TipEvent.tip_id == tip.id,
                                                 TipEvent.kind == "ask")
                          .values(answered=True))
    return event


# ---- status lookup with lock-outs ---------------------------------------------------------------

@dataclass(frozen=True)
class Lookup:
    """What a lookup found: the tip, or why not (`problem`). `needs_pin`: ask for the PIN;
    `again`: nothing was counted, the same PIN may simply be sent again a little later."""

    tip: Tip | None
    problem: str | None = None
    needs_pin: bool = False
    again: bool = False


PRESSURE_KEY = "lookup:global"


@dataclass(frozen=True)
class _Guards:
    """The counters one guess goes through, in the order it takes them."""

    account: str
    code: str | None
    pace: str
    per_account: guards.Window
    per_code: guards.Window
    pressure: guards.Window
    pacing: guards.Window


def _guards(rt: Runtime, canonical: str | None, person: Person) -> _Guards:
    settings = rt.settings
    hour = timedelta(hours=1)
    lockout = timedelta(minutes=settings.lookup_lockout_minutes)
    return _Guards(
        account=guards.guard_key(rt, "lookup-acct", str(person.id)),
        code=guards.guard_key(rt, "lookup-code", canonical) if canonical else None,
        pace=guards.guard_key(rt, "lookup-pace", str(person.id)),
        per_account=guards.Window(settings.lookup_failures_per_account, hour, lockout),
        per_code=guards.Window(settings.lookup_failures_per_code, hour, lockout),
        pressure=guards.Window(settings.lookup_failures_global_per_hour, hour),
        pacing=guards.Window(1, timedelta(seconds=settings.lookup_pace_seconds)),
    )


def _locked_out(rt: Runtime) -> str:
    return words.LOCKED.format(minutes=int(rt.settings.lookup_lockout_minutes))


def _pace_words(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} phút"
    return f"{int(seconds)} giây"


async def _already_locked(session: AsyncSession, rt: Runtime, g: _Guards) -> str | None:
    """A look before asking for the PIN: an account or a code locked out now is told so at
    once. Counting happens only in `_take_guess`."""
    now = rt.clock.now()
    if await guards.is_blocked(session, g.account, g.per_account, now):
        return _locked_out(rt)
    if g.code and await guards.is_blocked(session, g.code, g.per_code, now):
        return _locked_out(rt)
    return None


async def _take_guess(session: AsyncSession, rt: Runtime, g: _Guards) -> Lookup | None:
    """Count the guess before it is judged, each counter in one statement that refuses when
    it is full (see guards.take): however many guesses arrive at once, no more than the
    limits are ever judged. A refusal by a later counter gives back what the earlier ones
    took. None when the guess may be judged, else the answer to give."""
    now = rt.clock.now()
    taken: list[tuple[str, guards.Window]] = []
    steps: list[tuple[str, guards.Window, Lookup]] = []
    if await guards.is_blocked(session, PRESSURE_KEY, g.pressure, now):
        pace = rt.settings.lookup_pace_seconds
        steps.append((g.pace, g.pacing, Lookup(None, words.SLOW_DOWN.format(
            wait=_pace_words(pace)), again=True)))
    steps.append((g.account, g.per_account, Lookup(None, _locked_out(rt))))
    if g.code:
        steps.append((g.code, g.per_code, Lookup(None, _locked_out(rt))))
    for key, window, refusal in steps:
        if not await guards.take(session, key, window, now):
            for earlier, earlier_window in taken:
                await guards.give_back(session, earlier, earlier_window)
            return refusal
        taken.append((key, window))
    return None


async def _is_own(session: AsyncSession, rt: Runtime, tip: Tip, person: Person) -> bool:
    if tip.identity_mode == IdentityMode.ANONYMOUS:
        return False  # nothing ties a fully anonymous tip to any account
    link = await session.get(TipReporter, tip.id)
    return link is not None and link.person_ref == reporter_ref(rt, person)


async def lookup(session: AsyncSession, rt: Runtime, typed_code: str, person: Person,
                 pin: str | None = None) -> Lookup:
    """Find a tip for a resident: their own linked tip by code alone, any other by code + PIN.

    Unknown codes, other people's codes and wrong PINs all look the same from outside (a PIN
    is asked whenever the code alone does not prove the person's right).

    Guarding the guesses, and only the guesses:
    - A reporter's own linked tip, from their own account, needs no guess, so nothing can
      pause or lock it: it is answered before any counter is looked at.
    - Per account: `lookup_failures_per_account` wrong guesses in an hour lock the account
      out for `lookup_lockout_minutes`.
    - Per code: `lookup_failures_per_code` wrong guesses on one code lock that code out for
      code + PIN lookups. This is what keeps the PIN's million values out of reach of many
      accounts working together, so it holds for everyone who needs the PIN, the holder of
      a fully anonymous tip too: nothing may tie that tip to any account, so the bot cannot
      tell the holder from a stranger who learnt the code. The price: a stranger who has the
      code (it is 50 random bits, shown only in the receipt) can delay its holder by one
      lock-out at a time, never learn anything. A linked reporter is never delayed.
    - Under pressure (more than `lookup_failures_global_per_hour` wrong guesses in the whole
      system this hour) nobody is stopped: each account may guess once every
      `lookup_pace_seconds`, so a resident who has not guessed lately gets the answer at
      once, while a farm of accounts is slowed to one guess per account per pace. A few
      strangers can make guessing slower; they cannot switch lookups off.

    Every guess is counted before it is judged (`_take_guess`); a right one is given back."""
    canonical = canonical_code(typed_code)
    tip = None
    if canonical is not None:
        tip = await session.scalar(select(Tip).where(
            Tip.receipt_hash == receipt_hash(rt, canonical)))
    if tip is not None and await _is_own(session, rt, tip, person):
        return Lookup(tip)
    checks = _guards(rt, canonical, person)
    locked = await _already_locked(session, rt, checks)
    if locked:
        return Lookup(None, locked)
    if pin is None:
        return Lookup(None, needs_pin=True)
    refused = await _take_guess(session, rt, checks)
    if refused is not None:
        return refused
    if (tip is not None and canonical is not None and tip.pin_hash is not None
            and rt.keyring.verify_digest(f"{canonical}:{pin.strip()}", "tip.pin", tip.pin_hash)):
        await guards.give_back(session, checks.account, checks.per_account)
        if checks.code:
            await guards.give_back(session, checks.code, checks.per_code)
        return Lookup(tip)
    await guards.count(session, PRESSURE_KEY, checks.pressure, rt.clock.now())
    return Lookup(None, words.NOT_FOUND)


# ---- deadlines, reminders, escalations (run by the scheduler) --------------------------------

@dataclass(frozen=True)
class Reminder:
    tip: Tip
    to: list[Person]
    text: str


async def due_reminders(session: AsyncSession, rt: Runtime, now: datetime) -> list[Reminder]:
    """Advance every tip whose reminder or deadline has come; returns what to tell whom."""
    from bot.clock import format_local

    tz = rt.settings.tz
    due = (await session.scalars(
        select(Tip).where(Tip.next_due.is_not(None), Tip.next_due <= now,
                          Tip.status != TipStatus.CLOSED).order_by(Tip.next_due)
    )).all()
    reminders: list[Reminder] = []
    for tip in due:
        deadline = tip_lifecycle.deadline_for(tip, rt.settings, remote=await is_remote(session, tip))
        if deadline is None:
            tip.next_due = None
            continue
        category = words.CATEGORIES.get(tip.category, tip.category)
        what = words.DEADLINE_WHAT[deadline.what]
        when = format_local(deadline.at, tz)
        responsible = await responsible_officers(session, tip, now)
        if deadline.what == "followup":
            body = tip.forwarded_to or "cơ quan điều tra"
            reminders.append(Reminder(tip, responsible, words.FOLLOWUP.format(
                ref=tip.id, body=body, when=format_local(tip.forwarded_at or tip.created_at, tz))))
            tip.next_due = now + timedelta(days=rt.settings.tip_followup_days)
            continue
        if tip.reminder_stage == 0 and now < deadline.at:
            reminders.append(Reminder(tip, responsible, words.REMINDER.format(
                ref=tip.id, category=category, what=what, when=when)))
            tip.reminder_stage, tip.next_due = 1, deadline.at
            continue
        tip.overdue = True
        tip.reminder_stage, tip.next_due = 2, None
        if deadline.escalate:
            chiefs = await chiefs_of(session, tip.commune_id, now) if tip.commune_id else []
            targets = chiefs or responsible
            reminders.append(Reminder(tip, targets, words.ESCALATION.format(
                ref=tip.id, category=category, what=what, when=when)))
            await record(session, rt, tip, None, "system", "escalation", body=deadline.what)
    return reminders


async def responsible_officers(session: AsyncSession, tip: Tip, now: datetime) -> list[Person]:
    if tip.assigned_officer_id is not None:
        officer = await session.get(Person, tip.assigned_officer_id)
        if officer is not None and tip.commune_id is not None and await people.has_role(
                session, officer.id, set(POLICE), now, tip.commune_id):
            return [officer]
    return await mailbox_holders(session, tip, now)


# ---- retention --------------------------------------------------------------------------------

async def purge_closed(session: AsyncSession, rt: Runtime, now: datetime) -> int:
    """Delete the content of tips closed longer ago than the retention period; keep counts."""
    cutoff = now - timedelta(days=30.44 * rt.settings.tip_retention_months)
    old = (await session.scalars(select(Tip).where(
        Tip.status == TipStatus.CLOSED, Tip.closed_at < cutoff,
        Tip.content_purged_at.is_(None)))).all()
    for tip in old:
        tip.content_enc = None
        tip.content_purged_at = now
        link = await session.get(TipReporter, tip.id)
        if link is not None:
            await session.delete(link)
        await session.execute(update(TipEvent).where(TipEvent.tip_id == tip.id)
                              .values(body_enc=None))
        await session.execute(update(Evidence).where(Evidence.tip_id == tip.id)
                              .values(data_enc=None, meta_enc=b""))
        await session.execute(Evidence.__table__.delete().where(Evidence.tip_id == tip.id))
    return len(old)


async def purge_guards(session: AsyncSession, now: datetime) -> None:
    await session.execute(GuardCounter.__table__.delete().where(GuardCounter.expires_at <= now))


# ---- statistics -------------------------------------------------------------------------------

@dataclass
class Stats:
    total: int = 0
    unrouted: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    forwarded: int = 0
    forwarded_in_time: int = 0
    closed: int = 0
    median_accept_h: float | None = None
    median_forward_h: float | None = None

    @property
    def resolution_rate(self) -> float | None:
        return self.closed / self.total if self.total else None


async def stats(session: AsyncSession, rt: Runtime, commune_ids: list[int] | None,
                start: datetime, end: datetime) -> Stats:
    query = select(Tip).where(Tip.created_at >= start, Tip.created_at < end)
    if commune_ids is not None:
        query = query.where(Tip.commune_id.in_(commune_ids))
    result = Stats()
    accept_hours: list[float] = []
    forward_hours: list[float] = []
    for tip in (await session.scalars(query)).all():
        result.total += 1
        result.unrouted += int(tip.routed_to_fallback)
        result.by_status[tip.status] = result.by_status.get(tip.status, 0) + 1
        result.by_category[tip.category] = result.by_category.get(tip.category, 0) + 1
        result.overdue += int(tip.overdue and tip.status != TipStatus.CLOSED)
        result.closed += int(tip.status == TipStatus.CLOSED)
        if tip.accepted_at:
            accept_hours.append((tip.accepted_at - tip.created_at).total_seconds() / 3600)
        if tip.forwarded_at:
            result.forwarded += 1
            hours = (tip.forwarded_at - tip.created_at).total_seconds() / 3600
            forward_hours.append(hours)
            limit = (rt.settings.tip_forward_remote_hours if await is_remote(session, tip)
                     else rt.settings.tip_forward_hours)
            result.forwarded_in_time += int(hours <= limit)
    result.median_accept_h = statistics.median(accept_hours) if accept_hours else None
    result.median_forward_h = statistics.median(forward_hours) if forward_hours else None
    return result


TEAM_CHATS = select(Chat).where(Chat.purpose == POLICE_TEAM,
                                Chat.area_id == bindparam("commune_id"), Chat.active.is_(True))


async def team_chats(session: AsyncSession, commune_id: int) -> list[Chat]:
    return list((await session.scalars(TEAM_CHATS, {"commune_id": commune_id})).all())
