"""The plain messenger's emulator (bot/sandbox/plaintext.py) is as strict as a small text-only
platform: text of 1-4,096 characters both ways, nothing but text, only to people who wrote
first, updates until confirmed, and the control API the harness uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.sandbox.plaintext import DEFAULT_PLAIN_TOKEN, MAX_TEXT_LENGTH, PlainSandbox
from tests.sandbox.client import Tg
from tests.sandbox.conftest import serving

AN = {"id": "1001", "name": "Nguyễn Văn An"}


@dataclass
class Pl(Tg):
    token: str = DEFAULT_PLAIN_TOKEN

    @property
    def plain(self) -> PlainSandbox:
        assert self.running.plain is not None
        return self.running.plain

    def url(self, path: str) -> str:
        return f"{self.running.plain_base_url}{path}"


@pytest.fixture
async def pl() -> AsyncIterator[Pl]:
    async with serving(Pl, plain_token=DEFAULT_PLAIN_TOKEN) as client:
        yield client


async def test_updates_come_until_confirmed_and_replies_go_to_who_wrote(pl: Pl) -> None:
    said = await pl.say(AN, "/baotin")
    [update] = await pl.updates(timeout=0)
    assert update["update_id"] == said["update_id"]
    assert update["message"]["text"] == "/baotin"
    assert update["message"]["from"] == AN and update["message"]["chat_id"] == "1001"
    assert await pl.updates(timeout=0) == [update]  # not confirmed yet: it comes again
    assert await pl.updates(offset=update["update_id"] + 1, timeout=0) == []
    sent = await pl.ok("sendMessage", chat_id="1001", text="Chào bạn\n\t1. Báo tin")
    assert set(sent) == {"message_id", "date"}
    messages = await pl.messages("1001")  # type: ignore[arg-type]
    assert [(m["from"], m["text"]) for m in messages] == [
        ("user", "/baotin"), ("bot", "Chào bạn\n\t1. Báo tin")]


async def test_only_text_that_fits_goes_and_only_to_someone_who_wrote(pl: Pl) -> None:
    assert (await pl.error("sendMessage", chat_id="1001", text="Chào"))[0] == 403
    await pl.say(AN, "xin chào")
    assert await pl.ok("sendMessage", chat_id="1001", text="a" * MAX_TEXT_LENGTH)
    for text in ("a" * (MAX_TEXT_LENGTH + 1), "", "  \n ", "Mã\x00độc", "chữ\x1b[31m"):
        assert (await pl.error("sendMessage", chat_id="1001", text=text))[0] == 400, text
    for extra in ({"reply_markup": {"inline_keyboard": []}}, {"parse_mode": "HTML"},
                  {"photo": "https://a.vn/1.jpg"}):
        status, description = await pl.error("sendMessage", chat_id="1001", text="x", **extra)
        assert status == 400 and "unknown parameter" in description
    for method in ("sendPhoto", "editMessageText", "deleteMessage", "answerCallbackQuery"):
        assert (await pl.error(method, chat_id="1001", text="x"))[0] == 404
    assert len(await pl.messages("1001")) == 2  # type: ignore[arg-type]


async def test_a_person_writes_text_that_fits_too(pl: Pl) -> None:
    await pl.say(AN, "b" * MAX_TEXT_LENGTH)
    for body in ({"user": AN, "text": "b" * (MAX_TEXT_LENGTH + 1)},
                 {"user": AN, "text": ""}, {"user": AN, "photo": True},
                 {"user": {"id": "", "name": "An"}, "text": "x"},
                 {"user": {"id": "1001"}, "text": "x"}):
        status, _ = await pl.control("/control/message", body)
        assert status == 400, body


async def test_settles_once_the_bot_confirmed_what_it_got_and_waits_for_more(pl: Pl) -> None:
    said = await pl.say(AN, "xin chào")
    status, answer = await pl.settle(timeout=0.2)
    assert status == 504 and "not confirmed" in answer["description"]
    waiting = asyncio.create_task(pl.updates(offset=said["update_id"] + 1, timeout=5))
    assert (await pl.settle())[0] == 200
    await pl.say(AN, "nữa")  # answers the long poll at once
    assert [update["message"]["text"] for update in await waiting] == ["nữa"]


@pytest.mark.parametrize("limits", [{"enabled": True, "private_per_second": 1}])
async def test_flood_limits_and_faults_work_as_in_the_other_emulators(
        pl: Pl, limits: dict[str, Any]) -> None:
    await pl.say(AN, "xin chào")
    await pl.limits(**limits)
    await pl.ok("sendMessage", chat_id="1001", text="một")
    assert (await pl.error("sendMessage", chat_id="1001", text="hai"))[0] == 429
    await pl.limits(enabled=False)
    await pl.fault(error="5xx", method="sendMessage", chat_id="1001", times=1, status=502)
    assert (await pl.error("sendMessage", chat_id="1001", text="ba"))[0] == 502
    assert await pl.ok("sendMessage", chat_id="1001", text="bốn")
