"""Shared moves for the tip-off tests, in people's terms, on any channel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select

from bot.clock import to_local
from bot.models import (
    Chat,
    FlowState,
    GuardCounter,
    InboxStatus,
    InboxUpdate,
    OutboxMessage,
    Person,
    Role,
    Tip,
    TipEvent,
)
from bot.services import areas, demo, guards, people
from tests.harness import CHIEF, NUMBERED, OFFICER, Harness, User

CODE = re.compile(r"Mã tiếp nhận:\s*(TB-[0-9A-Z]{5}-[0-9A-Z]{5})")
PIN = re.compile(r"Mã PIN:\s*(\d{6})")
DESCRIPTION = "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ."


@dataclass
class Receipt:
    code: str
    pin: str | None
    text: str


async def enrol(h: Harness, user: User, role: Role, area_code: str = demo.DEMO_COMMUNE) -> None:
    """Give `user` a role the way a real officer gets it: an invite redeemed in the bot."""
    rt = h.app.rt
    async with rt.transaction() as session:
        await demo.seed_demo(session, rt)
        area = await areas.by_code(session, area_code)
        _, token = await people.create_invite(session, rt, role=role, area=area,
                                              created_by="test")
    await h.send(user, f"/start {token}")
    await h.seen(user)


async def second_commune(h: Harness) -> None:
    """Xã Hòa Bình (DEMO-XA-2), a commune beside the demo one, with nobody in it yet."""
    async with h.app.rt.transaction() as session:
        await areas.import_areas(session, [areas.AreaRow(1, "DEMO-XA-2", "Xã Hòa Bình",
                                                         "commune", "DEMO-TINH")], h.clock)


async def police(h: Harness) -> None:
    """The demo commune with one officer and one chief."""
    await enrol(h, OFFICER, Role.POLICE_OFFICER)
    await enrol(h, CHIEF, Role.POLICE_CHIEF)


async def file_report(h: Harness, user: User, *, identity: str = "Giấu tên, vẫn nhận thông báo",
                      phone: str | None = None, **steps: Any) -> Receipt:
    """A whole report, step by step, as a resident does it (`steps`: see `fill_report`)."""
    await fill_report(h, user, **steps)
    await send(h, user, identity, phone)
    text = await h.last_text(user)
    code = CODE.search(text)
    assert code, text
    pin = PIN.search(text)
    return Receipt(code.group(1), pin.group(1) if pin else None, text)


async def send(h: Harness, user: User, identity: str = "Giấu tên, vẫn nhận thông báo",
               phone: str | None = None, *, settle: bool = True) -> None:
    """At the review: choose how to send it (the identity), which sends it; a phone number
    after «Để lại số điện thoại»."""
    await h.choose(user, f"✅ {identity}", settle=settle)
    if phone is not None:
        await h.send_contact(user, phone)


async def fill_report(
    h: Harness, user: User, *, category: str = "Ma túy", description: str = DESCRIPTION,
    photos: int = 0, **rest: Any,
) -> None:
    """Every step of a report up to its review, where the resident has still to choose how
    to send it (`rest`: see `place_and_time`)."""
    await begin_report(h, user, category=category, description=description)
    for _ in range(photos):
        await h.send_photo(user)
    await place_and_time(h, user, **rest)


async def begin_report(h: Harness, user: User, *, category: str = "Ma túy",
                       description: str = DESCRIPTION) -> None:
    """The notice with the category, and what happened: up to where it happened."""
    await h.say(user, "/baotin")
    await h.choose(user, category)
    await h.say(user, description)


async def place_and_time(
    h: Harness, user: User, *, commune: str = "Xã Bình Yên", village: str = "Thôn Đông",
    address: str | None = "Hẻm 12", when: str = "Hôm qua", typed_commune: bool = False,
) -> None:
    """From where it happened to the review (after the story). With few places the villages
    are one list; `village` "Không rõ" chooses the commune itself."""
    await choose_place(h, user, commune, village, typed=typed_commune)
    if address:
        await h.say(user, address)
    else:
        await h.choose(user, "Bỏ qua")
    await h.choose(user, when)


async def choose_place(h: Harness, user: User, commune: str = "Xã Bình Yên",
                       village: str = "Thôn Đông", *, typed: bool = False) -> None:
    """Where: a village of the one list, or the commune (typed or chosen) then its village
    where communes are many."""
    if typed:  # a commune typed: its village asked where communes are many
        await h.say(user, commune)
        if (await h.last_text(user)).startswith("Ở thôn"):
            await h.choose(user, village)
        return
    if commune == "Không rõ / nơi khác":
        await h.choose(user, commune)
        return
    whole = f"{commune} (không rõ thôn)"
    if await _offered(h, user, whole) or await _offered(h, user, village):
        await h.choose(user, village if village != "Không rõ" else whole)  # one list
        return
    await h.choose(user, commune)  # the commune first (or one without villages, listed)
    if (await h.last_text(user)).startswith("Ở thôn"):
        await h.choose(user, village)


async def _offered(h: Harness, user: User, label: str) -> bool:
    """Whether the latest message with choices offers `label`."""
    for message in reversed(await h.bot_messages(h.chat_of(user))):
        if h.zalo and NUMBERED.search(message["text"] or ""):
            return f". {label}\n" in message["text"] + "\n"
        if not h.zalo and h.buttons(message):
            return label in h.buttons(message)
    return False


def to_the_day(when: datetime | None) -> bool:
    """Whether a stored time says no more than its day (midnight UTC, or in Vietnam)."""
    return when is None or when.time() == time(0) or to_local(when).time() == time(0)


async def nothing_times(h: Harness, user: User) -> None:
    """With the key, follow every row that leads to `user` — their person and private chat,
    that chat's outbox rows, their counters, the updates they sent — and find no time finer
    than the day, no outbox row left once delivered, and no update still naming its sender.
    Anything else would sit beside a fully anonymous tip's time and name its reporter."""
    rt = h.app.rt
    async with rt.db.reading() as session:
        person = (await session.scalars(select(Person).where(
            Person.user_ref == people.user_ref(rt, h.channel, str(user.id))))).one()
        chat = await session.get(Chat, person.private_chat_id)
        assert chat is not None
        left = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.chat_id == chat.id))).all()
        keys = [guards.guard_key(rt, kind, str(person.id)) for kind in ("tips", "lookup-acct")]
        counters = (await session.scalars(select(GuardCounter).where(
            GuardCounter.key.in_(keys)))).all()
        updates = (await session.scalars(select(InboxUpdate))).all()
        drafts = (await session.scalars(select(FlowState).where(
            FlowState.person_id == person.id))).all()
    assert left == [], [(row.status, row.created_at) for row in left]
    assert drafts == []
    assert updates and all(u.status == InboxStatus.DONE and u.sender_ref == ""
                           for u in updates)
    times = [person.created_at, person.last_seen_at, chat.created_at,
             *(t for c in counters for t in (c.window_start, c.expires_at, c.locked_until)),
             *(t for u in updates for t in (u.received_at, u.processed_at))]
    assert all(to_the_day(t) for t in times), [t for t in times if not to_the_day(t)]


async def tip_count(h: Harness) -> int:
    async with h.app.rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Tip)) or 0)


async def the_tip(h: Harness, ref: int = 1) -> Tip:
    async with h.app.rt.db.reading() as session:
        tip = await session.get(Tip, ref)
    assert tip is not None
    return tip


async def events(h: Harness, ref: int = 1) -> list[TipEvent]:
    async with h.app.rt.db.reading() as session:
        return list((await session.scalars(
            select(TipEvent).where(TipEvent.tip_id == ref).order_by(TipEvent.id))).all())
