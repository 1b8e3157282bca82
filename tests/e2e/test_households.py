"""A group's households through the sandbox, one scenario per messenger.

On Telegram the leader sends the roster as a file after `/danhsachho`: a file with wrong rows
is refused row by row (nothing imported), a photo is not a roster, a good CSV is imported, and
an XLSX sent later with nothing under way is taken as the roster too. Zalo passes no files to
bots: the leader is told so and how else (also when they send one anyway), and the commune
imports the file
(`households.import_roster`, as `binhyen households import` does). Then on both: the leader's
count refused (the group has a roster), the connected figure entered, `/maho` for the leader
only (and never in a group chat), a resident registering with a wrong code, another group's
code and their own, the leader seeing who registered and undoing it, the resident told.
"""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import Workbook

from bot.models import Role
from bot.services import areas
from bot.services.coverage import households, roster
from content import campaigns as campaign_words
from content import groups as group_words
from content import households as words
from content import texts
from tests.conftest import every_channel
from tests.e2e.test_campaigns import join
from tests.e2e.tipkit import enrol
from tests.harness import LEADER, RESIDENT, Harness, User

CODE_IN_LIST = re.compile(r"^(\d+)\. (Hộ \w+) — (.+?) — mã: (\w{6})", re.MULTILINE)
HEADER = "Mã hộ,Chủ hộ,Địa chỉ,Số nhân khẩu,Số điện thoại\n"
GOOD = HEADER + "H001,Nguyễn Văn An,12 Lê Lợi,4,0912345678\nH002,Trần Thị Bình,14 Lê Lợi,3,\n"
BAD = HEADER + "H001,Nguyễn Văn An,12 Lê Lợi,4,\nH001,Trần Thị Bình,14 Lê Lợi,không,\n"


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


async def command(h: Harness, user: User, name: str, args: str = "") -> None:
    """The slash command on Telegram; on Zalo the word, as people type it there."""
    await h.say(user, f"{'' if h.zalo else '/'}{name} {args}".strip())


async def send_file(h: Harness, user: User, data: bytes, name: str, mime: str) -> None:
    await h.send_media(user, "document", {"data_base64": base64.b64encode(data).decode(),
                                          "file_name": name, "mime_type": mime})


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


async def commune_imports(h: Harness, group: str, text: str) -> None:
    """What the commune does with the leader's file: `binhyen households import`."""
    rt = h.app.rt
    async with rt.transaction() as session:
        area = await areas.by_code(session, group)
        await households.import_roster(session, rt, area, roster.parse(text.encode()))


async def test_roster_codes_registration_and_undo(harness: Harness) -> None:
    h = harness
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await join(h, RESIDENT, campaign_words.CONSENT_YES_LABEL)
    await commune_imports(h, "DEMO-TO-2", HEADER + "K1,Lê Văn Khách,1 Trần Phú,2,\n")
    await h.seen(LEADER)

    await command(h, LEADER, "danhsachho")
    if h.zalo:
        assert await h.last_text(LEADER) == words.ROSTER_NO_FILES.format(limit="2.000")
        await h.control("POST", "message", user=h.user_json(LEADER), unsupported=True)
        await h.settle()  # a file: Zalo says only that something it does not pass on came
        assert await h.last_text(LEADER) == words.ROSTER_NOT_PASSED
        await commune_imports(h, "DEMO-TO-1", GOOD + "H003,Lý Thị Cúc,16 Lê Lợi,2,\n")
    else:
        assert (await h.last_text(LEADER)).startswith(words.ROSTER_ASK[:40])
        await send_file(h, LEADER, BAD.encode(), "danh-sach.csv", "text/csv")
        refused = await h.last_text(LEADER)
        assert refused.startswith(words.ROWS_REFUSED.format(count=1))
        assert "Dòng 3: mã hộ H001 trùng với dòng 2; số nhân khẩu «không»" in refused
        assert refused.endswith(words.ROSTER_SEND_AGAIN)
        await h.send_photo(LEADER)
        assert await h.last_text(LEADER) == words.ROSTER_PHOTO
        await send_file(h, LEADER, ("\ufeff" + GOOD).encode(), "danh-sach.csv", "text/csv")
        done = await h.last_text(LEADER)
        assert done.startswith(words.IMPORTED.format(group="Tổ dân cư số 1", total=2))
        assert words.IMPORTED_LEFT.format(count=42) in done  # the demo's unnamed households
        # later, with nothing under way: a spreadsheet from the leader is their roster
        await send_file(h, LEADER, workbook(
            ["Mã hộ", "Chủ hộ", "Địa chỉ", "Số nhân khẩu"], ["H001", "Nguyễn Văn An", "12", 4],
            ["H002", "Trần Thị Bình", "14 Lê Lợi", 3], ["H003", "Lý Thị Cúc", "16 Lê Lợi", 2]),
            "danh-sach.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        again = await h.last_text(LEADER)
        assert words.IMPORTED_ADDED.format(count=1) in again
        assert words.IMPORTED_UPDATED.format(count=1) in again
        # /maho is never shown in a group chat
        await h.say(LEADER, "/maho", chat=-4001, title="Nhóm tổ 1")
        assert texts.PRIVATE_ONLY in await h.last_text(LEADER, chat=-4001)

    await command(h, LEADER, "sohodan", "48")
    assert await h.last_text(LEADER) == words.COUNT_HAS_ROSTER.format(group="Tổ dân cư số 1",
                                                                      count=3)
    await command(h, LEADER, "sohotrongnhom", "2")
    assert await h.last_text(LEADER) == words.CONNECTED_SET.format(count=2,
                                                                   group="Tổ dân cư số 1")

    await command(h, RESIDENT, "maho")  # only the group's leader sees its households
    assert (await h.last_text(RESIDENT)).startswith(group_words.NOT_LEADER)
    await command(h, LEADER, "maho")
    listing = await h.last_text(LEADER)
    assert listing.startswith(words.LIST_TITLE.format(group="Tổ dân cư số 1", count=3, linked=0))
    listed = CODE_IN_LIST.findall(listing)
    assert [(n, label, head) for n, label, head, _ in listed] == [
        ("1", "Hộ H001", "Nguyễn Văn An"), ("2", "Hộ H002", "Trần Thị Bình"),
        ("3", "Hộ H003", "Lý Thị Cúc")]
    code = listed[1][3]

    await command(h, RESIDENT, "dangky", "K7M2QX")
    assert await h.last_text(RESIDENT) == words.REG_BAD
    rt = h.app.rt
    async with rt.db.reading() as session:
        other = (await households.present(session, (await areas.by_code(
            session, "DEMO-TO-2")).id))[0].reg_code
    await command(h, RESIDENT, "dangky", other or "")
    assert await h.last_text(RESIDENT) == words.REG_OTHER_GROUP.format(groups="Tổ dân cư số 1")
    await h.say(RESIDENT, f"đăng ký {code.lower()}" if h.zalo else f"/dangky {code}")
    assert await h.last_text(RESIDENT) == words.REG_DONE.format(label="Hộ H002",
                                                                group="Tổ dân cư số 1")
    await command(h, LEADER, "maho")
    assert "2. Hộ H002 — Trần Thị Bình — mã: " + code + " — 👤 1" in await h.last_text(LEADER)

    await command(h, LEADER, "huylienket")
    links = await h.last_text(LEADER)
    assert links.startswith(words.LINKS_TITLE.format(group="Tổ dân cư số 1", count=1))
    assert "1. " in links and "— Hộ H002" in links
    await command(h, LEADER, "huylienket", "1")
    undone = await h.last_text(LEADER)
    assert undone.startswith("Đã bỏ đăng ký của ") and "với Hộ H002." in undone
    assert await h.last_text(RESIDENT) == words.UNLINKED_TOLD.format(label="Hộ H002",
                                                                     group="Tổ dân cư số 1")
    await command(h, LEADER, "huylienket")
    assert await h.last_text(LEADER) == words.LINKS_EMPTY.format(group="Tổ dân cư số 1")
