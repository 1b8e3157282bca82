"""Telegram-like flood limits, switched on per test and measured on a fake clock.

At most N messages into one group per 60 s, P into one private chat per second and G
overall per second, over sliding windows; a request over a limit gets 429 with the
seconds until there is room and changes nothing. Nothing here sleeps: time moves with
`clock.advance`.
"""

import time
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.sandbox.limits import RateLimiter, RateLimits
from tests.sandbox.client import Tg

AN: dict[str, Any] = {"id": 1001, "first_name": "Nguyễn Văn An"}
BINH: dict[str, Any] = {"id": 2001, "first_name": "Trần Thị Bình"}
GROUP: dict[str, Any] = {"id": -100, "type": "group", "title": "Tổ dân cư số 1"}


async def send(tg: Tg, chat_id: int, text: str = "tin") -> tuple[int, dict[str, Any]]:
    return await tg.call("sendMessage", chat_id=chat_id, text=text)


async def retry_after(tg: Tg, chat_id: int) -> int:
    status, body = await send(tg, chat_id, "bị chặn")
    assert status == 429, body
    assert (
        body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    )
    return int(body["parameters"]["retry_after"])


async def bot_count(tg: Tg, chat_id: int) -> int:
    return sum(1 for m in await tg.messages(chat_id) if m["from"] == "bot")


async def test_limits_are_off_by_default_and_can_be_read(timed: Tg) -> None:
    await timed.say(AN, "xin chào")
    for _ in range(5):
        assert (await send(timed, 1001))[0] == 200
    assert await timed.control_ok("/control/limits") == {
        "enabled": False,
        "global_per_second": 30,
        "group_per_minute": 20,
        "private_per_second": 1,
        "strictness": 1.0,
        "effective": {"global_per_second": 30, "group_per_minute": 20, "private_per_second": 1},
    }


async def test_one_message_per_second_into_a_private_chat(timed: Tg, clock: FakeClock) -> None:
    await timed.say(AN, "xin chào")
    await timed.limits(enabled=True)
    assert (await send(timed, 1001))[0] == 200
    assert await retry_after(timed, 1001) == 1
    clock.advance(0.5)
    assert await retry_after(timed, 1001) == 1
    clock.advance(0.5)
    assert (await send(timed, 1001))[0] == 200
    assert await bot_count(timed, 1001) == 2  # refused requests changed nothing


async def test_twenty_per_minute_into_a_group_over_a_sliding_window(
    timed: Tg, clock: FakeClock
) -> None:
    await timed.say(BINH, "/start", chat=GROUP)
    await timed.limits(enabled=True)
    for _ in range(10):
        assert (await send(timed, -100))[0] == 200
    clock.advance(30)
    for _ in range(10):
        assert (await send(timed, -100))[0] == 200
    assert await retry_after(timed, -100) == 30
    clock.advance(29.5)
    assert await retry_after(timed, -100) == 1  # ceil(0.5)
    clock.advance(0.5)  # the first ten left the window, the last ten are still in it
    for _ in range(10):
        assert (await send(timed, -100))[0] == 200
    assert await retry_after(timed, -100) == 30
    assert await bot_count(timed, -100) == 30


async def test_thirty_per_second_overall(timed: Tg, clock: FakeClock) -> None:
    users = [{"id": 5000 + n, "first_name": f"Người {n}"} for n in range(31)]
    for user in users:
        await timed.say(user, "xin chào")
    await timed.limits(enabled=True)
    for user in users[:30]:
        assert (await send(timed, user["id"]))[0] == 200
    assert await retry_after(timed, users[30]["id"]) == 1
    clock.advance(1)
    assert (await send(timed, users[30]["id"]))[0] == 200


async def test_strictness_lowers_every_limit(timed: Tg, clock: FakeClock) -> None:
    await timed.say(BINH, "/start", chat=GROUP)
    settings = await timed.limits(enabled=True, strictness=0.9)
    assert settings["effective"] == {
        "global_per_second": 27,
        "group_per_minute": 18,
        "private_per_second": 1,
    }
    for _ in range(18):
        assert (await send(timed, -100))[0] == 200
    assert await retry_after(timed, -100) == 60
    changed = await timed.limits(group_per_minute=40, strictness=0.5)
    assert changed["enabled"] is True and changed["effective"]["group_per_minute"] == 20
    assert changed["effective"]["private_per_second"] == 1  # never below one
    clock.advance(1)  # out of the overall one-second window (now 15), not the group's
    for _ in range(2):
        assert (await send(timed, -100))[0] == 200
    assert (await send(timed, -100))[0] == 429


async def test_only_message_creating_methods_count(timed: Tg, clock: FakeClock) -> None:
    await timed.say(AN, "xin chào")
    await timed.limits(enabled=True)
    sent = await timed.ok(
        "sendMessage",
        chat_id=1001,
        text="Chọn",
        reply_markup={"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]},
    )
    pressed = await timed.control_ok(
        "/control/press",
        {"user_id": 1001, "chat_id": 1001, "message_id": sent["message_id"], "data": "yes"},
    )
    for _ in range(3):
        await timed.ok("sendChatAction", chat_id=1001, action="typing")
    await timed.ok("editMessageText", chat_id=1001, message_id=sent["message_id"], text="Đã chọn")
    await timed.ok("answerCallbackQuery", callback_query_id=pressed["callback_query_id"])
    await timed.ok("deleteMessage", chat_id=1001, message_id=sent["message_id"])
    for method, params in (
        ("sendLocation", {"latitude": 10.7, "longitude": 106.7}),
        ("sendContact", {"phone_number": "113", "first_name": "Công an"}),
        ("copyMessage", {"from_chat_id": 1001, "message_id": 1}),
        ("forwardMessage", {"from_chat_id": 1001, "message_id": 1}),
    ):
        status, body = await timed.call(method, chat_id=1001, **params)
        assert status == 429, (method, body)
        clock.advance(1)
        assert (await timed.call(method, chat_id=1001, **params))[0] == 200


async def test_an_album_counts_as_its_messages(timed: Tg, clock: FakeClock) -> None:
    await timed.say(BINH, "/start", chat=GROUP)
    await timed.send(BINH, chat=GROUP, photo={})
    file_id = (await timed.messages(-100))[-1]["media"]["file_id"]
    await timed.limits(enabled=True)
    album = [{"type": "photo", "media": file_id}] * 10
    assert (await timed.call("sendMediaGroup", chat_id=-100, media=album))[0] == 200
    assert (await timed.call("sendMediaGroup", chat_id=-100, media=album))[0] == 200
    status, body = await timed.call("sendMediaGroup", chat_id=-100, media=album[:2])
    assert (status, body["parameters"]["retry_after"]) == (429, 60)
    stats = await timed.stats()
    assert stats["max_in_window"]["max_group_60s"] == 20


async def test_a_big_album_fits_an_empty_private_window(timed: Tg, clock: FakeClock) -> None:
    await timed.say(AN, "xin chào")
    await timed.send(AN, photo={})
    file_id = (await timed.messages(1001))[-1]["media"]["file_id"]
    await timed.limits(enabled=True)
    album = [{"type": "photo", "media": file_id}] * 3
    assert (await timed.call("sendMediaGroup", chat_id=1001, media=album))[0] == 200
    assert await retry_after(timed, 1001) == 1
    clock.advance(1)
    assert (await send(timed, 1001))[0] == 200


async def test_stats_show_the_busiest_windows(timed: Tg, clock: FakeClock) -> None:
    await timed.say(AN, "xin chào")
    await timed.say(BINH, "xin chào")
    await timed.say(BINH, "/start", chat=GROUP)
    for _ in range(3):
        await send(timed, 1001)
    await send(timed, 2001)
    clock.advance(2)
    for _ in range(4):
        await send(timed, -100)
    windows = (await timed.stats())["max_in_window"]
    assert windows == {"global_1s": 4, "max_group_60s": 4, "max_private_1s": 3}


async def test_message_dates_follow_the_sandbox_clock(timed: Tg, clock: FakeClock) -> None:
    await timed.say(AN, "xin chào")
    clock.advance(3600)
    sent = await timed.ok("sendMessage", chat_id=1001, text="một giờ sau")
    user, mine = await timed.messages(1001)
    assert user["date"] == int(clock.now().timestamp()) - 3600
    assert sent["date"] == mine["date"] == int(clock.now().timestamp())


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"enabled": "yes"}, '"enabled" must be true or false'),
        ({"group_per_minute": 0}, '"group_per_minute" must be an integer >= 1'),
        ({"strictness": 0}, '"strictness" must be a number'),
        ({"burst": 3}, 'unknown field "burst"'),
    ],
)
async def test_limit_settings_are_validated(
    tg: Tg, settings: dict[str, Any], complaint: str
) -> None:
    status, body = await tg.control("/control/limits", settings)
    assert status == 400 and complaint in body["description"]


def test_the_window_check_is_cheap() -> None:
    limiter = RateLimiter()
    limiter.limits = RateLimits(enabled=True)
    accepted, started = 0, time.perf_counter()
    for n in range(50_000):  # 1000 requests per simulated second into 500 chats, for 50 s
        now, chat = n / 1000, 1000 + n % 500
        if limiter.retry_after(now, chat, False, 1) is None:
            limiter.record(now, chat, False, 1)
            accepted += 1
    assert time.perf_counter() - started < 1.0
    assert 30 * 49 <= accepted <= 30 * 50  # 30 per second get through
