"""Telegram by webhook (with `BINHYEN_PUBLIC_URL` set): the bot registers its webhook at start,
with a secret Telegram's calls must carry, and removes it at stop; a resident's conversation
goes through it; a call without the secret gets 401 and stores nothing; the 200 goes out only
once the update is committed; Telegram refuses getUpdates meanwhile; with several workers,
only the last to stop removes it."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.channels.telegram import ALLOWED_UPDATES, SECRET_HEADER, webhook_secret
from bot.db import Database, Presence
from bot.models import InboxUpdate
from tests.harness import RESIDENT, TOKEN, Harness


@pytest.fixture
def channel() -> str:
    return "telegram-webhook"


async def _bot_api(h: Harness, method: str) -> tuple[int, dict[str, Any]]:
    async with h.http.post(f"{h.sandbox.base_url}/bot{TOKEN}/{method}", json={}) as response:
        return response.status, dict(await response.json())


async def _inbox_rows(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


@pytest.mark.pg
async def test_a_conversation_through_the_webhook_and_what_it_refuses(harness: Harness) -> None:
    h = harness
    url = str(h.app.settings.public_url).rstrip("/") + "/webhook/telegram"
    _, info = await _bot_api(h, "getWebhookInfo")
    assert info["result"]["url"] == url
    assert info["result"]["allowed_updates"] == sorted(ALLOWED_UPDATES)
    status, refused = await _bot_api(h, "getUpdates")
    assert status == 409 and "webhook is active" in refused["description"]

    await h.say(RESIDENT, "/start")
    assert (await h.seen(RESIDENT))[-1].startswith("Chào bạn, mình là Bình Yên")
    await h.press(RESIDENT, "☎️ Số khẩn cấp")  # a callback query, through the webhook too
    assert "113" in (await h.seen(RESIDENT))[-1]
    deliveries = (await h.control("GET", "webhook"))["attempts"]
    assert [(d["type"], d["status"]) for d in deliveries] == [
        ("message", 200), ("callback_query", 200)]

    update = {"update_id": 990, "message": {
        "message_id": 77, "date": 1_780_000_000, "text": "/hotline",
        "chat": {"id": RESIDENT.id, "type": "private", "first_name": RESIDENT.first_name},
        "from": RESIDENT.as_json() | {"is_bot": False}}}
    before = await _inbox_rows(h)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "sai-bi-mat"}):
            async with http.post(url, json=update, headers=headers) as wrong:
                assert wrong.status == 401
        assert await _inbox_rows(h) == before  # nothing stored
        secret = webhook_secret(h.app.rt, TOKEN)
        async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as right:
            assert right.status == 200
            assert await _inbox_rows(h) == before + 1  # committed before the 200
    await h.settle()
    assert "113" in await h.last_text(RESIDENT)

    await h.app.stop()  # the only worker: it removes the webhook
    _, info = await _bot_api(h, "getWebhookInfo")
    assert info["result"]["url"] == ""


@pytest.mark.pg
async def test_only_the_last_worker_to_stop_removes_the_webhook(db: Database) -> None:
    """Each worker serving the webhook is present (PostgreSQL: a shared advisory lock); the
    one that leaves last is told so, and a worker starting meanwhile waits until it is done.
    On SQLite one process serves: it is always the last."""
    other = Database(db.url, schema=db.schema)
    first, second = Presence(db, "webhook:telegram"), Presence(other, "webhook:telegram")
    try:
        await first.enter()
        await second.enter()
        async with first.leaving() as last:
            assert last == db.is_sqlite  # the second still serves
        async with second.leaving() as last:
            assert last
            if not db.is_sqlite:  # a third waits while the last one removes the webhook
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(Presence(db, "webhook:telegram").enter(), 0.3)
        third = Presence(db, "webhook:telegram")
        await third.enter()
        async with third.leaving() as last:
            assert last
    finally:
        await other.dispose()
