"""An officer's card keeps room for what changes: whatever state a tip reaches, and with the
longest names, bodies and commands, the card's changing lines stay within the room its layout
keeps for them — so a card edited later always fits where the first one did (issue 14, item 2).
"""

from __future__ import annotations

from sqlalchemy import select

from bot.messages import ChatType, Incoming, InputKind
from bot.models import Area, Chat, Person, Role, Tip, TipStatus
from bot.runtime import Runtime
from bot.services import people
from bot.services.tips import cards
from tests.services.conftest import TEXT_CHANNEL
from tests.services.test_tips import _commune, _person, _submit

LONGEST_NAME = "Nguyễn Thị Phương Thảo " * 9  # more than a messenger lets a name be


async def test_the_changing_lines_fit_the_room_kept_for_them(rt: Runtime) -> None:
    rt.settings = rt.settings.model_copy(update={
        "public_url": "https://binh-yen.cong-an-xa-thu-nghiem.example.vn/duong-dan-rat-dai/"})
    async with rt.transaction() as session:
        officer, _ = await people.touch(session, rt, Incoming(
            channel=TEXT_CHANNEL, update_key="o", chat_id="o", chat_type=ChatType.PRIVATE,
            user_id="o", kind=InputKind.TEXT, user_name=LONGEST_NAME))
    commune_id = await _commune(rt, officer)
    async with rt.transaction() as session:  # tips no commune could take are the dispatcher's
        commune = await session.get(Area, commune_id)
        assert commune is not None
        await people.grant_role(session, officer, Role.DISPATCHER, commune,
                                now=rt.clock.now(), granted_by="test")
    submitted = await _submit(rt, await _person(rt, "r"), commune_id)
    worst = 0
    for status in TipStatus:
        async with rt.transaction() as session:
            tip = await session.get(Tip, submitted.tip.id)
            assert tip is not None
            tip.status, tip.outcome = status, "not_competent"
            tip.forwarded_to = "Cơ quan Cảnh sát điều tra Công an tỉnh " * 8
            tip.assigned_officer_id, tip.overdue = officer.id, True
            tip.routed_to_fallback, tip.fallback_reason = True, "unknown_place"
            viewer = await session.get(Person, officer.id)
            assert viewer is not None and viewer.private_chat_id is not None
            chat = await session.scalar(select(Chat).where(Chat.id == viewer.private_chat_id))
            assert chat is not None
            parts = await cards.card_parts(session, rt, tip, files=10)
            card = await cards.card_messages(session, rt, tip, chat, parts)
            assert card.story == ()  # a short story shares the card's message
            assert card.card.text.startswith(parts.story)
            worst = max(worst, len(card.card.text) - len(parts.story))
    assert worst <= cards.CHANGE_ROOM
