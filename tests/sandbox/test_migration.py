"""A group upgraded to a supergroup, exactly as Telegram shows it to a bot.

Two service updates (migrate_to_chat_id in the old chat, migrate_from_chat_id in the
new one), the transcript moving to the new id while the old id still reads it, and
the Bot API answering the old id with 400 and parameters.migrate_to_chat_id.
"""

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramMigrateToChat
from aiogram.types import Update

from tests.sandbox.client import Tg

BINH: dict[str, Any] = {"id": 2001, "first_name": "Trần Thị Bình"}
GROUP: dict[str, Any] = {"id": -100, "type": "group", "title": "Tổ dân cư số 1"}
NEW_ID = -1001234567890
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"


async def upgraded_group(tg: Tg) -> dict[str, Any]:
    """A group where Bình wrote and the bot answered, then upgraded."""
    await tg.say(BINH, "/start", chat=GROUP)
    await tg.ok("sendMessage", chat_id=-100, text="Chào tổ dân cư")
    await tg.updates(offset=2)  # the bot confirmed the /start
    return dict(await tg.control_ok("/control/migrate", {"chat_id": -100, "new_chat_id": NEW_ID}))


async def test_migration_emits_both_service_updates(tg: Tg) -> None:
    result = await upgraded_group(tg)
    assert result == {"old_chat_id": -100, "new_chat_id": NEW_ID, "update_ids": [2, 3]}
    farewell, welcome = (Update.model_validate(u) for u in await tg.updates())
    assert farewell.message is not None and welcome.message is not None
    assert farewell.message.migrate_to_chat_id == NEW_ID
    assert (farewell.message.chat.id, farewell.message.chat.type) == (-100, "group")
    assert farewell.message.text is None
    assert welcome.message.migrate_from_chat_id == -100
    assert (welcome.message.chat.id, welcome.message.chat.type) == (NEW_ID, "supergroup")
    assert welcome.message.chat.title == "Tổ dân cư số 1"
    assert welcome.message.from_user is not None and welcome.message.from_user.id == 2001


async def test_the_transcript_moves_and_the_old_id_still_reads_it(tg: Tg) -> None:
    await upgraded_group(tg)
    new = await tg.transcript(NEW_ID)
    assert await tg.transcript(-100) == new
    assert new["chat"] == {"id": NEW_ID, "type": "supergroup", "title": "Tổ dân cư số 1"}
    assert [(m["message_id"], m["text"], m["service"]) for m in new["messages"]] == [
        (1, "/start", None),
        (2, "Chào tổ dân cư", None),
        (3, "", {"migrate_to_chat_id": NEW_ID}),
        (4, "", {"migrate_from_chat_id": -100}),
    ]
    chats = [c["chat"]["id"] for c in (await tg.control_ok("/control/chats"))["chats"]]
    assert chats == [NEW_ID]


async def test_the_old_id_answers_400_with_the_new_one(tg: Tg, bot: Bot) -> None:
    await upgraded_group(tg)
    status, body = await tg.call("sendMessage", chat_id=-100, text="còn đây không?")
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": UPGRADED,
        "parameters": {"migrate_to_chat_id": NEW_ID},
    }
    assert (await tg.error("editMessageText", chat_id=-100, message_id=2, text="x"))[1] == UPGRADED
    with pytest.raises(TelegramMigrateToChat) as raised:
        await bot.send_photo(-100, "AgAC-unknown")
    assert raised.value.migrate_to_chat_id == NEW_ID
    sent = await bot.send_message(NEW_ID, "Chào siêu nhóm")
    assert (sent.message_id, sent.chat.type) == (5, "supergroup")
    assert await bot.edit_message_text("Chào cả tổ", chat_id=NEW_ID, message_id=2)


async def test_users_keep_writing_through_the_old_or_new_id(tg: Tg) -> None:
    await upgraded_group(tg)
    via_old = await tg.say(BINH, "/start@binhyen_bot", chat=GROUP)
    via_new = await tg.say(BINH, "/help", chat={"id": NEW_ID, "type": "supergroup"})
    assert (via_old["chat_id"], via_old["message_id"]) == (NEW_ID, 5)
    assert (via_new["chat_id"], via_new["message_id"]) == (NEW_ID, 6)
    as_harness = await tg.say(BINH, "/start", chat={"id": NEW_ID, "type": "group"})
    assert (as_harness["chat_id"], as_harness["message_id"]) == (NEW_ID, 7)
    button = await tg.ok(
        "sendMessage",
        chat_id=NEW_ID,
        text="Chọn",
        reply_markup={"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]},
    )
    status, _ = await tg.press(
        user_id=2001, chat_id=-100, message_id=button["message_id"], data="yes"
    )
    assert status == 200


async def test_other_supergroups_keep_their_type_strict(tg: Tg) -> None:
    await upgraded_group(tg)
    await tg.say(BINH, "/start", chat={"id": -1009999999999, "type": "supergroup"})
    status, body = await tg.control(
        "/control/message",
        {"user": BINH, "text": "/start", "chat": {"id": -1009999999999, "type": "group"}},
    )
    assert status == 400 and "is a supergroup, not a group" in body["description"]


async def test_a_default_supergroup_id_and_the_default_actor(tg: Tg) -> None:
    await tg.say(BINH, "/start", chat=GROUP)
    result = await tg.control_ok("/control/migrate", {"chat_id": -100})
    assert result["new_chat_id"] == -1000000000100
    messages = await tg.messages(-100)
    assert messages[-1]["user_id"] == 2001


async def test_a_group_without_the_bot_migrates_silently(tg: Tg) -> None:
    await tg.control_ok("/control/membership", {"user": BINH, "chat": GROUP, "status": "left"})
    await tg.updates(offset=-1)
    result = await tg.control_ok("/control/migrate", {"chat_id": -100, "new_chat_id": NEW_ID})
    assert result["update_ids"] == []


@pytest.mark.parametrize(
    ("body", "status", "complaint"),
    [
        ({"chat_id": -555}, 404, "chat -555 not found"),
        ({"chat_id": 2001}, 400, "not a basic group"),
        ({"chat_id": -100, "new_chat_id": -200}, 400, "supergroup ids look like"),
        ({"chat_id": -100, "new_chat_id": "x"}, 400, '"new_chat_id" must be an integer'),
        ({"chat_id": -100, "new": 1}, 400, 'unknown field "new"'),
    ],
)
async def test_migrations_are_validated(
    tg: Tg, body: dict[str, Any], status: int, complaint: str
) -> None:
    await tg.say(BINH, "xin chào")
    await tg.say(BINH, "/start", chat=GROUP)
    answer_status, answer = await tg.control("/control/migrate", body)
    assert answer_status == status and complaint in answer["description"]


async def test_a_supergroup_is_not_upgraded_twice(tg: Tg) -> None:
    await upgraded_group(tg)
    for chat_id in (-100, NEW_ID):
        status, body = await tg.control("/control/migrate", {"chat_id": chat_id})
        assert status == 400 and "not a basic group" in body["description"]
