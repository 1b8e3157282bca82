"""What is particular to Zalo: each event_name normalised, the webhook secret and storing
before answering, typed commands without slash or diacritics, 2,000-character messages, join
codes for groups the bot cannot see, unsupported messages, refusals retried then given up."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.channels.zalo import SECRET_HEADER, _incoming
from bot.config import Settings
from bot.db import Database
from bot.messages import ChatType, InputKind
from bot.models import InboxStatus, InboxUpdate, OutboxMessage, OutboxStatus, Role
from bot.sandbox.server import start_sandbox
from bot.web import WebServer, webhook_path
from content import groups, texts
from content import tips as words
from tests.e2e.tipkit import enrol, file_report, police
from tests.harness import LEADER, OFFICER, RESIDENT, RESIDENT_2, ZALO_TOKEN, Harness

REPO = Path(__file__).resolve().parents[2]
SECRET = "bí-mật-webhook-12345"


@pytest.fixture
def channel() -> str:
    return "zalo"


def update(event: str, **message: object) -> dict[str, object]:
    base: dict[str, object] = {
        "message_id": "a1b2c3", "date": 1_780_000_000_123,
        "chat": {"id": "7788", "chat_type": "PRIVATE"},
        "from": {"id": "7788", "display_name": "Trần Văn Hải", "is_bot": False},
    }
    return {"event_name": event, "message": {**base, **message}}


def test_every_event_name_is_normalised() -> None:
    text = _incoming(update("message.text.received", text="bao tin"), "k")
    assert text is not None and text.kind is InputKind.TEXT and text.text == "bao tin"
    assert text.user_id == "7788" and text.user_name == "Trần Văn Hải"
    assert text.chat_type is ChatType.PRIVATE and text.sent_at is not None
    assert text.sent_at.timestamp() == pytest.approx(1_780_000_000.123)
    command = _incoming(update("message.text.received", text="/tracuu TB-1"), "k")
    assert command is not None and command.command == "tracuu" and command.args == "TB-1"
    image = _incoming(update("message.image.received", photo_url="https://cdn/x.jpg",
                             caption="ảnh"), "k")
    assert image is not None and image.kind is InputKind.PHOTO
    assert image.attachments[0].file_ref == "https://cdn/x.jpg" and image.text == "ảnh"
    sticker = _incoming(update("message.sticker.received", sticker="abc", url="u"), "k")
    assert sticker is not None and sticker.kind is InputKind.STICKER
    voice = _incoming(update("message.voice.received", url="https://cdn/v.aac"), "k")
    assert voice is not None and voice.kind is InputKind.VOICE and voice.attachments
    other = _incoming(update("message.unsupported.received"), "k")
    assert other is not None and other.kind is InputKind.OTHER
    assert _incoming(update("message.text.received", text="x",
                            **{"from": {"id": "1", "is_bot": True}}), "k") is None


async def test_typed_commands_numbers_and_labels_without_diacritics(harness: Harness) -> None:
    h = harness
    await police(h)
    await h.say(RESIDENT, "bao tin")
    assert (await h.last_text(RESIDENT)).startswith("📝 Báo tin cho công an")
    await h.say(RESIDENT, "lua dao, lua qua mang")
    assert (await h.last_text(RESIDENT)).startswith("Bạn kể lại sự việc")
    await h.say(RESIDENT, "quay lai")
    assert words.ASK_CATEGORY in await h.last_text(RESIDENT)
    await h.say(RESIDENT, "huy")
    assert (await h.last_text(RESIDENT)).startswith("Đã hủy")
    await h.say(RESIDENT, "so khan cap")
    assert "113" in await h.last_text(RESIDENT)


async def test_long_messages_are_split_at_2000_characters(harness: Harness) -> None:
    h = harness
    await police(h)
    sentence = "Người này thường đến vào buổi tối và đi cùng hai người khác. "
    description = (sentence * 60)[:3900].strip()
    await file_report(h, RESIDENT, description=description)
    parts = await h.seen(OFFICER)
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
    assert parts[0].startswith("📥 Tin báo #1")
    # the long description is cut after a sentence; the next part says whose it is, and the
    # cut line keeps its quote bar
    assert parts[0].endswith("khác.")
    assert parts[1].startswith("📥 Tin báo #1 (tiếp, 2/")
    assert parts[1].splitlines()[1].startswith("│ Người này")
    assert parts[-1].startswith("📥 Tin báo #1 — Ma túy\nTrạng thái: Mới")  # the card, last
    quoted = "".join(line.removeprefix("│ ") for part in parts for line in part.splitlines()
                     if line.startswith("│"))
    assert "".join(quoted.split()) == "".join(description.split())  # nothing lost at the cuts


async def test_an_unsupported_message_gets_a_polite_answer(harness: Harness) -> None:
    await harness.control("POST", "message", user=harness.user_json(RESIDENT), unsupported=True)
    await harness.settle()
    assert (await harness.last_text(RESIDENT)).startswith(texts.CANNOT_READ)  # and the menu
    await harness.control("POST", "message", user=harness.user_json(RESIDENT), sticker=True)
    await harness.settle()
    assert (await harness.last_text(RESIDENT)).startswith("Mình chưa hiểu ý bạn")


async def test_join_codes_for_a_group_the_bot_cannot_see(harness: Harness,
                                                       settings: Settings) -> None:
    h = harness
    settings.zalo_bot_link = "https://zalo.me/binhyen-demo"
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await h.say(RESIDENT, "/manhom")
    assert (await h.last_text(RESIDENT)).startswith(groups.NOT_LEADER)  # and the menu
    await h.say(LEADER, "ma nhom")
    notice = await h.last_text(LEADER)
    assert notice.startswith("Kính gửi bà con Tổ dân cư số 1")
    assert notice.endswith("Tìm Bình Yên trên Zalo: https://zalo.me/binhyen-demo")  # the way in
    code = notice.split("thamgia ", 1)[1].split()[0]
    await h.say(RESIDENT, f"thamgia {code.lower()}")
    assert (await h.last_text(RESIDENT)).startswith(groups.JOINED.format(group="Tổ dân cư số 1"))
    assert (await h.last_text(LEADER)).startswith("👋 Nguyễn Văn An vừa tham gia Tổ dân cư số 1")
    await h.say(RESIDENT, f"tham gia {code}")
    assert await h.last_text(RESIDENT) == groups.ALREADY.format(group="Tổ dân cư số 1")
    await h.say(RESIDENT_2, "thamgia ABCDEFGH")
    assert await h.last_text(RESIDENT_2) == groups.BAD_CODE
    await h.say(RESIDENT_2, f"thamgia {code}")
    await h.say(LEADER, "thanh vien")
    listing = await h.last_text(LEADER)
    assert "1. Nguyễn Văn An" in listing and "2. Lý Thị Hoa" in listing
    await h.say(LEADER, "xoa 2")
    assert await h.last_text(LEADER) == groups.REMOVED.format(name="Lý Thị Hoa",
                                                               group="Tổ dân cư số 1")
    await h.say(LEADER, "xoa 9")
    assert await h.last_text(LEADER) == groups.BAD_NUMBER
    await h.say(LEADER, "/manhom")  # a new code: the old one stops working
    await h.say(RESIDENT_2, f"thamgia {code}")
    assert await h.last_text(RESIDENT_2) == groups.BAD_CODE


async def test_a_refusal_is_retried_then_given_up(harness: Harness) -> None:
    h = harness
    await h.say(RESIDENT, "/start")
    await h.fault("400", chat_id=str(RESIDENT.id), times=0)
    await h.say(RESIDENT, "/help", settle=False)
    await h.settle(horizon=timedelta(hours=1))
    async with h.app.rt.db.reading() as session:
        row = (await session.scalars(select(OutboxMessage).order_by(
            OutboxMessage.id.desc()))).first()
    assert row is not None and row.status == OutboxStatus.FAILED
    assert row.error.startswith("gave up after 6 attempts: refused")


@pytest.fixture
async def webhook(harness: Harness, settings: Settings) -> AsyncIterator[tuple[Harness, str]]:
    settings.zalo_webhook_secret = SecretStr(SECRET)
    web = WebServer(harness.app.rt, harness.app.channels)
    port = await web.start("127.0.0.1", 0)
    try:
        yield harness, f"http://127.0.0.1:{port}{webhook_path('zalo')}"
    finally:
        await web.stop()


async def _inbox_rows(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)


async def test_webhook_refuses_a_wrong_secret_and_stores_before_answering(
    webhook: tuple[Harness, str],
) -> None:
    h, url = webhook
    await h.say(RESIDENT, "/start")  # the resident has talked to the bot before
    body = update("message.text.received", text="/hotline",
                  **{"from": {"id": str(RESIDENT.id), "display_name": "An"},
                     "chat": {"id": str(RESIDENT.id), "chat_type": "PRIVATE"}})
    before = await _inbox_rows(h)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "sai-bí-mật"}):
            async with http.post(url, json=body, headers=headers) as refused:
                assert refused.status == 401
        assert await _inbox_rows(h) == before
        async with http.post(url, json=body, headers={SECRET_HEADER: SECRET}) as accepted:
            assert accepted.status == 200
            assert await _inbox_rows(h) == before + 1  # committed before the 200
        async with http.post(url, json=body, headers={SECRET_HEADER: SECRET}) as repeated:
            assert repeated.status == 200
    await h.settle()
    assert await _inbox_rows(h) == before + 1  # a repeated update is stored (and handled) once
    assert "113" in await h.last_text(RESIDENT)


async def test_polling_crash_after_store_handles_the_update_once(settings: Settings) -> None:
    running = await start_sandbox("127.0.0.1", 0, zalo_token=ZALO_TOKEN)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    environment.update(
        BINHYEN_ZALO_TOKEN=ZALO_TOKEN, BINHYEN_ZALO_API_URL=running.zalo_base_url,
        BINHYEN_DATABASE_URL=settings.db_url, BINHYEN_KEY_FILE=str(settings.key_file),
        BINHYEN_DATA_DIR=str(settings.data_dir), BINHYEN_POLL_TIMEOUT="1",
        BINHYEN_LEASE_TTL_SECONDS="2", BINHYEN_WEB_PORT="0")
    try:
        crashing = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=REPO,
            env={**environment, "BINHYEN_CRASH_AT": "after_store"},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        assert running.zalo is not None
        await running.zalo.user_message({"id": "5501", "display_name": "Người A"}, "/hotline")
        await asyncio.wait_for(crashing.wait(), timeout=60)
        assert crashing.returncode == -signal.SIGKILL
        restarted = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=REPO, env=environment,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        db = Database(settings.db_url)
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            async with db.reading() as session:
                done = await session.scalar(select(func.count()).select_from(InboxUpdate)
                                            .where(InboxUpdate.status == InboxStatus.DONE))
                waiting = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                               .where(OutboxMessage.status != OutboxStatus.SENT))
            # a delivered reply leaves no row behind: the transcript says it went
            sent = [m for m in (await running.zalo.transcript("5501"))["messages"]
                    if m["from"] == "bot"]
            if done == 1 and waiting == 0 and sent:
                break
            assert asyncio.get_running_loop().time() < deadline, "not handled in time"
            await asyncio.sleep(0.1)
        await db.dispose()
        restarted.send_signal(signal.SIGTERM)
        await restarted.wait()
        replies = [m for m in (await running.zalo.transcript("5501"))["messages"]
                   if m["from"] == "bot"]
        assert len(replies) == 1 and "113" in replies[0]["text"]
    finally:
        await running.close()

