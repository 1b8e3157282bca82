"""A resident's data rights through the sandbox, one scenario per messenger: they join a group,
register to a household, acknowledge a campaign message and file a tip (not fully anonymous);
`/dulieu` shows all of it; «Xóa dữ liệu của tôi», kept once, then confirmed. Then every row of
every table is read, each encrypted column opened with the runtime's keys: nothing of that
person is left (their platform id, name, keyed references, their id in any column pointing at
persons) but what forgetting allows — the tip stays with the police, without its link to them,
and the anonymous fact that their household was reached."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.crypto import DecryptionError
from bot.models import (
    Acknowledgement,
    Base,
    HouseholdReach,
    PrivacyRequest,
    Role,
    Tip,
    TipReporter,
)
from bot.services import areas, guards, housekeeping, people, privacy
from bot.services.coverage import households
from bot.services.tips.codes import reporter_ref
from content import acknowledgements as ack_words
from content import campaigns as campaign_words
from content import privacy as words
from content import tips as tip_words
from tests.conftest import every_channel
from tests.e2e.test_campaigns import campaign_day, join, next_entry
from tests.e2e.test_households import HEADER, command, commune_imports
from tests.e2e.tipkit import enrol, file_report
from tests.harness import LEADER, RESIDENT, Harness

CONTEXTS = ("person.external_id", "person.name", "chat.external_id", "flow.state",
            "tip.content", "tip.reporter", "tip.phone", "tip.event", "evidence.meta",
            "evidence.data", "inbox.payload", "outbox.payload", "scheduled.content",
            "household.head", "household.address", "household.phone")


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


def opened(h: Harness, blob: bytes) -> str:
    """An encrypted column's text, whichever context it was sealed for."""
    for context in CONTEXTS:
        try:
            return h.app.rt.keyring.decrypt(blob, context).decode("utf-8", "replace")
        except DecryptionError:
            continue
    raise AssertionError("a blob no known context opens")


async def every_row(h: Harness) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every row in the database, encrypted columns opened."""
    found: list[tuple[str, str, Any]] = []
    async with h.app.rt.db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    if isinstance(value, bytes) and value:
                        value = opened(h, value)
                    found.append((table.name, column, value))
    return found


@pytest.mark.pg
async def test_what_the_bot_holds_then_forget_me(harness: Harness) -> None:
    h = harness
    rt = h.app.rt
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, campaign_words.CONSENT_YES_LABEL)
    await commune_imports(h, "DEMO-TO-1", HEADER + "H001,Lê Thị Hồng,12 Lê Lợi,4,\n")
    async with rt.db.reading() as session:
        household = next(one for one in await households.present(session, (
            await areas.by_code(session, "DEMO-TO-1")).id) if one.label == "Hộ H001")
    await command(h, RESIDENT, "dangky", household.reg_code or "")
    entry = await next_entry(h)
    await campaign_day(h, entry)
    if h.zalo:
        await h.say(RESIDENT, "đã nhận")
    else:
        await h.press(RESIDENT, ack_words.ACK_LABEL)
    receipt = await file_report(h, RESIDENT)

    async with rt.db.reading() as session:
        person = await privacy.find(session, rt, h.channel, str(RESIDENT.id))
        assert person is not None
        name, ref, pid = people.display_name(rt, person), person.user_ref, person.id
        their_tip = reporter_ref(rt, person)
        assert await session.scalar(select(func.count()).select_from(Acknowledgement)) == 1

    # the scan below sees them while they are known (its keys and patterns work)
    platform_id = re.compile(rf"(?<![\d.]){RESIDENT.id}(?![\d.])")
    before = [value for _, column, value in await every_row(h) if isinstance(value, str)]
    assert any(name in value for value in before) and ref in before
    assert any(platform_id.search(value) for value in before)

    await command(h, RESIDENT, "dulieu")
    shown = await h.last_text(RESIDENT)
    assert shown.startswith(words.TITLE)
    for line in (words.NAME.format(name=name), words.NO_ROLES,
                 words.GROUPS.format(groups="Tổ dân cư số 1"),
                 words.HOUSEHOLD.format(label="Hộ H001", group="Tổ dân cư số 1"),
                 "– Ma túy, gửi ngày ", words.ANONYMOUS_NOTE, words.CONSENT_YES,
                 words.ACKS.format(count=1)):
        assert line in shown, line
    await h.choose(RESIDENT, words.FORGET_LABEL)
    assert (await h.last_text(RESIDENT)).startswith(words.CONFIRM)
    await h.choose(RESIDENT, words.CANCEL_LABEL)  # kept: nothing changes
    assert await h.last_text(RESIDENT) == words.KEPT
    await command(h, RESIDENT, "dulieu")
    await h.choose(RESIDENT, words.FORGET_LABEL)
    await h.choose(RESIDENT, words.CONFIRM_LABEL)
    assert await h.last_text(RESIDENT) == words.DONE
    await housekeeping.run_due(rt, h.clock.now())  # the farewell delivered: the chat goes

    rows = await every_row(h)
    needles = [ref, their_tip, name, json.dumps(name)[1:-1]]
    needles += [guards.guard_key(rt, kind, str(pid)) for kind in privacy.PERSON_GUARDS]
    for table, column, value in rows:
        if table == "persons" and column == "id":
            assert value != pid
        if isinstance(value, str):
            assert not any(needle in value for needle in needles), (table, column)
            if column.endswith("_enc") and table != "evidence":
                assert not platform_id.search(value), (table, column, value)
    person_columns = [(table.name, column.name) for table in Base.metadata.sorted_tables
                      for column in table.columns
                      if any(fk.column.table.name == "persons" for fk in column.foreign_keys)]
    for table, column, value in rows:
        if (table, column) in person_columns:
            assert value != pid, (table, column)
    async with rt.db.reading() as session:
        tip = await session.scalar(select(Tip))
        assert tip is not None and tip.content_enc is not None  # with the police still
        assert await session.scalar(select(func.count()).select_from(TipReporter)) == 0
        assert await session.scalar(select(func.count()).select_from(HouseholdReach)) == 1
        assert await session.scalar(select(func.count()).select_from(Acknowledgement)) == 0
        assert (await session.get(type(household), household.id)).linked == 0
        asked = [(r.kind, r.via) for r in (await session.scalars(
            select(PrivacyRequest).order_by(PrivacyRequest.id))).all()]
        assert asked == [("export", "chat"), ("export", "chat"), ("forget", "chat")]
    # the receipt code alone no longer shows the tip: a PIN is asked, which a linked tip has not
    await command(h, RESIDENT, "tracuu", receipt.code)
    assert (await h.last_text(RESIDENT)).startswith(tip_words.ASK_PIN)
