"""One-time, expiring links to a tip's evidence page, for messengers that cannot carry files
(Zalo sends a photo only from a public URL, and evidence must never be public).

The link is made for one officer of the tip's commune, works once, expires after
`BINHYEN_EVIDENCE_LINK_MINUTES`, and opening it is recorded as a view of the tip.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import EvidenceLink, Person, Tip
from bot.runtime import Runtime
from bot.services import evidence
from bot.services.errors import NotAllowed
from bot.services.tips import access, events


def _hash(rt: Runtime, token: str) -> str:
    return rt.digest(token, "evidence.link")


async def create(session: AsyncSession, rt: Runtime, tip: Tip, officer: Person) -> str | None:
    """A link for `officer`, or None when the bot has no public address (no link possible)."""
    if rt.settings.public_url is None:
        return None
    await access.authorize(session, tip, officer, rt.clock.now())
    token = secrets.token_urlsafe(24)
    now = rt.clock.now()
    session.add(EvidenceLink(
        token_hash=_hash(rt, token), tip_id=tip.id, person_id=officer.id, created_at=now,
        expires_at=now + timedelta(minutes=rt.settings.evidence_link_minutes)))
    await session.flush()
    return f"{str(rt.settings.public_url).rstrip('/')}/evidence/{token}"


@dataclass(frozen=True)
class Opened:
    tip: Tip
    files: list[evidence.EvidenceFile]


SPEND_LINK = (
    update(EvidenceLink)
    .where(EvidenceLink.token_hash == bindparam("digest"), EvidenceLink.used_at.is_(None),
           EvidenceLink.expires_at > bindparam("now"))
    .values(used_at=bindparam("spent_at"))
    .returning(EvidenceLink.tip_id, EvidenceLink.person_id)
)


async def open_once(session: AsyncSession, rt: Runtime, token: str) -> Opened:
    """Spend the link: used, expired, unknown or no longer allowed all answer NotAllowed.

    Spent by one conditional UPDATE (… WHERE used_at IS NULL … RETURNING): of the same link
    opened several times at once, exactly one request gets the page. A refusal afterwards
    (the officer lost the role) raises, which rolls the spending back with the rest."""
    now = rt.clock.now()
    spent = (await session.execute(SPEND_LINK, {
        "digest": _hash(rt, token), "now": now, "spent_at": now})).first()
    if spent is None:
        raise NotAllowed("link")
    tip = await session.get(Tip, spent.tip_id)
    officer = await session.get(Person, spent.person_id)
    if tip is None or officer is None:
        raise NotAllowed("link")
    role = await access.authorize(session, tip, officer, now)
    await events.record_view(session, rt, tip, officer, role, "evidence")
    files = [f for row in await evidence.of_tip(session, tip.id)
             if (f := await evidence.load(session, rt, row.id)) is not None]
    return Opened(tip, files)
