"""Small deployment facts kept in the `meta` table (key fingerprint, bot usernames)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Meta


async def get(session: AsyncSession, key: str) -> str | None:
    row = await session.get(Meta, key)
    return row.value if row else None


async def put(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value
