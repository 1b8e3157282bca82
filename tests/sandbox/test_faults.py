"""Injected faults and realistic failures of the sandbox, as a Bot API client sees them.

429 with retry_after, 5xx, timeouts (with and without the request taking effect),
dropped connections, 403 for blocked users and kicked bots, an injected 400, rule
matching and lifetime, and the statistics that count all of it.
"""

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from bot.sandbox.images import generated_jpeg
from bot.sandbox.telegram import DEFAULT_TOKEN
from tests.sandbox.client import Tg

AN: dict[str, Any] = {"id": 1001, "first_name": "Nguyễn Văn An"}
BINH: dict[str, Any] = {"id": 2001, "first_name": "Trần Thị Bình"}
GROUP: dict[str, Any] = {"id": -100, "type": "group", "title": "Tổ dân cư số 1"}


async def texts(tg: Tg, chat_id: int) -> list[str]:
    return [m["text"] for m in await tg.messages(chat_id) if m["from"] == "bot"]


async def raw_post(
    tg: Tg, method: str, params: dict[str, Any], timeout: float | None = None
) -> tuple[int, dict[str, Any]]:
    """A Bot API call with its own client timeout (seconds), on a fresh connection."""
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as http,
        http.post(tg.url(f"/bot{DEFAULT_TOKEN}/{method}"), json=params) as response,
    ):
        return response.status, await response.json()


# ------------------------------------------------------------------------- error answers


async def test_429_has_retry_after_and_is_not_applied(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    assert await tg.fault(method="sendMessage", error="429", retry_after=7) == 1
    status, body = await tg.call("sendMessage", chat_id=1001, text="bị chặn")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert await texts(tg, 1001) == []
    await tg.fault(error="429", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(1001, "qua aiogram")
    assert raised.value.retry_after == 3
    assert (await bot.send_message(1001, "lần sau")).message_id == 2
    assert await texts(tg, 1001) == ["lần sau"]
    stats = await tg.stats()
    assert (stats["http_429"], stats["faults_hit"]) == (2, 2)


async def test_5xx_uses_the_status_and_telegrams_words(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    await tg.fault(method="sendMessage", error="5xx")
    await tg.fault(method="sendMessage", error="5xx", status=500, times=2)
    assert await tg.call("sendMessage", chat_id=1001, text="a") == (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )
    assert await tg.error("sendMessage", chat_id=1001, text="b") == (
        500,
        "Internal Server Error",
    )
    with pytest.raises(TelegramServerError):
        await bot.send_message(1001, "c")
    await bot.send_message(1001, "d")
    assert await texts(tg, 1001) == ["d"]


async def test_403_fault_words_it_for_private_chats_and_groups(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.say(BINH, "/start", chat=GROUP)
    await tg.fault(error="403", times=2)
    assert await tg.error("sendMessage", chat_id=1001, text="a") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    assert await tg.error("sendMessage", chat_id=-100, text="a") == (
        403,
        "Forbidden: bot was kicked from the group chat",
    )
    await tg.fault(error="400")
    assert await tg.error("sendChatAction", chat_id=1001, action="typing") == (
        400,
        "Bad Request: some injected error",
    )
    assert await tg.ok("sendMessage", chat_id=-100, text="ổn rồi")


async def test_blocked_users_and_kicked_groups_refuse_every_send(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    await tg.say(BINH, "/start", chat=GROUP)
    await tg.control_ok("/control/membership", {"user": AN, "status": "kicked"})
    await tg.control_ok("/control/membership", {"user": BINH, "chat": GROUP, "status": "kicked"})
    photo = BufferedInputFile(generated_jpeg(40, 30), "a.jpg")
    sends = [
        (1001, "Forbidden: bot was blocked by the user"),
        (-100, "Forbidden: bot was kicked from the group chat"),
    ]
    for chat_id, description in sends:
        for attempt in (
            bot.send_message(chat_id, "a"),
            bot.send_photo(chat_id, photo),
            bot.send_location(chat_id, 10.0, 106.0),
            bot.send_chat_action(chat_id, "typing"),
        ):
            with pytest.raises(TelegramForbiddenError) as raised:
                await attempt
            assert raised.value.message == description


# ------------------------------------------------------------------ timeouts and drops


async def test_timeout_with_apply_takes_effect_although_the_client_gives_up(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.fault(method="sendMessage", error="timeout", delay=0.5, apply=True)
    with pytest.raises(TimeoutError):
        await raw_post(tg, "sendMessage", {"chat_id": 1001, "text": "đã tới"}, timeout=0.1)
    assert await texts(tg, 1001) == ["đã tới"]
    for _ in range(100):  # the server notices the client left and stops counting it as busy
        reasons = await tg.sandbox.busy_reasons()
        if not any("in progress" in reason for reason in reasons):
            break
        await asyncio.sleep(0.01)
    assert not any("in progress" in reason for reason in reasons)


async def test_a_patient_client_gets_the_real_answer_after_the_delay(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.fault(method="sendMessage", error="timeout", delay=0.05, apply=True)
    status, body = await raw_post(tg, "sendMessage", {"chat_id": 1001, "text": "chậm"})
    assert status == 200 and body["result"]["text"] == "chậm"


async def test_timeout_without_apply_changes_nothing(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.fault(error="timeout", delay=0.05)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await raw_post(tg, "sendMessage", {"chat_id": 1001, "text": "mất"})
    assert await texts(tg, 1001) == []


async def test_drop_closes_the_connection_quietly(
    tg: Tg, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await tg.say(AN, "xin chào")
    await tg.fault(method="sendMessage", error="drop")
    await tg.fault(method="sendMessage", error="drop", apply=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await raw_post(tg, "sendMessage", {"chat_id": 1001, "text": "không tới"})
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1001, "tới nhưng không có trả lời")
    assert await texts(tg, 1001) == ["tới nhưng không có trả lời"]
    assert (await bot.send_message(1001, "bình thường")).message_id == 3
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_closing_the_sandbox_ends_a_long_injected_delay(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.fault(error="timeout", delay=600)
    pending = asyncio.create_task(raw_post(tg, "sendMessage", {"chat_id": 1001, "text": "x"}))
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    await tg.running.close()
    with pytest.raises(aiohttp.ClientError):
        await pending
    assert asyncio.get_running_loop().time() - started < 2


# ----------------------------------------------------------------- matching and rules


async def test_rules_match_method_and_chat_and_spare_polling(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.say(BINH, "xin chào")
    await tg.fault(error="5xx", chat_id=2001, times=0)
    assert await tg.ok("getMe")
    assert await tg.ok("getUpdates", offset=-1) is not None
    assert await tg.ok("sendMessage", chat_id=1001, text="An vẫn nhận")
    for _ in range(3):
        assert (await tg.error("sendMessage", chat_id=2001, text="x"))[0] == 502
    await tg.fault(method="getUpdates", error="5xx", status=503)
    assert await tg.error("getUpdates") == (503, "Internal Server Error")
    listed = (await tg.control_ok("/control/faults"))["faults"]
    assert [(r["chat_id"], r["times"], r["hits"]) for r in listed] == [(2001, 0, 3)]
    assert await tg.delete("/control/faults") == (200, {"ok": True, "cleared": 1})
    assert await tg.ok("sendMessage", chat_id=2001, text="Bình nhận lại")


async def test_method_names_are_case_insensitive_and_rules_run_in_order(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.fault(method="SENDMESSAGE", error="400")
    await tg.fault(error="429")
    rules = (await tg.control_ok("/control/faults"))["faults"]
    assert [r["method"] for r in rules] == ["sendMessage", None]
    assert (await tg.error("sendMessage", chat_id=1001, text="a"))[0] == 400
    assert (await tg.error("sendMessage", chat_id=1001, text="a"))[0] == 429
    assert await tg.ok("sendMessage", chat_id=1001, text="a")


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ({"error": "418"}, '"error" must be one of'),
        ({"error": "429", "method": "sendPigeon"}, '"method" must name'),
        ({"error": "429", "apply": True}, '"apply" is only for'),
        ({"error": "5xx", "status": 404}, '"status" must be >= 500'),
        ({"error": "timeout", "delay": -1}, '"delay" must be'),
        ({"error": "429", "times": -1}, '"times" must be >= 0'),
        ({"error": "429", "colour": "red"}, 'unknown field "colour"'),
    ],
)
async def test_fault_rules_are_validated(tg: Tg, rule: dict[str, Any], complaint: str) -> None:
    status, body = await tg.control("/control/faults", rule)
    assert status == 400 and complaint in body["description"]


# ------------------------------------------------------------------------------- stats


async def test_stats_count_requests_messages_and_reset(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.say(BINH, "/start", chat=GROUP)
    await tg.ok("getMe")
    for chat_id in (1001, 1001, -100):
        await tg.ok("sendMessage", chat_id=chat_id, text="tin")
    await tg.error("sendPigeon")
    await tg.fault(error="429")
    await tg.error("sendMessage", chat_id=1001, text="x")
    stats = await tg.stats()
    assert stats["requests"] == {"getMe": 1, "sendMessage": 4}
    assert stats["messages_by_chat"] == {"1001": 2, "-100": 1}
    assert (stats["http_429"], stats["faults_hit"]) == (1, 1)
    assert stats["max_in_window"]["global_1s"] == 3
    assert await tg.control_ok("/control/stats/reset", {}) == {"ok": True}
    cleared = await tg.stats()
    assert cleared["requests"] == {} and cleared["messages_by_chat"] == {}
    assert cleared["max_in_window"] == {"global_1s": 0, "max_group_60s": 0, "max_private_1s": 0}
    assert len(await tg.messages(1001)) == 3  # chats are kept
