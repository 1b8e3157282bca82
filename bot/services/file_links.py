"""Files the bot makes for someone (a coverage chart, a report), and the one-time links that
carry them on messengers that cannot send files (Zalo sends a photo only from a public URL).

A made file is stored as an `evidence` row owned by no one (`GENERATED`): encrypted like every
file, sent on Telegram by the channel's usual upload path (`Media`), and purged after a day
with every file no tip took (`evidence.purge_orphans`). A link is made for one person, works
once (spent by one conditional UPDATE, as evidence links are), and expires after
`BINHYEN_EVIDENCE_LINK_MINUTES`. Never for evidence: a tip's files go through
`evidence_links`, which checks the officer's right to the tip.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Evidence, FileLink, Person
from bot.runtime import Runtime
from bot.services import evidence
from bot.services.errors import NotAllowed

GENERATED = "generated"  # Evidence.owner_ref of a file the bot made: nobody's draft
PATH = "/file/{token}"


async def store(session: AsyncSession, rt: Runtime, *, kind: str, mime_type: str,
                file_name: str, data: bytes) -> Evidence:
    """Keep a made file, encrypted, for the messenger to upload or a link to serve."""
    return await evidence.store(session, rt, owner_ref=GENERATED, kind=kind,
                                mime_type=mime_type, file_name=file_name, data=data)


def _hash(rt: Runtime, token: str) -> str:
    return rt.digest(token, "file.link")


async def create(session: AsyncSession, rt: Runtime, file: Evidence, person: Person
                 ) -> str | None:
    """A link to `file` for `person`, or None when the bot has no public address."""
    if rt.settings.public_url is None:
        return None
    token = secrets.token_urlsafe(24)
    now = rt.clock.now()
    session.add(FileLink(
        token_hash=_hash(rt, token), evidence_id=file.id, person_id=person.id, created_at=now,
        expires_at=now + timedelta(minutes=rt.settings.evidence_link_minutes)))
    await session.flush()
    return str(rt.settings.public_url).rstrip("/") + PATH.format(token=token)


SPEND_LINK = (
    update(FileLink)
    .where(FileLink.token_hash == bindparam("digest"), FileLink.used_at.is_(None),
           FileLink.expires_at > bindparam("now"))
    .values(used_at=bindparam("spent_at"))
    .returning(FileLink.evidence_id)
)


async def open_once(session: AsyncSession, rt: Runtime, token: str) -> evidence.EvidenceFile:
    """Spend the link and give its file: used, expired, unknown or purged all answer
    NotAllowed (and say nothing about which)."""
    now = rt.clock.now()
    spent = (await session.execute(SPEND_LINK, {
        "digest": _hash(rt, token), "now": now, "spent_at": now})).first()
    if spent is None:
        raise NotAllowed("link")
    file = await evidence.load(session, rt, spent.evidence_id)
    if file is None:
        raise NotAllowed("link")
    return file
