"""One-time, expiring links to a tip's evidence page, for messengers that cannot carry files
(Zalo's sendPhoto needs a public URL, and evidence must never be public).

The link is made for one officer of the tip's commune, works once, expires after
`BINHYEN_EVIDENCE_LINK_MINUTES`, and opening it is recorded as a view of the tip.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import EvidenceLink, Person, Tip
from bot.runtime import Runtime
from bot.services import evidence, tips
from bot.services.errors import NotAllowed


def _hash(rt: Runtime, token: str) -> str:
    return rt.digest(token, "evidence.link")


async def create(session: AsyncSession, rt: Runtime, tip: Tip, officer: Person) -> str | None:
    """A link for `officer`, or None when the bot has no public address (no link possible)."""
    if rt.settings.public_url is None:
        return None
    await tips.authorize(session, tip, officer, rt.clock.now())
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


async def open_once(session: AsyncSession, rt: Runtime, token: str) -> Opened:
    """Spend the link: used, expired, unknown or no longer allowed all answer NotAllowed."""
    link = await session.scalar(select(EvidenceLink).where(
        EvidenceLink.token_hash == _hash(rt, token)))
    now = rt.clock.now()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise NotAllowed("link")
    link.used_at = now
    tip = await session.get(Tip, link.tip_id)
    officer = await session.get(Person, link.person_id)
    if tip is None or officer is None:
        raise NotAllowed("link")
    role = await tips.authorize(session, tip, officer, now)
    await tips.record_view(session, rt, tip, officer, role, "evidence")
    files = [f for row in await evidence.of_tip(session, tip.id)
             if (f := await evidence.load(session, rt, row.id)) is not None]
    return Opened(tip, files)
