"""Evidence files: metadata stripped, bytes encrypted, kept even if the message is deleted.

Images are re-encoded with Pillow from their pixels only, which drops EXIF (GPS position,
camera serial, time) and every other metadata block. Videos, voice notes and documents are kept
as sent (we cannot strip them safely); the reporter is warned before sending a voice note.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Evidence, FlowState, Person
from bot.runtime import Runtime
from bot.text import inline

DATA_CONTEXT = "evidence.data"
META_CONTEXT = "evidence.meta"
ATTACHED = ""  # the owner of a file given to a tip: nobody (see `attach`)
BROADCAST_FILES = "broadcast"  # the owner of a photo in a leader's broadcast (`keep_for_broadcast`)
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    kind: str
    size: int
    mime_type: str
    file_name: str | None
    data: bytes


def strip_image(data: bytes) -> tuple[bytes, str]:
    """Re-encode an image from its pixels alone; returns (bytes, mime type)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)  # turned as the camera meant, then dropped
            fmt = "PNG" if image.mode in ("RGBA", "LA", "P") else "JPEG"
            clean = Image.new(image.mode if fmt == "PNG" else "RGB", image.size)
            clean.paste(image.convert(clean.mode))
            out = io.BytesIO()
            clean.save(out, format=fmt, quality=90)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("not a readable image") from exc
    return out.getvalue(), "image/png" if fmt == "PNG" else "image/jpeg"


def sanitize(kind: str, mime_type: str | None, data: bytes) -> tuple[bytes, str]:
    mime = mime_type or "application/octet-stream"
    if kind == "photo" or mime in IMAGE_TYPES:
        try:
            return strip_image(data)
        except ValueError:
            if kind == "photo":
                raise
    return data, mime


async def store(session: AsyncSession, rt: Runtime, *, owner_ref: str, kind: str,
                mime_type: str | None, file_name: str | None, data: bytes) -> Evidence:
    clean, mime = sanitize(kind, mime_type, data)
    meta: dict[str, Any] = {"mime_type": mime, "file_name": file_name}
    row = Evidence(owner_ref=owner_ref, kind=kind, size=len(clean),
                   meta_enc=rt.seal(json.dumps(meta, ensure_ascii=False), META_CONTEXT),
                   data_enc=rt.keyring.encrypt(clean, DATA_CONTEXT), created_at=rt.clock.now())
    session.add(row)
    await session.flush()
    return row


async def attach(session: AsyncSession, evidence_ids: list[int], owner_ref: str, tip_id: int,
                 event_id: int | None = None) -> int:
    """Give the uploader's drafted files to a tip; returns how many were theirs to give.

    `owner_ref` only pairs a draft's files with the account that sent them. Once attached it
    is blanked: kept, it would be the one row tying a fully anonymous tip to an account (the
    same keyed hash as the person's), and for the other modes the reporter link already lives
    in `tip_reporters` under its own rules."""
    if not evidence_ids:
        return 0
    attached = await session.execute(
        update(Evidence)
        .where(Evidence.id.in_(evidence_ids), Evidence.owner_ref == owner_ref,
               Evidence.tip_id.is_(None))
        .values(tip_id=tip_id, event_id=event_id, owner_ref=ATTACHED)
    )
    return int(attached.rowcount or 0)  # type: ignore[attr-defined]


async def load(session: AsyncSession, rt: Runtime, evidence_id: int) -> EvidenceFile | None:
    row = await session.get(Evidence, evidence_id)
    if row is None or row.data_enc is None:
        return None
    meta = json.loads(rt.open(row.meta_enc, META_CONTEXT))
    name = inline(meta["file_name"]) if meta.get("file_name") else None  # the sender's words
    return EvidenceFile(row.id, row.kind, row.size, meta["mime_type"], name or None,
                        rt.keyring.decrypt(row.data_enc, DATA_CONTEXT))


async def of_tip(session: AsyncSession, tip_id: int) -> list[Evidence]:
    return list((await session.scalars(
        select(Evidence).where(Evidence.tip_id == tip_id).order_by(Evidence.id))).all())


async def count_of_tip(session: AsyncSession, tip_id: int) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.tip_id == tip_id)) or 0)


async def keep_for_broadcast(session: AsyncSession, evidence_id: int, owner_ref: str) -> bool:
    """A photo its sender put in their own broadcast: kept as long as the broadcast (the purge
    of files no tip took leaves it), whatever becomes of the draft. False when it is not
    theirs, or already taken."""
    kept = await session.execute(
        update(Evidence)
        .where(Evidence.id == evidence_id, Evidence.owner_ref == owner_ref,
               Evidence.tip_id.is_(None))
        .values(owner_ref=BROADCAST_FILES))
    return bool(kept.rowcount)


async def purge_orphans(session: AsyncSession, older_than: datetime) -> None:
    """Drafts abandoned mid-report leave files without a tip; they go after a day, unless
    their sender is still in a conversation with the bot (a report can take longer than a
    day while each step keeps it alive)."""
    in_conversation = (
        select(FlowState.id).join(Person, Person.id == FlowState.person_id)
        .where(Person.user_ref == Evidence.owner_ref).exists()
    )
    await session.execute(delete(Evidence).where(Evidence.tip_id.is_(None),
                                                 Evidence.event_id.is_(None),
                                                 Evidence.owner_ref != BROADCAST_FILES,
                                                 Evidence.created_at < older_than,
                                                 ~in_conversation))


async def take(session: AsyncSession, rt: Runtime, evidence_id: int, owner_ref: str
               ) -> EvidenceFile | None:
    """A file its sender sent for something else than a tip (a leader's roster): read once and
    deleted at once, so nothing of it stays. None unless it is theirs and given to no tip."""
    row = await session.get(Evidence, evidence_id)
    if row is None or row.owner_ref != owner_ref or row.tip_id is not None:
        return None
    found = await load(session, rt, evidence_id)
    await session.execute(delete(Evidence).where(Evidence.id == evidence_id))
    return found
