"""The flow engine through the real bot: steps, wrong input kinds, back, cancel, expiry,
restart mid-conversation, double presses and repeated updates.

The flow below is a small questionnaire written for these tests with the same API every
feature uses; the engine, the channel and the storage are the product's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.flows import Answer, Command, Ctx, Finish, Flow, Goto, Outcome, Registry, Retry, StartFlow
from bot.messages import Choice, InputKind, Prompt
from bot.models import FlowState, InboxUpdate
from content import texts
from handlers import build_registry
from tests.harness import RESIDENT, Harness, start_harness

survey = Flow("survey")


@survey.ask("colour")
async def ask_colour(ctx: Ctx) -> Prompt:
    return Prompt("Màu bạn thích?", (Choice("red", "Đỏ"), Choice("blue", "Xanh dương")))


@survey.answer("colour")
async def got_colour(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["colour"] = answer.choice.id
    return Goto("place")


@survey.ask("place")
async def ask_place(ctx: Ctx) -> Prompt:
    return Prompt("Nơi bạn ở? Gửi vị trí hoặc gõ địa chỉ.",
                  accepts=frozenset({InputKind.TEXT, InputKind.LOCATION}))


@survey.answer("place")
async def got_place(ctx: Ctx, answer: Answer) -> Outcome:
    if len(answer.text) < 5:
        return Retry("Địa chỉ ngắn quá.")
    ctx.data["place"] = answer.text
    return Goto("photo")


@survey.ask("photo")
async def ask_photo(ctx: Ctx) -> Prompt:
    return Prompt("Gửi một ảnh.", accepts=frozenset({InputKind.PHOTO}))


@survey.answer("photo")
async def got_photo(ctx: Ctx, answer: Answer) -> Outcome:
    return Finish("Cảm ơn!")


def _registry() -> Registry:
    registry = build_registry()
    registry.flow(survey)

    async def begin(ctx: Ctx, args: str) -> Outcome:
        return StartFlow("survey")

    registry.command(Command("khaosat", begin, "Khảo sát thử", private_only=True))
    return registry


@pytest.fixture
async def h(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[Harness]:
    async with start_harness(settings, db, clock, _registry()) as running:
        yield running


async def _states(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(FlowState)) or 0)


@pytest.mark.pg
async def test_steps_buttons_and_typed_answers(h: Harness) -> None:
    await h.send(RESIDENT, "/khaosat")
    await h.press(RESIDENT, "Xanh dương")
    chosen = (await h.bot_messages(RESIDENT.id))[-2]
    assert chosen["text"].endswith("» Xanh dương") and not chosen["reply_markup"]
    assert (await h.last_text(RESIDENT)).startswith("Nơi bạn ở?")
    await h.send(RESIDENT, "abc")
    assert (await h.last_text(RESIDENT)).startswith("Địa chỉ ngắn quá.\n\nNơi bạn ở?")
    await h.send(RESIDENT, "12 Lê Lợi")
    assert await h.last_text(RESIDENT) == "Gửi một ảnh."


async def test_wrong_kind_and_huge_text(h: Harness) -> None:
    await h.send(RESIDENT, "/khaosat")
    await h.send(RESIDENT, "tím")
    assert (await h.last_text(RESIDENT)).startswith(texts.PICK_ONE)
    await h.send(RESIDENT, "1")
    await h.send(RESIDENT, "đường " * 680)
    assert (await h.last_text(RESIDENT)).startswith("Tin nhắn dài quá (4.079 ký tự)")
    await h.send(RESIDENT, "12 Lê Lợi")
    await h.send(RESIDENT, "đây là chữ, không phải ảnh")
    assert (await h.last_text(RESIDENT)).startswith(texts.WRONG_KIND.format(wanted="ảnh"))


async def test_back_and_cancel(h: Harness) -> None:
    await h.send(RESIDENT, "/khaosat")
    await h.send(RESIDENT, "/quaylai")
    assert (await h.seen(RESIDENT))[-2:] == [texts.NOTHING_TO_GO_BACK, "Màu bạn thích?"]
    await h.send(RESIDENT, "do")
    await h.send(RESIDENT, "/quaylai")
    assert await h.last_text(RESIDENT) == "Màu bạn thích?"
    await h.send(RESIDENT, "/huy")
    assert await h.last_text(RESIDENT) == texts.CANCELLED
    assert await _states(h) == 0
    await h.send(RESIDENT, "/huy")
    assert (await h.last_text(RESIDENT)).startswith(texts.NOTHING_TO_CANCEL)  # and the menu


async def test_double_press_acts_once(h: Harness) -> None:
    await h.send(RESIDENT, "/khaosat")
    prompt = await h.last_with_buttons(RESIDENT.id)
    await h.press(RESIDENT, "Đỏ", message_id=prompt["message_id"], settle=False)
    await h.press(RESIDENT, data=prompt["reply_markup"]["inline_keyboard"][1][0]["callback_data"],
                  message_id=prompt["message_id"], force=True)
    texts_seen = [m["text"] for m in await h.bot_messages(RESIDENT.id)]
    assert texts_seen.count("Nơi bạn ở? Gửi vị trí hoặc gõ địa chỉ.") == 1
    assert texts_seen[-1] == texts.STALE_BUTTON


async def test_help_keeps_the_flow_and_other_commands_replace_it(h: Harness) -> None:
    await h.send(RESIDENT, "/khaosat")
    await h.send(RESIDENT, "/hotline")
    assert await h.last_text(RESIDENT) == texts.CONTINUE_HINT
    await h.send(RESIDENT, "2")
    assert (await h.last_text(RESIDENT)).startswith("Nơi bạn ở?")
    await h.send(RESIDENT, "/start")
    assert await _states(h) == 1  # the menu's own pick state replaced the survey
    await h.send(RESIDENT, "12 Lê Lợi")
    assert (await h.last_text(RESIDENT)).startswith(texts.NOT_UNDERSTOOD)


async def test_expired_conversation_is_dropped_politely(h: Harness) -> None:
    await h.send(RESIDENT, "/khaosat")
    h.clock.advance(timedelta(hours=25))
    await h.send(RESIDENT, "1")
    assert (await h.last_text(RESIDENT)).startswith(texts.FLOW_EXPIRED)
    assert await _states(h) == 1  # the menu offered after it, not the survey


async def test_restart_mid_conversation_continues(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    async with start_harness(settings, db, clock, _registry()) as first:
        await first.send(RESIDENT, "/khaosat")
        await first.send(RESIDENT, "1")
    async with start_harness(settings, Database(settings.db_url), clock, _registry()) as second:
        await second.send(RESIDENT, "12 Lê Lợi")
        assert await second.last_text(RESIDENT) == "Gửi một ảnh."


@pytest.mark.pg  # one INSERT stores the whole batch: a duplicate inside it is dropped too
async def test_repeated_update_is_handled_once(h: Harness) -> None:
    update = {
        "update_id": 777,
        "message": {
            "message_id": 50, "date": 1_780_000_000, "text": "/hotline",
            "chat": {"id": RESIDENT.id, "type": "private", "first_name": "An"},
            "from": {"id": RESIDENT.id, "is_bot": False, "first_name": "An"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
        },
    }
    await h.send(RESIDENT, "/start")
    before = len(await h.bot_messages(RESIDENT.id))
    channel = h.app.channels["telegram"]
    await channel.store([update, update])  # type: ignore[attr-defined]
    await channel.store([update])  # type: ignore[attr-defined]
    await h.settle()
    after = await h.bot_messages(RESIDENT.id)
    assert len(after) == before + 1 and "113" in after[-1]["text"]
    async with h.app.rt.db.reading() as session:
        keys = (await session.scalars(select(InboxUpdate.update_key))).all()
    assert [key.split(":")[0] for key in keys].count("777") == 1
