"""Who may see and act on a tip, and who holds its mailbox: only the police of the tip's own
commune (access never inherits up or down the area tree) and, for tips no commune could take,
the dispatchers. Also the way back to a linked reporter, which only this package follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Person, Role, RoleGrant, Tip, TipReporter
from bot.runtime import Runtime
from bot.services import people
from bot.services.errors import NotAllowed
from bot.services.tips.sealed import PHONE_CONTEXT, REPORTER_CONTEXT
from content import tips as words

POLICE = frozenset({Role.POLICE_OFFICER, Role.POLICE_CHIEF})


@dataclass(frozen=True)
class MailboxScope:
    """The tips a person may list: those of the communes they police, and the fallback
    mailbox's for a dispatcher."""

    communes: list[int]
    dispatcher: bool


async def mailbox_scope(session: AsyncSession, person: Person, now: datetime) -> MailboxScope:
    """Raises NotAllowed for someone who is neither police nor a dispatcher."""
    grants = await people.active_roles(session, person.id, now)
    scope = MailboxScope(sorted({g.area_id for g in grants if Role(g.role) in POLICE}),
                         any(Role(g.role) is Role.DISPATCHER for g in grants))
    if not scope.communes and not scope.dispatcher:
        raise NotAllowed(words.NOT_POLICE)
    return scope


async def is_dispatcher(session: AsyncSession, person: Person, now: datetime) -> bool:
    grants = await people.active_roles(session, person.id, now)
    return any(Role(g.role) is Role.DISPATCHER for g in grants)


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


async def responsible_officers(session: AsyncSession, tip: Tip, now: datetime) -> list[Person]:
    if tip.assigned_officer_id is not None:
        officer = await session.get(Person, tip.assigned_officer_id)
        if officer is not None and tip.commune_id is not None and await people.has_role(
                session, officer.id, set(POLICE), now, tip.commune_id):
            return [officer]
    return await mailbox_holders(session, tip, now)


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
