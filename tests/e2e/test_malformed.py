"""Updates that are not the shape their platform documents: each is stored as malformed,
logged once (ids only), acknowledged, and polling goes on — the next resident is answered.
Through the sandbox's raw updates (Telegram and Zalo polling) and the Zalo webhook."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.channels.zalo import SECRET_HEADER
from bot.config import Settings
from bot.models import InboxStatus, InboxUpdate
from bot.web import WebServer, webhook_path
from content.texts import INTERNAL_ERROR
from tests.harness import RESIDENT, RESIDENT_2, Harness

pytestmark = pytest.mark.pg

PRIVATE = "nội dung riêng tư 0987654321"  # must never reach a log line
SECRET = "bí-mật-webhook-12345"


def _message(**fields: Any) -> dict[str, Any]:
    """A Telegram message from RESIDENT_2 as the platform sends it, with `fields` replaced."""
    message: dict[str, Any] = {
        "message_id": 41, "date": 1_780_000_000, "text": PRIVATE,
        "from": {"id": RESIDENT_2.id, "is_bot": False, "first_name": RESIDENT_2.first_name},
        "chat": {"id": RESIDENT_2.id, "type": "private", "first_name": RESIDENT_2.first_name},
    }
    return {**message, **fields}


# (name, update, with_id): with_id=False sends the update as is, without the sandbox's id
TELEGRAM_SHAPES = [
    ("chat as a string", {"message": _message(chat=str(RESIDENT_2.id))}, True),
    ("button's message as a string",
     {"callback_query": {"id": "q1", "chat_instance": "c1", "data": "x", "message": PRIVATE,
                         "from": {"id": RESIDENT_2.id, "is_bot": False, "first_name": "Hoa"}}},
     True),
    ("no update_id", {"message": _message()}, False),
    ("update_id not a number", {"update_id": "mười hai", "message": _message()}, False),
    ("message as a string", {"message": PRIVATE}, True),
    ("sender as a list", {"message": _message(**{"from": [RESIDENT_2.id]})}, True),
    ("date as words", {"message": _message(date="hôm qua")}, True),
]


async def _malformed(h: Harness) -> list[InboxUpdate]:
    async with h.app.rt.db.reading() as session:
        return list((await session.scalars(select(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.MALFORMED))).all())


def _about(caplog: pytest.LogCaptureFixture, row: InboxUpdate) -> list[str]:
    """The log lines that name this inbox row."""
    return [line for line in (r.getMessage() for r in caplog.records)
            if f"inbox row {row.id} " in line]


@pytest.mark.parametrize(("shape", "update", "with_id"), TELEGRAM_SHAPES,
                         ids=[shape for shape, _, _ in TELEGRAM_SHAPES])
async def test_a_malformed_telegram_update_is_kept_skipped_and_polling_goes_on(
    harness: Harness, caplog: pytest.LogCaptureFixture, shape: str, update: dict[str, Any],
    with_id: bool,
) -> None:
    h = harness
    caplog.set_level(logging.INFO)
    await h.say(RESIDENT, "/hotline")
    await h.control("POST", "raw_update", update=update, with_id=with_id)
    await h.settle()  # the sandbox settles only once the update is acknowledged
    await h.say(RESIDENT, "/hotline")
    assert len([t for t in await h.seen(RESIDENT) if "113" in t]) == 2, shape
    await h.say(RESIDENT_2, "/hotline")  # the sender of the bad update is answered too
    assert "113" in await h.last_text(RESIDENT_2)
    assert INTERNAL_ERROR not in await h.seen(RESIDENT_2)  # no apology for a bad update
    rows = await _malformed(h)
    assert len(rows) == 1 and rows[0].payload_enc is not None, shape
    assert rows[0].error is not None and rows[0].error.startswith("malformed: ")
    about = _about(caplog, rows[0])
    assert len(about) == 1 and "malformed" in about[0], about
    assert PRIVATE not in caplog.text and "mười hai" not in caplog.text  # tracebacks too
    assert h.app.supervisor.health().ok


ZALO_FROM = {"id": str(RESIDENT_2.id), "display_name": "Lý Thị Hoa"}


def _zalo(**fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": "bad0001", "date": 1_780_000_000_123, "text": PRIVATE,
        "chat": {"id": str(RESIDENT_2.id), "chat_type": "PRIVATE"}, "from": ZALO_FROM,
    }
    return {"event_name": "message.text.received", "message": {**message, **fields}}


ZALO_SHAPES = [
    ("message as a string", {"event_name": "message.text.received", "message": PRIVATE}),
    ("sender as a string", _zalo(**{"from": str(RESIDENT_2.id)})),
    ("chat as a string", _zalo(chat=str(RESIDENT_2.id))),
    ("no sender id", _zalo(**{"from": {"display_name": "Hoa"}})),
    ("event_name a number", {**_zalo(), "event_name": 7}),
    ("text a list", _zalo(text=[PRIVATE])),
    ("date as words", _zalo(date="hôm qua")),
    ("not an object", [PRIVATE]),
]


@pytest.mark.parametrize("channel", ["zalo"])
@pytest.mark.parametrize(("shape", "update"), ZALO_SHAPES, ids=[s for s, _ in ZALO_SHAPES])
async def test_a_malformed_zalo_update_is_kept_skipped_and_polling_goes_on(
    harness: Harness, caplog: pytest.LogCaptureFixture, shape: str, update: Any,
) -> None:
    h = harness
    caplog.set_level(logging.INFO)
    await h.control("POST", "raw_update", update=update)
    await h.settle()
    await h.say(RESIDENT, "/hotline")
    assert "113" in await h.last_text(RESIDENT), shape
    rows = await _malformed(h)
    assert len(rows) == 1 and rows[0].payload_enc is not None, shape
    about = _about(caplog, rows[0])
    assert len(about) == 1 and "malformed" in about[0], about
    assert PRIVATE not in caplog.text
    assert h.app.supervisor.health().ok


@pytest.fixture
async def webhook(harness: Harness, settings: Settings) -> AsyncIterator[tuple[Harness, str]]:
    settings.zalo_webhook_secret = SecretStr(SECRET)
    web = WebServer(harness.app.rt, harness.app.channels, harness.app.health)
    port = await web.start("127.0.0.1", 0)
    try:
        yield harness, f"http://127.0.0.1:{port}{webhook_path('zalo')}"
    finally:
        await web.stop()


@pytest.mark.parametrize("channel", ["zalo"])
async def test_the_zalo_webhook_keeps_a_malformed_update_and_answers_200(
    webhook: tuple[Harness, str], caplog: pytest.LogCaptureFixture,
) -> None:
    h, url = webhook
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http:
        for body in ({"message": "x"}, {"result": PRIVATE}, [PRIVATE]):
            async with http.post(url, json=body, headers=headers) as answer:
                assert answer.status == 200, (body, await answer.text())
    await h.settle()
    assert len(await _malformed(h)) == 3
    assert PRIVATE not in caplog.text
    await h.say(RESIDENT, "/hotline")
    assert "113" in await h.last_text(RESIDENT)


@pytest.mark.parametrize("channel", ["zalo"])
async def test_an_update_with_a_long_id_is_stored_too(harness: Harness) -> None:
    """`message.unsupported.received:<20 hex>` and the digest are longer than the column:
    on PostgreSQL storing it failed, and so did polling, again after every restart."""
    await harness.control("POST", "message", user=harness.user_json(RESIDENT), unsupported=True)
    await harness.settle()
    assert (await harness.last_text(RESIDENT)).startswith("Bình Yên chưa đọc được")
