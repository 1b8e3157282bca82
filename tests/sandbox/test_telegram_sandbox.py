"""Tests of the Telegram sandbox, driven over real HTTP like the bot and the page drive it.

They cover the Bot API envelope and parameter parsing, Telegram's validation rules, the
getUpdates semantics (offsets, long polling, 409 on a second poller, allowed_updates),
the control API (messages, button presses, transcripts, settle), a real aiogram Bot and
Dispatcher talking to the sandbox, and the web chat page.
"""

import asyncio
import json
import ssl
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from bot.sandbox.html_entities import HtmlParseError, parse_html
from bot.sandbox.server import RunningSandbox, start_sandbox
from bot.sandbox.telegram import DEFAULT_TOKEN, WEBHOOK_ACTIVE, TelegramSandbox
from bot.sandbox.webhooks import RetryPolicy
from tests import proxy
from tests.sandbox.client import Tg

AN: dict[str, Any] = {"id": 1001, "first_name": "Nguyễn Văn An", "language_code": "vi"}
BINH: dict[str, Any] = {"id": 2001, "first_name": "Trần Thị Bình"}
GROUP: dict[str, Any] = {"id": -100, "type": "group", "title": "Tổ dân cư số 1"}
KEYBOARD: dict[str, Any] = {
    "inline_keyboard": [
        [{"text": "Đồng ý", "callback_data": "ok:1"}, {"text": "Huỷ", "callback_data": "no:1"}],
        [{"text": "Xem", "url": "https://example.org/tin"}],
    ]
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


async def bot_message(tg: Tg, chat_id: int, text: str, **params: Any) -> dict[str, Any]:
    return await tg.ok("sendMessage", chat_id=chat_id, text=text, **params)


# ------------------------------------------------------------------ envelope, routing


async def test_start_sandbox_reports_the_real_port(running: RunningSandbox) -> None:
    assert running.port > 0
    assert running.base_url == f"http://127.0.0.1:{running.port}"


async def test_get_me_by_get_and_post_with_any_method_case(tg: Tg) -> None:
    async with tg.http.get(tg.url(f"/bot{DEFAULT_TOKEN}/GETME")) as response:
        body = await response.json()
    assert response.status == 200
    me = body["result"]
    assert me["is_bot"] is True and me["username"] == "binhyen_bot"
    assert me["id"] == 7000000001
    assert {"can_join_groups", "can_read_all_group_messages", "supports_inline_queries"} <= set(me)
    assert await tg.ok("getme") == me


async def test_wrong_token_and_unknown_method(tg: Tg) -> None:
    assert await tg.error("getMe", token="123:wrong") == (401, "Unauthorized")
    assert await tg.error("sendPigeon") == (404, "Not Found")
    assert await tg.error("sendPigeon", token="123:wrong") == (401, "Unauthorized")


async def test_parameter_errors_name_the_parameter(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    assert await tg.error("sendMessage", chat_id=1001, text="a", colour="red") == (
        400,
        'Bad Request: unknown parameter "colour"',
    )
    assert await tg.error("sendMessage", text="a") == (
        400,
        'Bad Request: parameter "chat_id" is required',
    )
    status, description = await tg.error("getUpdates", limit="many")
    assert status == 400 and '"limit"' in description
    status, description = await tg.error("sendMessage", chat_id=1001, text="a", reply_markup="{x")
    assert status == 400 and '"reply_markup"' in description
    status, description = await tg.error("sendMessage", chat_id=1001, text="a", protect_content="y")
    assert status == 400 and '"protect_content"' in description


async def test_every_encoding_is_accepted(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    query = f"/bot{DEFAULT_TOKEN}/sendMessage?chat_id=1001&text=qua%20query"
    async with tg.http.get(tg.url(query)) as response:
        assert (await response.json())["result"]["text"] == "qua query"
    form = {"chat_id": "1001", "text": "qua form", "disable_notification": "true"}
    async with tg.http.post(tg.url(f"/bot{DEFAULT_TOKEN}/sendMessage"), data=form) as response:
        assert (await response.json())["result"]["text"] == "qua form"
    status, body = await tg.multipart(
        "sendMessage",
        {
            "chat_id": "1001",
            "text": "qua multipart",
            "reply_markup": json.dumps(KEYBOARD),
            "protect_content": "true",
            "link_preview_options": json.dumps({"is_disabled": True}),
        },
    )
    assert status == 200, body
    assert body["result"]["reply_markup"] == KEYBOARD
    assert body["result"]["has_protected_content"] is True
    result = await bot_message(tg, 1001, "qua JSON", reply_markup=KEYBOARD)
    assert [result["message_id"], result["chat"]["id"]] == [5, 1001]


# ------------------------------------------------------------------------ message text


async def test_text_must_be_1_to_4096_characters_after_trimming(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    assert await tg.error("sendMessage", chat_id=1001, text=" \n ") == (
        400,
        "Bad Request: message text is empty",
    )
    assert await tg.error("sendMessage", chat_id=1001, text="ư" * 4097) == (
        400,
        "Bad Request: message is too long",
    )
    assert (await bot_message(tg, 1001, "  " + "ư" * 4096 + "\n"))["text"] == "ư" * 4096


async def test_html_is_parsed_into_plain_text_and_entities(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    html = (
        '<b>Chào</b> 😀 <a href="https://example.org/?a=1&amp;b=2">bạn</a> &lt;3 &amp; <i>hẹn</i>'
    )
    result = await bot_message(tg, 1001, html, parse_mode="HTML")
    assert result["text"] == "Chào 😀 bạn <3 & hẹn"
    assert result["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 8, "length": 3, "url": "https://example.org/?a=1&b=2"},
        {"type": "italic", "offset": 17, "length": 3},
    ]
    messages = (await tg.transcript(1001))["messages"]
    assert messages[-1]["text"] == "Chào 😀 bạn <3 & hẹn"


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("a <br/> b", 'Unsupported start tag "br/" at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_broken_html_is_refused_like_telegram(tg: Tg, html: str, description: str) -> None:
    await tg.say(AN, "xin chào")
    assert await tg.error("sendMessage", chat_id=1001, text=html, parse_mode="HTML") == (
        400,
        f"Bad Request: can't parse entities: {description}",
    )


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del>",
            "abcd",
            ["bold", "italic", "underline", "strikethrough"],
        ),
        (
            '<tg-spoiler>a</tg-spoiler><span class="tg-spoiler">b</span>',
            "ab",
            ["spoiler", "spoiler"],
        ),
        (
            "<blockquote expandable>a</blockquote><code>b</code>",
            "ab",
            ["expandable_blockquote", "code"],
        ),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", ["custom_emoji"]),
        ("&#273;&#x1EBF;n &quot;x&quot; &nbsp;", 'đến "x" &nbsp;', []),
    ],
)
def test_parse_html_tag_set(html: str, text: str, entities: list[str]) -> None:
    plain, parsed = parse_html(html)
    assert plain == text
    assert [entity["type"] for entity in parsed] == entities


def test_parse_html_pre_with_language_and_nesting() -> None:
    plain, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre><b>a<i>b</i></b>'
    )
    assert plain == "x = 1ab"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "bold", "offset": 5, "length": 2},
        {"type": "italic", "offset": 6, "length": 1},
    ]
    with pytest.raises(HtmlParseError):
        parse_html('<a href="x>y</a>')


# ------------------------------------------------------------------------- keyboards


async def test_callback_data_is_limited_to_64_bytes(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    fits = {"inline_keyboard": [[{"text": "a", "callback_data": "đ" * 32}]]}
    too_long = {"inline_keyboard": [[{"text": "a", "callback_data": "đ" * 32 + "x"}]]}
    await bot_message(tg, 1001, "ok", reply_markup=fits)
    assert await tg.error("sendMessage", chat_id=1001, text="x", reply_markup=too_long) == (
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    )
    empty = {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}
    assert (await tg.error("sendMessage", chat_id=1001, text="x", reply_markup=empty))[1] == (
        "Bad Request: BUTTON_DATA_INVALID"
    )


async def test_inline_buttons_need_exactly_one_action(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    bare = {"inline_keyboard": [[{"text": "a"}]]}
    status, description = await tg.error("sendMessage", chat_id=1001, text="x", reply_markup=bare)
    assert status == 400 and description.startswith(
        "Bad Request: can't parse inline keyboard button"
    )
    both = {"inline_keyboard": [[{"text": "a", "callback_data": "a", "url": "https://a.vn"}]]}
    assert (await tg.error("sendMessage", chat_id=1001, text="x", reply_markup=both))[0] == 400
    local = {"inline_keyboard": [[{"text": "a", "url": "http://localhost:8080"}]]}
    status, description = await tg.error("sendMessage", chat_id=1001, text="x", reply_markup=local)
    assert "Wrong HTTP URL" in description


async def test_reply_keyboards_are_stored_but_not_echoed(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    keyboard = {
        "keyboard": [[{"text": "Gửi số điện thoại", "request_contact": True}], ["Huỷ"]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
        "input_field_placeholder": "Chọn một mục",
    }
    result = await bot_message(tg, 1001, "Chia sẻ số điện thoại?", reply_markup=keyboard)
    assert "reply_markup" not in result
    transcript = await tg.transcript(1001)
    assert transcript["reply_keyboard"]["keyboard"][1] == [{"text": "Huỷ"}]
    await tg.say(AN, "gõ chữ khác")
    assert (await tg.transcript(1001))["reply_keyboard"] is not None
    await tg.say(AN, "Huỷ")
    assert (await tg.transcript(1001))["reply_keyboard"] is None
    await bot_message(tg, 1001, "lại", reply_markup={**keyboard, "one_time_keyboard": False})
    await bot_message(tg, 1001, "thôi", reply_markup={"remove_keyboard": True})
    assert (await tg.transcript(1001))["reply_keyboard"] is None
    await bot_message(tg, 1001, "trả lời đi", reply_markup={"force_reply": True})


# ------------------------------------------------------------------------------ chats


async def test_unknown_chat_and_user_who_never_started_the_bot(tg: Tg) -> None:
    assert await tg.error("sendMessage", chat_id=555, text="x") == (
        400,
        "Bad Request: chat not found",
    )
    await tg.say(BINH, "/help", chat=GROUP)
    assert await tg.error("sendMessage", chat_id=2001, text="x") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    assert (await bot_message(tg, -100, "chào tổ"))["chat"] == {
        "id": -100,
        "type": "group",
        "title": "Tổ dân cư số 1",
    }
    await tg.say(BINH, "chào bot")
    assert (await bot_message(tg, 2001, "chào chị"))["chat"]["type"] == "private"


async def test_message_ids_are_per_chat_and_safe_under_concurrency(tg: Tg) -> None:
    await tg.say(AN, "a")
    await tg.say(BINH, "b")
    results = await asyncio.gather(*(bot_message(tg, 1001, f"tin {i}") for i in range(40)))
    assert sorted(r["message_id"] for r in results) == list(range(2, 42))
    assert (await bot_message(tg, 2001, "x"))["message_id"] == 2


# -------------------------------------------------------------------------- getUpdates


async def test_user_message_becomes_an_update_with_a_command_entity(tg: Tg) -> None:
    sent = await tg.say(AN, "/start@binhyen_bot ma_moi")
    assert sent == {"update_id": 1, "message_id": 1, "chat_id": 1001}
    [update] = await tg.updates()
    message = update["message"]
    assert update["update_id"] == 1
    assert message["from"] == {
        "id": 1001,
        "is_bot": False,
        "first_name": "Nguyễn Văn An",
        "language_code": "vi",
    }
    assert message["chat"] == {"id": 1001, "type": "private", "first_name": "Nguyễn Văn An"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 18}]
    assert isinstance(message["date"], int)
    assert (await tg.transcript(1001))["messages"][0]["from"] == "user"


async def test_offset_confirms_updates_for_good(tg: Tg) -> None:
    for text in ("một", "hai", "ba"):
        await tg.say(AN, text)
    assert [u["update_id"] for u in await tg.updates()] == [1, 2, 3]
    assert [u["update_id"] for u in await tg.updates(limit=2)] == [1, 2]
    assert [u["update_id"] for u in await tg.updates(offset=3)] == [3]
    assert [u["update_id"] for u in await tg.updates()] == [3]
    await tg.say(AN, "bốn")
    await tg.say(AN, "năm")
    assert [u["update_id"] for u in await tg.updates(offset=-1)] == [5]
    assert await tg.updates(offset=6) == []
    assert (await tg.say(AN, "sáu"))["update_id"] == 6


async def test_long_poll_returns_as_soon_as_an_update_arrives(tg: Tg) -> None:
    poll = asyncio.create_task(tg.updates(timeout=20))
    status, _ = await tg.settle()
    assert status == 200
    await tg.say(AN, "có ai không")
    updates = await asyncio.wait_for(poll, 5)
    assert [u["message"]["text"] for u in updates] == ["có ai không"]


async def test_long_poll_times_out_with_an_empty_list(tg: Tg) -> None:
    assert await tg.updates(timeout=1) == []


async def test_a_second_poller_terminates_the_first_with_409(tg: Tg) -> None:
    first = asyncio.create_task(tg.call("getUpdates", timeout=20))
    assert (await tg.settle())[0] == 200
    second = asyncio.create_task(tg.call("getUpdates", timeout=20))
    status, body = await asyncio.wait_for(first, 5)
    assert (status, body) == (409, {"ok": False, "error_code": 409, "description": CONFLICT})
    await tg.say(AN, "xin chào")
    status, body = await asyncio.wait_for(second, 5)
    assert status == 200 and len(body["result"]) == 1


async def test_allowed_updates_persist_and_filter(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    sent = await bot_message(tg, 1001, "chọn", reply_markup=KEYBOARD)
    assert await tg.updates(offset=2, allowed_updates=["callback_query"]) == []
    assert (await tg.say(AN, "bị bỏ qua"))["update_id"] is None
    status, pressed = await tg.press(
        user_id=1001, chat_id=1001, message_id=sent["message_id"], data="ok:1"
    )
    assert status == 200 and pressed["update_id"] == 2
    [update] = await tg.updates()
    assert set(update) == {"update_id", "callback_query"}
    await tg.updates(offset=3, allowed_updates=[])
    assert (await tg.say(AN, "lại nhận"))["update_id"] == 3


async def test_webhook_methods_for_aiogram(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    info = await tg.ok("getWebhookInfo")
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 1}
    assert await tg.ok("deleteWebhook", drop_pending_updates=True) is True
    assert await tg.updates() == []


async def test_webhook_rules_delivery_and_giving_up(tg: Tg) -> None:
    """Telegram's rules for setWebhook (HTTPS on its four ports; loopback is the sandbox's
    exception), the secret header, retries, giving up with the reason in getWebhookInfo."""
    for url, reason in (("http://example.org/hook", "An HTTPS URL must be provided"),
                        ("https://example.org:9000/hook", "only on ports 80, 88, 443 or 8443")):
        status, description = await tg.error("setWebhook", url=url)
        assert status == 400 and reason in description
    status, description = await tg.error("setWebhook", url="https://example.org/hook",
                                         secret_token="bí mật")
    assert status == 400 and "unallowed characters" in description

    calls: list[tuple[str | None, int]] = []

    async def hook(request: web.Request) -> web.Response:
        calls.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                      (await request.json())["update_id"]))
        return web.json_response({}, status=401 if len(calls) <= 2 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        tg.sandbox.webhooks.retry = RetryPolicy(attempts=2, first_delay=0.01, timeout=2)
        assert await tg.ok("setWebhook", url=url, secret_token="bi-mat_1") is True
        assert await tg.error("getUpdates") == (409, WEBHOOK_ACTIVE)
        first = (await tg.say(AN, "một"))["update_id"]
        second = (await tg.say(AN, "hai"))["update_id"]
        assert (await tg.settle())[0] == 200
        assert calls == [("bi-mat_1", first), ("bi-mat_1", first), ("bi-mat_1", second)]
        info = await tg.ok("getWebhookInfo")
        assert (info["url"], info["pending_update_count"]) == (url, 0)
        assert info["last_error_message"] == "Wrong response from the webhook: 401"
        assert await tg.ok("deleteWebhook") is True
        await tg.say(AN, "ba")
        assert [u["message"]["text"] for u in await tg.updates()] == ["ba"]
    finally:
        await runner.cleanup()


# ------------------------------------------------------------------ buttons, callbacks


async def test_press_by_label_and_answer_once(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    sent = await bot_message(tg, 1001, "Xác nhận?", reply_markup=KEYBOARD)
    status, pressed = await tg.press(
        user_id=1001, chat_id=1001, message_id=sent["message_id"], button="Huỷ"
    )
    assert status == 200
    updates = await tg.updates(offset=2)
    query = updates[0]["callback_query"]
    assert query["id"] == pressed["callback_query_id"]
    assert query["data"] == "no:1"
    assert query["from"]["id"] == 1001
    assert query["message"] == sent
    assert isinstance(query["chat_instance"], str)
    assert await tg.ok("answerCallbackQuery", callback_query_id=query["id"], text="Đã huỷ") is True
    assert await tg.error("answerCallbackQuery", callback_query_id=query["id"]) == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    assert (await tg.error("answerCallbackQuery", callback_query_id="42"))[0] == 400
    [answer] = (await tg.transcript(1001))["callback_answers"]
    assert (answer["callback_query_id"], answer["text"], answer["show_alert"]) == (
        query["id"],
        "Đã huỷ",
        False,
    )


async def test_pressing_missing_buttons_needs_force(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    sent = await bot_message(tg, 1001, "Xác nhận?", reply_markup=KEYBOARD)
    message_id = sent["message_id"]
    status, body = await tg.press(user_id=1001, chat_id=1001, message_id=message_id, data="forged")
    assert status == 400 and body["ok"] is False
    status, body = await tg.press(user_id=1001, chat_id=1001, message_id=message_id, button="Xem")
    assert status == 400
    status, body = await tg.press(
        user_id=1001, chat_id=1001, message_id=message_id, data="forged", force=True
    )
    assert status == 200
    await tg.ok("deleteMessage", chat_id=1001, message_id=message_id)
    status, body = await tg.press(user_id=1001, chat_id=1001, message_id=message_id, data="ok:1")
    assert status == 400
    status, body = await tg.press(
        user_id=1001, chat_id=1001, message_id=message_id, data="ok:1", force=True
    )
    assert status == 200
    queries = [u["callback_query"] for u in await tg.updates(offset=2)]
    assert [q["data"] for q in queries] == ["forged", "ok:1"]
    assert queries[1]["message"] == {"chat": sent["chat"], "message_id": message_id, "date": 0}
    status, _ = await tg.press(user_id=2001, chat_id=1001, message_id=message_id, data="ok:1")
    assert status == 400


# --------------------------------------------------------------------- edit, delete


async def test_edit_rules(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    sent = await bot_message(tg, 1001, "<b>Bản tin</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    target = {"chat_id": 1001, "message_id": sent["message_id"]}
    same = {"text": "<b>Bản tin</b>", "parse_mode": "HTML", "reply_markup": KEYBOARD}
    assert await tg.error("editMessageText", **target, **same) == (400, NOT_MODIFIED)
    edited = await tg.ok("editMessageText", **target, text="<b>Bản tin</b>", parse_mode="HTML")
    assert "reply_markup" not in edited and isinstance(edited["edit_date"], int)
    assert await tg.error("editMessageReplyMarkup", **target) == (400, NOT_MODIFIED)
    with_markup = await tg.ok("editMessageReplyMarkup", **target, reply_markup=KEYBOARD)
    assert with_markup["reply_markup"] == KEYBOARD
    assert await tg.error("editMessageText", chat_id=1001, message_id=99, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert (await tg.error("editMessageText", chat_id=1001, message_id=1, text="x"))[0] == 400
    assert (await tg.error("editMessageText", text="x"))[0] == 400
    reply_kb = {"keyboard": [["a"]]}
    assert (await tg.error("editMessageReplyMarkup", **target, reply_markup=reply_kb))[0] == 400
    entry = (await tg.transcript(1001))["messages"][1]
    assert entry["edited"] is True and entry["text"] == "Bản tin"


async def test_delete_rules(tg: Tg) -> None:
    command = await tg.say(AN, "/bao_cao 0901234567")
    assert await tg.ok("deleteMessage", chat_id=1001, message_id=command["message_id"]) is True
    assert await tg.error("deleteMessage", chat_id=1001, message_id=command["message_id"]) == (
        400,
        "Bad Request: message to delete not found",
    )
    [entry] = (await tg.transcript(1001))["messages"]
    assert (entry["deleted"], entry["text"]) == (True, "/bao_cao 0901234567")
    in_group = await tg.say(BINH, "/bao_cao", chat=GROUP)
    assert await tg.error("deleteMessage", chat_id=-100, message_id=in_group["message_id"]) == (
        400,
        "Bad Request: message can't be deleted",
    )
    await tg.say(BINH, "/bao_cao", chat={**GROUP, "bot_is_admin": True})
    assert await tg.ok("deleteMessage", chat_id=-100, message_id=in_group["message_id"]) is True


# ------------------------------------------------------------------ groups, commands


async def test_group_privacy_mode_decides_what_the_bot_receives(tg: Tg) -> None:
    assert (await tg.say(BINH, "chuyện phiếm", chat=GROUP))["update_id"] is None
    assert (await tg.say(BINH, "/start", chat=GROUP))["update_id"] == 1
    assert (await tg.say(BINH, "/start@other_bot", chat=GROUP))["update_id"] is None
    assert (await tg.say(BINH, "hỏi @BinhYen_bot nhé", chat=GROUP))["update_id"] == 2
    sent = await bot_message(tg, -100, "Chào tổ")
    reply = await tg.say(BINH, "vâng", chat=GROUP, reply_to_message_id=sent["message_id"])
    assert reply["update_id"] == 3
    [*_, update] = await tg.updates()
    assert update["message"]["reply_to_message"]["text"] == "Chào tổ"
    assert (await tg.say(BINH, "giờ thấy hết", chat={**GROUP, "bot_is_admin": True}))[
        "update_id"
    ] == 4
    chats = (await tg.control("/control/chats"))[1]["chats"]
    assert [c["chat"]["id"] for c in chats] == [-100]


async def test_commands_are_stored_per_scope(tg: Tg) -> None:
    commands = [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "bao_cao", "description": "Báo tin"},
    ]
    assert await tg.ok("setMyCommands", commands=commands) is True
    group_only = [{"command": "tong_hop", "description": "Tổng hợp"}]
    await tg.ok(
        "setMyCommands", commands=group_only, scope={"type": "all_group_chats"}, language_code="vi"
    )
    assert await tg.ok("getMyCommands") == commands
    status, body = await tg.control("/control/commands?chat_id=-100&language_code=vi")
    assert status == 200
    assert body["visible"] == group_only
    assert [entry["scope"]["type"] for entry in body["stored"]] == ["default", "all_group_chats"]
    status, body = await tg.control("/control/commands?chat_id=1001")
    assert body["visible"] == commands
    bad = [{"command": "Start", "description": "x"}]
    assert await tg.error("setMyCommands", commands=bad) == (
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )


# ------------------------------------------------------------------- control errors


async def test_control_requests_are_validated(tg: Tg) -> None:
    status, body = await tg.control("/control/message", {"user": {"id": 1}, "text": "x"})
    assert status == 400 and "first_name" in body["description"]
    status, body = await tg.control("/control/message", {"user": AN, "text": "  "})
    assert status == 400
    status, body = await tg.control(
        "/control/message", {"user": AN, "text": "x", "chat": {"id": 5}}
    )
    assert status == 400
    status, body = await tg.control("/control/message", {"user": AN, "txt": "x"})
    assert status == 400 and "txt" in body["description"]
    status, body = await tg.control("/control/transcript?chat_id=777")
    assert status == 404


async def test_reset_forgets_everything_but_update_ids(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    await tg.ok("setMyCommands", commands=[{"command": "start", "description": "Bắt đầu"}])
    assert (await tg.control("/control/reset", {}))[0] == 200
    assert (await tg.control("/control/chats"))[1] == {"chats": []}
    assert (await tg.control("/control/commands"))[1]["stored"] == []
    assert await tg.updates() == []
    assert (await tg.say(AN, "lại"))["update_id"] == 2


# ------------------------------------------------------------------------------ settle


async def test_settle_is_immediate_before_any_poller(tg: Tg) -> None:
    assert await tg.settle() == (200, {"ok": True})


async def test_settle_times_out_on_unconfirmed_updates(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    status, body = await tg.settle(timeout=0.2)
    assert status == 504 and body["ok"] is False
    assert "not confirmed" in body["description"]
    await tg.updates()
    status, body = await tg.settle(timeout=0.2)
    assert status == 504 and "getUpdates" in body["description"]


async def test_settle_waits_for_requests_in_flight_and_the_idle_probe(tg: Tg) -> None:
    with tg.sandbox.track_request("sendMessage"):
        assert await tg.sandbox.settle(0.1) is False
    assert await tg.sandbox.settle(0.1) is True
    busy = True

    async def probe() -> bool:
        return not busy

    tg.sandbox.idle_probe = probe
    status, body = await tg.settle(timeout=0.2)
    assert status == 504 and "idle_probe" in body["description"]
    waiter = asyncio.create_task(tg.settle(timeout=5))
    busy = False
    assert await waiter == (200, {"ok": True})


# ------------------------------------------------------------------------------ aiogram


async def test_aiogram_bot_against_the_sandbox(tg: Tg, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000000001, "binhyen_bot", True)
    await tg.say(AN, "/start")
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None and update.message.text == "/start"
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Có", callback_data="yes"),
                InlineKeyboardButton(text="Không", callback_data="no"),
            ]
        ]
    )
    sent = await bot.send_message(
        1001, "<b>Bạn</b> có an toàn không?", parse_mode="HTML", reply_markup=markup
    )
    assert sent.text == "Bạn có an toàn không?" and sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()
    assert sent.from_user is not None and sent.from_user.is_bot
    await tg.press(user_id=1001, chat_id=1001, message_id=sent.message_id, button="Có")
    [update] = await bot.get_updates(offset=update.update_id + 1, timeout=1)
    query = update.callback_query
    assert query is not None and query.data == "yes" and query.message is not None
    assert await bot.answer_callback_query(query.id, text="Cảm ơn", show_alert=True)
    edited = await bot.edit_message_text("Đã ghi nhận.", chat_id=1001, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Đã ghi nhận.", chat_id=1001, message_id=sent.message_id)
    assert await bot.delete_message(1001, sent.message_id)
    scope = BotCommandScopeAllGroupChats()
    assert await bot.set_my_commands(
        [BotCommand(command="bao_cao", description="Báo tin")], scope=scope
    )
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0, allowed_updates=[]) == []
    transcript = await tg.transcript(1001)
    assert [m["deleted"] for m in transcript["messages"]] == [False, True]
    assert transcript["callback_answers"][0]["show_alert"] is True
    stored = (await tg.control("/control/commands"))[1]["stored"]
    assert stored == [
        {
            "scope": {"type": "all_group_chats"},
            "language_code": "",
            "commands": [{"command": "bao_cao", "description": "Báo tin"}],
        }
    ]


async def test_aiogram_dispatcher_polling_with_settle(tg: Tg, bot: Bot) -> None:
    dispatcher = Dispatcher()
    choice = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Báo tin", callback_data="report")]]
    )

    @dispatcher.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Chào <b>bạn</b>!", parse_mode="HTML", reply_markup=choice)

    @dispatcher.callback_query(F.data == "report")
    async def report(query: CallbackQuery) -> None:
        await query.answer("Đã nhận")
        if isinstance(query.message, Message):
            await query.message.edit_text("Mời bạn mô tả sự việc.")

    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, handle_as_tasks=False
        )
    )
    try:
        await tg.say(AN, "/start")
        assert await tg.settle() == (200, {"ok": True})
        greeting = (await tg.transcript(1001))["messages"][1]
        assert greeting["text"] == "Chào bạn!" and greeting["reply_markup"] == choice.model_dump(
            exclude_none=True
        )
        await tg.press(
            user_id=1001, chat_id=1001, message_id=greeting["message_id"], button="Báo tin"
        )
        assert await tg.settle() == (200, {"ok": True})
        transcript = await tg.transcript(1001)
        assert transcript["messages"][1]["text"] == "Mời bạn mô tả sự việc."
        assert transcript["messages"][1]["edited"] is True
        assert transcript["callback_answers"][0]["text"] == "Đã nhận"
    finally:
        await dispatcher.stop_polling()
        await polling


# ---------------------------------------------------------------------------- web page


async def test_chat_page_is_served_without_external_urls(tg: Tg) -> None:
    async with tg.http.get(tg.url("/")) as response:
        assert response.status == 200
        page = await response.text()
    for label in ("Bình Yên — thử trò chuyện", "Bạn là:", "Gửi"):
        assert label in page
    for asset in ("/static/chat.js", "/static/chat.css"):
        async with tg.http.get(tg.url(asset)) as response:
            assert response.status == 200
            page += await response.text()
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert "Nhóm" in page and "Cá nhân" in page


async def test_personas_default_and_override(tg: Tg) -> None:
    status, body = await tg.control("/control/personas")
    assert status == 200
    assert [p["user"]["id"] for p in body["personas"]] == [1001, 2001, 3001, 4001]
    assert body["personas"][2]["label"] == "Trưởng Công an xã (Lê Văn Cường)"
    assert body["groups"][0]["id"] == -100 and body["groups"][0]["title"] == "Tổ dân cư số 1"
    custom = TelegramSandbox(
        personas=[{"label": "Khách", "user": {"id": 9, "first_name": "Khách"}}]
    )
    running = await start_sandbox(sandbox=custom)
    try:
        async with tg.http.get(f"{running.base_url}/control/personas") as response:
            assert [p["label"] for p in (await response.json())["personas"]] == ["Khách"]
    finally:
        await running.close()


# -------------------------------------------------------------------------- membership


async def test_membership_changes_emit_my_chat_member(tg: Tg) -> None:
    status, added = await tg.control(
        "/control/membership", {"user": BINH, "chat": GROUP, "status": "administrator"}
    )
    assert status == 200 and added == {"update_id": 1, "chat_id": -100, "status": "administrator"}
    [update] = await tg.updates()
    change = update["my_chat_member"]
    assert change["chat"]["title"] == "Tổ dân cư số 1" and change["from"]["id"] == 2001
    assert change["old_chat_member"]["status"] == "left"
    assert change["new_chat_member"]["status"] == "administrator"
    assert change["new_chat_member"]["user"]["id"] == 7000000001
    assert (await tg.say(BINH, "chuyện phiếm", chat=GROUP))["update_id"] == 2
    await tg.control("/control/membership", {"user": BINH, "chat": GROUP, "status": "kicked"})
    assert await tg.error("sendMessage", chat_id=-100, text="x") == (
        403,
        "Forbidden: bot was kicked from the group chat",
    )
    assert (await tg.say(BINH, "/start", chat=GROUP))["update_id"] is None


async def test_a_user_can_block_and_restart_the_bot(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "/start")
    status, body = await tg.control("/control/membership", {"user": AN, "status": "kicked"})
    assert status == 200 and body["update_id"] == 2
    assert await tg.error("sendMessage", chat_id=1001, text="x") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    status, body = await tg.control("/control/membership", {"user": AN, "status": "left"})
    assert status == 400
    assert (await tg.say(AN, "/start"))["update_id"] == 4
    updates = await bot.get_updates(offset=2)
    kinds = [
        (u.my_chat_member.new_chat_member.status if u.my_chat_member else "message")
        for u in updates
    ]
    assert kinds == ["kicked", "member", "message"]
    assert (await bot_message(tg, 1001, "chào lại"))["chat"]["id"] == 1001


async def test_webhook_calls_go_in_parallel_one_person_at_a_time(tg: Tg) -> None:
    """Up to max_connections calls at once, as Telegram makes them to a bot with several
    workers, but never two of one person's: their updates arrive in the order they wrote."""
    in_flight: dict[int, int] = {}
    most_at_once, most_of_one = 0, 0
    arrived: dict[int, list[str]] = {}

    async def hook(request: web.Request) -> web.Response:
        nonlocal most_at_once, most_of_one
        message = (await request.json())["message"]
        person = message["from"]["id"]
        in_flight[person] = in_flight.get(person, 0) + 1
        most_at_once = max(most_at_once, sum(in_flight.values()))
        most_of_one = max(most_of_one, in_flight[person])
        await asyncio.sleep(0.02)
        arrived.setdefault(person, []).append(message["text"])
        in_flight[person] -= 1
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert await tg.ok("setWebhook", url=url, max_connections=5) is True
        people = [{"id": 5000 + n, "first_name": f"Người {n}"} for n in range(8)]
        for step in ("một", "hai", "ba"):
            for person in people:
                await tg.say(person, step)
        assert (await tg.settle())[0] == 200
    finally:
        await runner.cleanup()
    assert most_at_once == 5 and most_of_one == 1
    assert arrived == {p["id"]: ["một", "hai", "ba"] for p in people}


async def test_webhook_over_https_needs_a_trusted_certificate(tg: Tg, tmp_path: Any) -> None:
    """A certificate no trusted authority signed is refused, as by Telegram; trusting the
    throwaway authority (as Telegram trusts an uploaded self-signed certificate) lets it in."""
    tls = proxy.throwaway_tls(tmp_path)
    calls: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        calls.append((await request.json())["update_id"])
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(tls.cert, tls.key)
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=served).start()
    try:
        tg.sandbox.webhooks.retry = RetryPolicy(attempts=1, first_delay=0.01, timeout=2)
        url = f"https://127.0.0.1:{runner.addresses[0][1]}/hook"
        assert await tg.ok("setWebhook", url=url) is True
        await tg.say(AN, "không tin")
        await tg.settle()
        assert calls == [] and tg.sandbox.webhooks.given_up == 1
        assert "Certificate" in (tg.sandbox.webhooks.last_error or {}).get("error", "")
        tg.sandbox.webhooks.trust(str(tls.ca))
        sent = (await tg.say(AN, "tin rồi"))["update_id"]
        await tg.settle()
        assert calls == [sent]
    finally:
        await runner.cleanup()
