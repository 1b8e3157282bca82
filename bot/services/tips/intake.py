"""A new tip: may this person report now, the tip stored with its evidence and reporter link,
routed to its commune's police (or the fallback mailbox), its first deadline set.

Never logs the tip's content or who sent it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, IdentityMode, Person, Tip, TipEvent, TipReporter, TipStatus
from bot.runtime import Runtime
from bot.services import areas, evidence, guards
from bot.services.errors import InvalidInput
from bot.services.tips import TipProblem, access, cards, lifecycle
from bot.services.tips.codes import (
    canonical_code,
    new_pin,
    new_receipt_code,
    pin_hash,
    receipt_hash,
    reporter_ref,
)
from bot.services.tips.sealed import PHONE_CONTEXT, REPORTER_CONTEXT, Draft, seal_content
from bot.text import fold
from content import tips as words

MAX_EVIDENCE = 10
MAX_LISTED_COMMUNES = 8  # more than this, and the reporter types the commune's name
MAX_LISTED_VILLAGES = 12

DANGER_WORDS = words.DANGER_WORDS
DANGER_FOLDED = words.DANGER_FOLDED


def sounds_urgent(text: str) -> bool:
    """Does the text suggest immediate danger? Then 113/114/115 come first."""
    lowered = f" {text.lower()} "
    if any(f" {word} " in f" {fold(lowered)} " for word in DANGER_FOLDED):
        return True
    padded = " " + " ".join(lowered.replace(",", " ").replace(".", " ").split()) + " "
    return any(f" {word} " in padded for word in DANGER_WORDS)


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


async def submit(session: AsyncSession, rt: Runtime, draft: Draft, person: Person,
                 owner_ref: str) -> Submitted:
    """Write the tip with its evidence and reporter link, routed, its deadline scheduled, and
    queue its cards (the officers' full cards, the team group's bare one), all in the caller's
    transaction; the receipt (`Submitted.code`, `.pin`) goes out only after it commits."""
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
        cards_sent_at=now,  # queued below, in this transaction
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
    await cards.send_new(session, rt, tip, mailbox=routing.mailbox, files=files)
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
        officers = await access.officers_of(session, commune.id, now)
        if not officers:
            reason = "no_officer"
    tip.commune_id = commune.id if commune else None
    tip.routed_to_fallback = reason is not None
    tip.fallback_reason = reason
    tip.routed_at = now
    lifecycle.schedule(tip, rt.settings, remote=bool(commune and commune.is_remote))
    return Routing(commune, reason, await access.mailbox_holders(session, tip, now, officers))


# ---- where: the commune and village a reporter chooses ---------------------------------------

async def communes_to_offer(session: AsyncSession, matches: list[int] | None = None
                            ) -> list[Area]:
    """The communes a reporter chooses from: those that matched what they typed (`matches`),
    else every commune when there are few enough to list, else none (they type the name)."""
    if matches:
        found = [await session.get(Area, area_id) for area_id in matches]
        return [a for a in found if a is not None]
    count = await session.scalar(
        select(func.count()).select_from(Area).where(Area.level == "commune"))
    if not count or count > MAX_LISTED_COMMUNES:
        return []
    return list((await session.scalars(
        select(Area).where(Area.level == "commune").order_by(Area.name))).all())


@dataclass(frozen=True)
class Place:
    """A choice of where: a village ("v<id>"), or a commune whose village is not known
    ("c<id>")."""

    key: str
    label: str


VILLAGE_KEY, COMMUNE_KEY = "v", "c"


async def places_to_offer(session: AsyncSession) -> list[Place] | None:
    """Every village of every commune in one list, and each commune for «not sure which
    village», when the whole fits in one list (a small deployment): one answer instead of
    two. None when it does not: then the commune comes first."""
    communes = await communes_to_offer(session)
    if not communes:
        return None
    places: list[Place] = []
    for commune in communes:
        villages = [a for a in await areas.children(session, commune.id)
                    if a.level == "village"]
        places += [Place(f"{VILLAGE_KEY}{v.id}", v.name) for v in villages]
        label = words.PLACE_COMMUNE.format(commune=commune.name) if villages else commune.name
        places.append(Place(f"{COMMUNE_KEY}{commune.id}", label))
    if len(places) > MAX_LISTED_VILLAGES or len({p.label for p in places}) < len(places):
        return None  # too many, or two villages of the same name: the commune first
    return places


async def place_of(session: AsyncSession, key: str) -> tuple[int | None, int | None]:
    """The commune and the area of a `Place` chosen: (commune, village or commune)."""
    area_id = int(key[1:])
    if key.startswith(COMMUNE_KEY):
        return area_id, area_id
    commune = await areas.enclosing_info(session, area_id, "commune")
    return (commune.id if commune else None), area_id


async def find_place(session: AsyncSession, typed: str) -> tuple[int | None, int] | None:
    """The one village or commune a reporter typed (old names too): (commune, area); None when
    none or several match."""
    found = [*await areas.find_areas(session, typed, level="village"),
             *await areas.find_areas(session, typed, level="commune")]
    if len(found) != 1:
        return None
    key = COMMUNE_KEY if found[0].level == "commune" else VILLAGE_KEY
    return await place_of(session, f"{key}{found[0].id}")


@dataclass(frozen=True)
class Villages:
    commune: str  # the commune's name
    listed: list[Area]  # its villages, when few enough to list


async def villages_to_offer(session: AsyncSession, commune_id: int) -> Villages:
    villages = await areas.children(session, commune_id)
    listed = villages if len(villages) <= MAX_LISTED_VILLAGES else []
    return Villages(await _name(session, commune_id), listed)


async def find_village(session: AsyncSession, commune_id: int, typed: str) -> int:
    """The village of the commune a reporter typed (old names too); InvalidInput, saying so,
    when none or several match."""
    found = await areas.find_areas(session, typed, within=commune_id)
    if len(found) != 1:
        raise InvalidInput(words.VILLAGE_NOT_FOUND.format(
            typed=typed[:60], commune=areas.in_sentence(await _name(session, commune_id))))
    return found[0].id


async def _name(session: AsyncSession, area_id: int) -> str:
    info = await areas.info(session, area_id)
    return info.name if info else ""
