"""The Zalo emulator over real HTTP, as the bot's Zalo client and as Zalo users see it.

Zalo's shapes (string ids, millisecond dates, one update per getUpdates, 408 when none
came, no redelivery), its webhook with the secret header and retries, its stricter
sendMessage, 403 for users who never wrote or blocked the bot, photos by URL both ways,
and the faults, limits, statistics and settling shared with the Telegram sandbox.
"""

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.jsonapi import ApiError, JsonBotApi
from bot.clock import FakeClock
from bot.sandbox.images import generated_jpeg, image_size
from bot.sandbox.webhooks import RetryPolicy
from bot.sandbox.zalo_state import zalo_user_id
from tests.sandbox.client import Zl

AN: dict[str, Any] = {"id": "6ede9afa66b88fe6d6a9", "display_name": "Nguyễn Văn An"}
BINH: dict[str, Any] = {"id": 2001, "display_name": "Trần Thị Bình"}
SECRET = "bi-mat-cua-binh-yen"
START_MS = 1_780_275_600_000  # FakeClock's start, 2026-06-01 01:00 UTC


async def wait_for_poller(zl: Zl) -> None:
    for _ in range(200):
        if zl.zalo._inbox.waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("getUpdates never started waiting")


async def fetch(zl: Zl, url: str) -> tuple[int, bytes, str]:
    async with zl.http.get(url) as response:
        return response.status, await response.read(), response.content_type


# ----------------------------------------------------------------------- getMe, errors


async def test_get_me_and_wrong_token_and_unknown_method(zl: Zl) -> None:
    assert await zl.ok("getMe") == {
        "id": "2000000001",
        "account_name": "bot.BinhYen",
        "account_type": "BASIC",
        "can_join_groups": False,
    }
    assert await zl.error("getMe", token="2000000001:wrong") == (401, "Unauthorized")
    assert await zl.error("sendPigeon") == (404, "Not Found")
    assert (await zl.ok("getme"))["id"] == "2000000001"  # any letter case, as on Telegram


async def test_the_bots_own_zalo_client_understands_the_emulator(zl: Zl) -> None:
    client = JsonBotApi(zl.token, zl.running.zalo_base_url, timeout=5)
    try:
        assert (await client.call("getMe"))["account_name"] == "bot.BinhYen"
        with pytest.raises(ApiError) as timed_out:
            await client.call("getUpdates", {"timeout": "0"})
        assert (timed_out.value.status, timed_out.value.code) == (408, 408)
        await zl.say(AN, "chào")
        update = await client.call("getUpdates", {"timeout": "1"})
        sent = await client.call(
            "sendMessage", {"chat_id": update["message"]["chat"]["id"], "text": "Chào bạn"}
        )
        assert isinstance(sent["message_id"], str)
    finally:
        await client.close()


async def test_the_telegram_sandbox_is_served_beside_it(zl: Zl) -> None:
    async with zl.http.get(f"{zl.running.base_url}/control/personas") as response:
        assert response.status == 200
        assert (await response.json())["bot"]["username"] == "binhyen_bot"
    personas = await zl.control_ok("/control/personas")
    assert personas["bot"]["account_name"] == "bot.BinhYen"
    assert personas["personas"][0] == {
        "label": "Cư dân (Nguyễn Văn An)",
        "user": {"id": zalo_user_id(1001), "display_name": "Nguyễn Văn An"},
    }


async def test_with_the_window_on_a_user_silent_too_long_is_refused_until_they_write(
        zalo_timed: Zl, clock: FakeClock) -> None:
    """Zalo's 48-hour window, on the sandbox's clock, counted from the user's last message
    (the bot's own messages do not count); off by default."""
    zl = zalo_timed
    assert await zl.control_ok("/control/window") == {"hours": None, "refused": {}}
    await zl.say(AN, "chào")
    clock.advance(49 * 3600)
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="vẫn gửi được")  # off: no limit
    assert await zl.control_ok("/control/window", {"hours": 48}) == {"hours": 48.0,
                                                                     "refused": {}}
    outside = (403, "Forbidden: user has not interacted with the bot in the last 48 hours")
    assert await zl.error("sendMessage", chat_id=AN["id"], text="a") == outside
    assert await zl.error("sendChatAction", chat_id=AN["id"], action="typing") == outside
    await zl.say(AN, "mình đây")
    clock.advance(47 * 3600)
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="trong 48 giờ")
    clock.advance(2 * 3600)  # the bot's message did not reopen it
    assert await zl.error("sendMessage", chat_id=AN["id"], text="a") == outside
    assert (await zl.control_ok("/control/window"))["refused"] == {AN["id"]: 3}
    status, answer = await zl.control("/control/window", {"hours": 0})
    assert status == 400 and "positive" in answer["description"]
    assert (await zl.control_ok("/control/window", {"hours": None}))["hours"] is None
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="tắt rồi")


# --------------------------------------------------------------------- update shapes


async def test_text_update_has_zalo_shape(zalo_timed: Zl) -> None:
    sent = await zalo_timed.say(AN, "Xin chào Bình Yên")
    assert sent["chat_id"] == AN["id"]
    assert await zalo_timed.ok("getUpdates", timeout="0") == {
        "event_name": "message.text.received",
        "message": {
            "message_id": sent["message_id"],
            "date": START_MS,
            "chat": {"id": AN["id"], "chat_type": "PRIVATE"},
            "from": {"id": AN["id"], "display_name": "Nguyễn Văn An", "is_bot": False},
            "text": "Xin chào Bình Yên",
        },
    }
    assert isinstance(sent["message_id"], str) and len(sent["message_id"]) == 20


async def test_integer_user_ids_become_strings(zl: Zl) -> None:
    assert (await zl.say(BINH, "chào"))["chat_id"] == "2001"
    update = await zl.ok("getUpdates", timeout="0")
    assert update["message"]["from"]["id"] == "2001"
    assert update["message"]["chat"]["id"] == "2001"


async def test_image_update_carries_a_downloadable_photo_url(zl: Zl) -> None:
    picture = generated_jpeg(64, 48)
    photo = {"data_base64": base64.b64encode(picture).decode()}
    await zl.send(AN, photo=photo, caption="Xe lạ đỗ đầu ngõ")
    update = await zl.ok("getUpdates", timeout="0")
    message = update["message"]
    assert update["event_name"] == "message.image.received"
    assert message["caption"] == "Xe lạ đỗ đầu ngõ"
    assert "text" not in message
    assert message["photo_url"].startswith(f"{zl.running.zalo_base_url}/files/")
    assert await fetch(zl, message["photo_url"]) == (200, picture, "image/jpeg")


async def test_image_without_bytes_is_a_generated_jpeg(zl: Zl) -> None:
    await zl.send(AN, photo={"width": 200, "height": 100})
    message = (await zl.ok("getUpdates", timeout="0"))["message"]
    assert "caption" not in message
    status, data, _ = await fetch(zl, message["photo_url"])
    assert status == 200 and image_size(data) == (200, 100)
    assert (await fetch(zl, f"{zl.running.zalo_base_url}/files/nothing.jpg"))[0] == 404


async def test_sticker_voice_and_unsupported_updates(zl: Zl) -> None:
    await zl.send(AN, sticker=True)
    await zl.send(AN, sticker="abc123")
    await zl.send(AN, voice=True)
    await zl.send(AN, unsupported=True)
    sticker = await zl.ok("getUpdates", timeout="0")
    assert sticker["event_name"] == "message.sticker.received"
    assert isinstance(sticker["message"]["sticker"], str)
    assert (await fetch(zl, sticker["message"]["url"]))[0] == 200
    assert (await zl.ok("getUpdates", timeout="0"))["message"]["sticker"] == "abc123"
    voice = await zl.ok("getUpdates", timeout="0")
    assert voice["event_name"] == "message.voice.received"
    assert (await fetch(zl, voice["message"]["url"]))[2] == "audio/aac"
    unsupported = await zl.ok("getUpdates", timeout="0")
    assert unsupported["event_name"] == "message.unsupported.received"
    assert set(unsupported["message"]) == {"message_id", "date", "chat", "from"}


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"text": "a", "photo": {}}, "send text or one of photo"),
        ({"text": "a", "caption": "b"}, '"caption" goes with a "photo"'),
        ({"text": "a", "buttons": []}, 'unknown field "buttons"'),
        ({"text": "  "}, "message text is empty"),
        ({}, '"text" must be a string'),
    ],
)
async def test_control_message_is_checked(zl: Zl, body: dict[str, Any], description: str) -> None:
    status, answer = await zl.control("/control/message", {"user": AN, **body})
    assert status == 400 and description in answer["description"]


async def test_a_new_user_needs_a_display_name(zl: Zl) -> None:
    status, answer = await zl.control("/control/message", {"user": {"id": "x1"}, "text": "a"})
    assert status == 400 and "display_name" in answer["description"]
    persona = (await zl.control_ok("/control/personas"))["personas"][1]["user"]
    sent = await zl.say({"id": persona["id"]}, "chào")  # a persona's name is known
    transcript = await zl.transcript(sent["chat_id"])
    assert transcript["chat"]["display_name"] == "Trần Thị Bình"


# ------------------------------------------------------------------------- getUpdates


async def test_get_updates_hands_out_one_update_per_call_and_never_again(zl: Zl) -> None:
    first = await zl.say(AN, "một")
    second = await zl.say(AN, "hai")
    got = [await zl.ok("getUpdates", timeout="0") for _ in range(2)]
    assert [u["message"]["message_id"] for u in got] == [first["message_id"], second["message_id"]]
    assert await zl.poll(0) == (
        408,
        {"ok": False, "error_code": 408, "description": "Request timeout"},
    )


async def test_get_updates_answers_408_after_the_timeout(zl: Zl) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, body = await zl.poll(1)
    assert (status, body["description"]) == (408, "Request timeout")
    assert 0.9 <= loop.time() - started < 3


async def test_long_poll_returns_as_soon_as_a_message_arrives(zl: Zl) -> None:
    poll = asyncio.create_task(zl.poll(10))
    await wait_for_poller(zl)
    await zl.say(AN, "đến rồi")
    status, body = await asyncio.wait_for(poll, 2)
    assert status == 200 and body["result"]["message"]["text"] == "đến rồi"


async def test_a_second_poller_terminates_the_first_with_409(zl: Zl) -> None:
    older = asyncio.create_task(zl.poll(10))
    await wait_for_poller(zl)
    newer = asyncio.create_task(zl.poll(10))
    status, body = await asyncio.wait_for(older, 2)
    assert status == 409 and body["description"].startswith("Conflict")
    await wait_for_poller(zl)
    await zl.say(AN, "cho người mới")
    status, body = await asyncio.wait_for(newer, 2)
    assert status == 200 and body["result"]["message"]["text"] == "cho người mới"


async def test_an_update_lost_on_the_way_is_not_delivered_again(zl: Zl) -> None:
    """A bot that crashes after receiving an update (here: the answer is dropped after the
    update was handed out) has lost it: Zalo has no offset to ask for it again."""
    await zl.say(AN, "tin sẽ mất")
    await zl.fault(method="getUpdates", error="drop", apply=True)
    with pytest.raises(aiohttp.ClientError):
        await zl.poll(0)
    assert (await zl.poll(0))[0] == 408


async def test_get_updates_timeout_must_be_seconds(zl: Zl) -> None:
    status, description = await zl.error("getUpdates", timeout="soon")
    assert status == 400 and "timeout" in description
    assert (await zl.error("getUpdates", timeout="-1"))[0] == 400


# ---------------------------------------------------------------------------- webhook


@dataclass
class Receiver:
    """A bot's webhook endpoint: answers `statuses` in turn (then 200), keeps requests."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[str | None, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.headers.get("X-Bot-Api-Secret-Token"), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"ok": status == 200}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/webhook/zalo", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhook/zalo"
    try:
        yield found
    finally:
        await runner.cleanup()


async def use_webhook(zl: Zl, receiver: Receiver, attempts: int = 4) -> dict[str, Any]:
    zl.zalo.webhooks.retry = RetryPolicy(attempts=attempts, first_delay=0.01, timeout=2)
    return dict(await zl.ok("setWebhook", url=receiver.url, secret_token=SECRET))


async def test_webhook_receives_updates_with_the_secret_header(
    zalo_timed: Zl, receiver: Receiver
) -> None:
    assert await use_webhook(zalo_timed, receiver) == {
        "url": receiver.url,
        "updated_at": START_MS,
    }
    sent = await zalo_timed.say(AN, "qua webhook")
    assert (await zalo_timed.settle())[0] == 200
    [(secret, update)] = receiver.requests
    assert secret == SECRET
    assert update["event_name"] == "message.text.received"
    assert update["message"]["message_id"] == sent["message_id"]
    assert await zalo_timed.ok("getWebhookInfo") == {"url": receiver.url, "updated_at": START_MS}


async def test_webhook_delivery_is_retried_until_answered_200(zl: Zl, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    await use_webhook(zl, receiver)
    await zl.say(AN, "thử lại")
    assert (await zl.settle())[0] == 200
    assert [update["message"]["text"] for _, update in receiver.requests] == ["thử lại"] * 3
    log = await zl.control_ok("/control/webhook")
    assert [(a["attempt"], a["status"], a["delivered"]) for a in log["attempts"]] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert (log["delivered"], log["given_up"], log["pending"]) == (1, 0, 0)
    assert log["webhook"] == {
        "url": receiver.url,
        "secret_token": SECRET,
        "updated_at": log["webhook"]["updated_at"],
    }


async def test_webhook_delivery_gives_up_after_the_last_attempt(zl: Zl, receiver: Receiver) -> None:
    receiver.statuses = [500, 500, 500, 500]
    await use_webhook(zl, receiver, attempts=2)
    await zl.say(AN, "không tới")
    await zl.say(AN, "tới")
    assert (await zl.settle())[0] == 200
    log = await zl.control_ok("/control/webhook")
    assert [a["status"] for a in log["attempts"]] == [500, 500, 500, 500]
    assert (log["delivered"], log["given_up"]) == (0, 2)


async def test_updates_waiting_when_the_webhook_is_set_are_delivered(
    zl: Zl, receiver: Receiver
) -> None:
    await zl.say(AN, "trước webhook")
    await use_webhook(zl, receiver)
    assert (await zl.settle())[0] == 200
    assert [u["message"]["text"] for _, u in receiver.requests] == ["trước webhook"]


async def test_get_updates_is_refused_while_a_webhook_is_set(zl: Zl, receiver: Receiver) -> None:
    poll = asyncio.create_task(zl.poll(10))
    await wait_for_poller(zl)
    await use_webhook(zl, receiver)
    status, body = await asyncio.wait_for(poll, 2)  # the waiting poller is told at once
    assert (status, body["description"]) == (409, "Conflict: webhook is active")
    assert await zl.error("getUpdates", timeout="0") == (409, "Conflict: webhook is active")
    assert await zl.ok("deleteWebhook") == {"url": ""}
    assert await zl.ok("getWebhookInfo") == {"url": ""}
    await zl.say(AN, "lại dùng getUpdates")
    assert (await zl.ok("getUpdates", timeout="0"))["message"]["text"] == "lại dùng getUpdates"


@pytest.mark.parametrize(
    ("url", "secret", "description"),
    [
        ("ftp://example.com/hook", SECRET, "Bad Request: url must be an http or https URL"),
        ("not a url", SECRET, "Bad Request: url must be an http or https URL"),
        ("https://example.com/hook", "ngắn", "Bad Request: secret_token must be 8 to 256"),
        ("https://example.com/hook", "x" * 257, "Bad Request: secret_token must be 8 to 256"),
    ],
)
async def test_set_webhook_is_checked(zl: Zl, url: str, secret: str, description: str) -> None:
    status, text = await zl.error("setWebhook", url=url, secret_token=secret)
    assert status == 400 and text.startswith(description)
    assert await zl.ok("getWebhookInfo") == {"url": ""}


# ------------------------------------------------------------------------- sending


async def test_send_message_returns_zalo_message_and_lands_in_the_transcript(
    zalo_timed: Zl, clock: FakeClock
) -> None:
    await zalo_timed.say(AN, "chào")
    clock.advance(1.5)
    sent = await zalo_timed.ok("sendMessage", chat_id=AN["id"], text="1. Báo tin\n2. Hỏi")
    assert sent == {
        "message_id": sent["message_id"],
        "date": START_MS + 1500,
        "chat": {"id": AN["id"], "chat_type": "PRIVATE"},
    }
    transcript = await zalo_timed.transcript(AN["id"])
    assert transcript["chat"] == {
        "id": AN["id"],
        "chat_type": "PRIVATE",
        "display_name": "Nguyễn Văn An",
    }
    assert transcript["blocked"] is False
    assert transcript["messages"][1] == {
        "message_id": sent["message_id"],
        "from": "bot",
        "user_id": None,
        "sender_name": "Bình Yên",
        "event_name": None,
        "text": "1. Báo tin\n2. Hỏi",
        "media": None,
        "photo_url": None,
        "date": START_MS + 1500,
    }
    assert transcript["messages"][0]["from"] == "user"
    assert transcript["messages"][0]["user_id"] == AN["id"]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x" * 2001}, "Bad Request: text is too long"),
        ({"text": ""}, "Bad Request: text is empty"),
        ({"text": "   "}, "Bad Request: text is empty"),
        ({"text": "a", "reply_markup": {}}, 'Bad Request: unknown parameter "reply_markup"'),
        ({"text": "a", "parse_mode": "HTML"}, 'Bad Request: unknown parameter "parse_mode"'),
        ({}, 'Bad Request: parameter "text" is required'),
    ],
)
async def test_send_message_is_plain_text_up_to_2000_characters(
    zl: Zl, params: dict[str, Any], description: str
) -> None:
    await zl.say(AN, "chào")
    assert await zl.error("sendMessage", chat_id=AN["id"], **params) == (400, description)
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="x" * 2000)


async def test_the_bot_may_only_write_to_users_who_wrote_and_did_not_block_it(zl: Zl) -> None:
    never = (403, "Forbidden: user has not interacted with the bot")
    assert await zl.error("sendMessage", chat_id="chua-viet", text="a") == never
    await zl.say(AN, "chào")
    assert await zl.control_ok("/control/block", {"user_id": AN["id"]}) == {
        "ok": True,
        "user_id": AN["id"],
    }
    blocked = (403, "Forbidden: bot was blocked by the user")
    assert await zl.error("sendMessage", chat_id=AN["id"], text="a") == blocked
    assert await zl.error("sendChatAction", chat_id=AN["id"], action="typing") == blocked
    assert (await zl.transcript(AN["id"]))["blocked"] is True
    await zl.say(AN, "mình bỏ chặn rồi")
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="cảm ơn")
    status, answer = await zl.control("/control/block", {"user_id": "ai-do"})
    assert status == 404 and "not found" in answer["description"]


async def test_send_photo_by_url_and_sticker_and_chat_action(zl: Zl) -> None:
    await zl.say(AN, "chào")
    url = "https://example.com/ban-do.jpg"
    sent = await zl.ok("sendPhoto", chat_id=AN["id"], photo=url, caption="Bản đồ")
    assert set(sent) == {"message_id", "date", "chat"}
    assert await zl.ok("sendSticker", chat_id=AN["id"], sticker="sticker-42")
    assert await zl.ok("sendChatAction", chat_id=AN["id"], action="typing") is True
    assert await zl.ok("sendChatAction", chat_id=AN["id"], action="upload_photo") is True
    photo, sticker = (await zl.messages(AN["id"]))[1:]
    assert (photo["photo_url"], photo["text"], photo["media"]) == (
        url,
        "Bản đồ",
        {"kind": "photo", "url": url},
    )
    assert sticker["media"] == {"kind": "sticker", "sticker": "sticker-42"}


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendPhoto", {"photo": "file-id-123"}, "Bad Request: photo must be an http or https URL"),
        (
            "sendPhoto",
            {"photo": "https://a.vn/x.jpg", "caption": "c" * 2001},
            "Bad Request: caption is too long",
        ),
        ("sendSticker", {"sticker": " "}, "Bad Request: sticker is empty"),
        (
            "sendChatAction",
            {"action": "record_voice"},
            "Bad Request: action must be typing or upload_photo",
        ),
    ],
)
async def test_media_and_actions_are_checked(
    zl: Zl, method: str, params: dict[str, Any], description: str
) -> None:
    await zl.say(AN, "chào")
    assert await zl.error(method, chat_id=AN["id"], **params) == (400, description)


async def test_user_photos_show_in_the_transcript_for_the_page(zl: Zl) -> None:
    await zl.send(AN, photo={"width": 40, "height": 30}, caption="ảnh")
    [entry] = await zl.messages(AN["id"])
    media = entry["media"]
    assert (entry["event_name"], entry["text"], media["kind"]) == (
        "message.image.received",
        "ảnh",
        "photo",
    )
    assert entry["photo_url"] == media["url"]
    assert media["path"].startswith("/zalo/files/") and media["url"].endswith(media["path"])
    assert (media["width"], media["height"]) == (40, 30)
    status, answer = await zl.control("/control/transcript?chat_id=khong-co")
    assert status == 404 and "not found" in answer["description"]


# ----------------------------------------------------------- faults, limits, stats


async def test_injected_429_and_5xx_answer_like_the_telegram_sandbox(zl: Zl) -> None:
    await zl.say(AN, "chào")
    await zl.fault(method="sendMessage", error="429", retry_after=7)
    assert await zl.call("sendMessage", chat_id=AN["id"], text="bị chặn") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    await zl.fault(error="5xx", status=503, chat_id=AN["id"])
    assert await zl.error("sendMessage", chat_id=AN["id"], text="lỗi") == (
        503,
        "Internal Server Error",
    )
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="đã qua")
    assert [m["text"] for m in await zl.messages(AN["id"])] == ["chào", "đã qua"]
    stats = await zl.stats()
    assert (stats["faults_hit"], stats["http_429"]) == (2, 1)
    assert stats["requests"]["sendMessage"] == 3
    assert stats["messages_by_chat"] == {AN["id"]: 1}


async def test_fault_rules_match_string_chat_ids(zl: Zl) -> None:
    await zl.say(AN, "chào")
    await zl.say(BINH, "chào")
    await zl.fault(error="403", chat_id=2001, times=0)  # an integer means its digits
    [rule] = (await zl.control_ok("/control/faults"))["faults"]
    assert rule["chat_id"] == "2001"
    assert (await zl.error("sendMessage", chat_id="2001", text="a"))[0] == 403
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="a")
    status, _ = await zl.control("/control/faults", {"error": "429", "chat_id": []})
    assert status == 400
    assert (await zl.delete("/control/faults"))[1] == {"ok": True, "cleared": 1}


async def test_limits_are_off_by_default_and_per_user_when_on(
    zalo_timed: Zl, clock: FakeClock
) -> None:
    zl = zalo_timed
    await zl.say(AN, "chào")
    await zl.say(BINH, "chào")
    assert await zl.control_ok("/control/limits") == {
        "enabled": False,
        "global_per_second": 30,
        "private_per_second": 1,
        "strictness": 1.0,
        "effective": {"global_per_second": 30, "private_per_second": 1},
    }
    for _ in range(3):
        assert await zl.ok("sendMessage", chat_id=AN["id"], text="nhanh")
    clock.advance(1)
    await zl.limits(enabled=True, global_per_second=2)
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="một")
    status, body = await zl.call("sendMessage", chat_id=AN["id"], text="hai")
    assert (status, body["parameters"]) == (429, {"retry_after": 1})
    assert await zl.ok("sendPhoto", chat_id="2001", photo="https://a.vn/p.jpg")
    assert (await zl.call("sendSticker", chat_id="2001", sticker="s"))[0] == 429  # global
    clock.advance(1)
    assert await zl.ok("sendMessage", chat_id=AN["id"], text="hai")
    status, answer = await zl.control("/control/limits", {"group_per_minute": 5})
    assert status == 400 and 'unknown field "group_per_minute"' in answer["description"]
    assert (await zl.stats())["max_in_window"]["max_private_1s"] == 3


# --------------------------------------------------------------------- settle, reset


async def test_settle_waits_until_the_bot_took_every_update(zl: Zl) -> None:
    assert (await zl.settle(0.2))[0] == 200  # nothing happened yet
    await zl.say(AN, "chào")
    status, body = await zl.settle(0.2)
    assert status == 504 and "1 update(s) not received by the bot" in body["description"]
    await zl.ok("getUpdates", timeout="0")
    status, body = await zl.settle(0.2)  # a bot that polled before must be polling again
    assert status == 504 and "not waiting in getUpdates" in body["description"]
    poll = asyncio.create_task(zl.poll(10))
    await wait_for_poller(zl)
    assert (await zl.settle(1))[0] == 200
    poll.cancel()


async def test_settle_asks_the_idle_probe(zl: Zl) -> None:
    busy = True

    async def probe() -> bool:
        return not busy

    zl.zalo.idle_probe = probe
    status, body = await zl.settle(0.1)
    assert status == 504 and "idle_probe" in body["description"]
    busy = False
    assert (await zl.settle(1))[0] == 200


async def test_reset_forgets_chats_and_updates_but_keeps_the_webhook(
    zl: Zl, receiver: Receiver
) -> None:
    await use_webhook(zl, receiver)
    await zl.say(AN, "chào")
    assert (await zl.settle())[0] == 200 and len(receiver.requests) == 1
    await zl.control_ok("/control/reset", {})
    assert (await zl.control("/control/transcript?chat_id=" + AN["id"]))[0] == 404
    assert await zl.control_ok("/control/chats") == {"chats": []}
    log = await zl.control_ok("/control/webhook")
    assert (log["webhook"]["url"], log["attempts"]) == (receiver.url, [])
