"""The channels' parsers take any update without surprises (hypothesis).

Shapes start from real ones (as the sandbox produces them, like the platforms) and get fields
replaced by values of the wrong type, huge numbers, strings, or removed. Whatever comes in:
- reading an update at poll time (its sender, its id, the next offset, whether it needs
  files fetched) never raises;
- parsing it gives an `Incoming` with fields of the right types, or None, or raises
  `inbox_store.Malformed` — the one exception the inbox keeps an update as malformed for — and
  never anything else.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels import telegram, zalo
from bot.messages import ChatType, Incoming, InputKind
from bot.services.inbox_store import Malformed

USER = {"id": 1001, "is_bot": False, "first_name": "An", "last_name": "Nguyễn"}
PRIVATE = {"id": 1001, "type": "private", "first_name": "An", "last_name": "Nguyễn"}
BOT = {"id": 7000000001, "is_bot": True, "first_name": "Bình Yên", "username": "binhyen_bot"}
TELEGRAM = [
    {"update_id": 1, "message": {
        "message_id": 1, "from": USER, "chat": PRIVATE, "date": 1796624474, "text": "/start abc",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}},
    {"update_id": 2, "message": {
        "message_id": 2, "from": USER, "chat": PRIVATE, "date": 1796624474, "caption": "ảnh",
        "photo": [{"file_id": "AgAC1", "file_unique_id": "u1", "file_size": 748, "width": 90,
                   "height": 68},
                  {"file_id": "AgAC2", "file_unique_id": "u2", "file_size": 1828, "width": 320,
                   "height": 240}]}},
    {"update_id": 3, "message": {"message_id": 3, "from": USER, "chat": PRIVATE,
                                 "date": 1796624474,
                                 "location": {"latitude": 10.5, "longitude": 106.7}}},
    {"update_id": 4, "message": {"message_id": 4, "from": USER, "chat": PRIVATE,
                                 "date": 1796624474,
                                 "contact": {"phone_number": "0912345678", "first_name": "An",
                                             "user_id": 1001}}},
    {"update_id": 5, "message": {
        "message_id": 1, "from": USER, "chat": {"id": -100, "type": "group", "title": "Tổ 1"},
        "date": 1796624474, "text": "/hopthu@binhyen_bot 2",
        "entities": [{"type": "bot_command", "offset": 0, "length": 19}]}},
    {"update_id": 6, "callback_query": {
        "id": "4000000000000000001", "from": USER, "chat_instance": "-8031648", "data": "t|1.a",
        "message": {"message_id": 5, "from": BOT, "chat": PRIVATE, "date": 1796624474,
                    "text": "Chọn", "reply_markup": {"inline_keyboard": [
                        [{"text": "A", "callback_data": "t|1.a"}]]}}}},
    {"update_id": 7, "my_chat_member": {
        "chat": {"id": -100, "type": "group", "title": "Tổ 1"}, "from": USER,
        "date": 1796624474,
        "old_chat_member": {"status": "left", "user": BOT},
        "new_chat_member": {"status": "member", "user": BOT}}},
]
ZALO_FROM = {"id": "7788", "display_name": "Hải", "is_bot": False}
ZALO_CHAT = {"id": "7788", "chat_type": "PRIVATE"}
ZALO = [
    {"event_name": "message.text.received", "message": {
        "message_id": "8d83799c9b9bd47e2c64", "date": 1796624474537, "chat": ZALO_CHAT,
        "from": ZALO_FROM, "text": "bao tin"}},
    {"event_name": "message.image.received", "message": {
        "message_id": "e944f17cb87061f4a4ae", "date": 1796624474540, "chat": ZALO_CHAT,
        "from": ZALO_FROM, "photo_url": "http://127.0.0.1/zalo/files/x.jpg", "caption": "ảnh"}},
    {"event_name": "message.sticker.received", "message": {
        "message_id": "s1", "date": 1796624474540, "chat": ZALO_CHAT, "from": ZALO_FROM,
        "sticker": "abc", "url": "http://127.0.0.1/zalo/files/s.png"}},
    {"event_name": "message.unsupported.received", "message": {
        "message_id": "u1", "date": 1796624474540, "chat": ZALO_CHAT, "from": ZALO_FROM}},
]

LEAVES = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
)
WRONG = st.one_of(LEAVES, st.lists(LEAVES, max_size=3),
                  st.dictionaries(st.text(max_size=6), LEAVES, max_size=3))


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON tree: dict keys and list items, at any depth."""
    found: list[tuple[Any, ...]] = []
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) \
        if isinstance(tree, list) else ()
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


@st.composite
def near(draw: st.DrawFn, bases: list[dict[str, Any]]) -> Any:
    """A real update with one to three fields replaced by a wrong value or removed."""
    update = copy.deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        places = _paths(update)
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = update
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(WRONG)
    return update


def _well_typed(incoming: Incoming) -> None:
    assert isinstance(incoming.chat_id, str) and isinstance(incoming.user_id, str)
    assert isinstance(incoming.chat_type, ChatType) and isinstance(incoming.kind, InputKind)
    assert isinstance(incoming.text, str) and isinstance(incoming.args, str)
    assert incoming.user_name is None or isinstance(incoming.user_name, str)
    assert incoming.message_id is None or isinstance(incoming.message_id, str)
    assert incoming.sent_at is None or isinstance(incoming.sent_at, datetime)
    for attachment in incoming.attachments:
        assert isinstance(attachment.file_ref, str)


FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def test_the_real_shapes_parse() -> None:
    kinds = [incoming.kind if (incoming := telegram.read_update(u, "binhyen_bot")) else None
             for u in TELEGRAM]
    assert kinds == [InputKind.COMMAND, InputKind.PHOTO, InputKind.LOCATION, InputKind.CONTACT,
                     InputKind.COMMAND, InputKind.CHOICE, None]
    assert [zalo._incoming(u, "k").kind for u in ZALO] == [  # type: ignore[union-attr]
        InputKind.TEXT, InputKind.PHOTO, InputKind.STICKER, InputKind.OTHER]


@FUZZ
@given(near(TELEGRAM))
def test_a_telegram_update_parses_or_is_malformed(update: dict[str, Any]) -> None:
    try:
        incoming = telegram.read_update(update, "binhyen_bot")
    except Malformed as problem:
        assert str(problem)
        return
    if incoming is not None:
        _well_typed(incoming)


@FUZZ
@given(near(TELEGRAM), st.one_of(st.none(), st.integers(min_value=1, max_value=2**40)))
def test_reading_a_telegram_update_at_poll_time_never_raises(
    update: dict[str, Any], offset: int | None,
) -> None:
    assert isinstance(telegram._sender(update), str)
    assert isinstance(telegram.TelegramChannel.needs_prepare(update), bool)
    following = telegram.next_offset(offset, [update, TELEGRAM[0]])
    assert following == 2  # the readable id after it decides, whatever this one says
    alone = telegram.next_offset(offset, [update])
    if offset is not None and telegram._update_id(update) is None:
        assert alone == offset + 1  # an unreadable update is always moved past


@FUZZ
@given(st.one_of(near(ZALO), WRONG.map(lambda value: {zalo.NOT_AN_OBJECT: value})))
def test_a_zalo_update_parses_or_is_malformed(update: dict[str, Any]) -> None:
    assert isinstance(zalo.update_platform_id(update), str)
    assert isinstance(zalo.update_sender(update), str)
    assert isinstance(zalo.ZaloChannel.needs_prepare(update), bool)
    try:
        incoming = zalo._incoming(update, "k")
    except Malformed as problem:
        assert str(problem)
        return
    if incoming is not None:
        _well_typed(incoming)


def test_an_unreadable_update_id_counts_as_the_next_one() -> None:
    good, bad = {"update_id": 41}, {"update_id": "x"}
    assert telegram.next_offset(None, [good]) == 42
    assert telegram.next_offset(None, [good, bad, bad]) == 44
    assert telegram.next_offset(40, [bad]) == 41  # it may be 40 itself: confirmed
    assert telegram.next_offset(None, [bad]) is None  # nothing to count from
    assert telegram.next_offset(None, [bad, good]) == 42
