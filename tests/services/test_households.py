"""Households from a roster, at the service layer: what files are read (encodings, headers,
Excel, what is not a spreadsheet) and what rows are refused; an import applied by household
code (ids kept, left and back, a same-day mistake removed); registration by code with its
guard, a move, a household that left, another group's code, the leader undoing a link; the
figures a leader enters."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.models import (
    Acknowledgement,
    Area,
    Broadcast,
    Household,
    HouseholdReach,
    PeriodReach,
    Person,
    Role,
)
from bot.runtime import Runtime
from bot.services import areas, people
from bot.services.areas import AreaRow
from bot.services.coverage import households, periods, roster
from bot.services.coverage.compute import coverage
from bot.services.coverage.roster import RowProblems
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from content import groups as group_words
from content import households as words
from tests.services.test_join_codes import _texts_to
from tests.services.test_tips import _person

HEADER = "STT;Mã hộ;Họ và tên chủ hộ;Địa chỉ;Số nhân khẩu;Điện thoại chủ hộ\n"
ROSTER = ("DANH SÁCH HỘ GIA ĐÌNH TỔ 1\n\n" + HEADER
          + "1;h001;Nguyễn Văn An;12 Lê Lợi;4;0912 345 678\n"
          + "2;H002;Trần Thị Bình;14 Lê Lợi;3;\n"
          + "3;H010;Đỗ Quang Huy;16 Lê Lợi;2;\n;;;;;\n")
TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def cp1258(text: str) -> bytes:
    """`text` as Windows-1258 writes it: letters with ˆ, ˘ or ơ/ư precomposed, the tone mark
    (grave, acute, tilde, hook, dot below) as a combining character after them."""
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = parts[0] + "".join(mark for mark in parts[1:] if mark not in TONES)
        tones = "".join(mark for mark in parts[1:] if mark in TONES)
        out.append(unicodedata.normalize("NFC", base).encode("cp1258") + tones.encode("cp1258"))
    return b"".join(out)


def xlsx(rows: list[list[object]], *, blank_sheet_first: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    if blank_sheet_first:
        sheet.append(["Ghi chú"])
        sheet = book.create_sheet("Danh sách")
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        roster.parse(data)
    return str(caught.value)


def test_what_files_are_read() -> None:
    rows = roster.parse(ROSTER.encode())
    assert [(r.line, r.code, r.head, r.address, r.members, r.phone) for r in rows] == [
        (4, "H001", "Nguyễn Văn An", "12 Lê Lợi", 4, "0912 345 678"),
        (5, "H002", "Trần Thị Bình", "14 Lê Lợi", 3, None),
        (6, "H010", "Đỗ Quang Huy", "16 Lê Lợi", 2, None)]
    # the same roster with a BOM, in Windows-1258 (combining tones, normalised to NFC), as
    # Excel's Unicode text (UTF-16, tabs), with commas: the same rows
    assert cp1258(ROSTER) != ROSTER.encode()
    for data in (b"\xef\xbb\xbf" + ROSTER.encode(), cp1258(ROSTER),
                 ROSTER.replace(";", "\t").encode("utf-16"), ROSTER.replace(";", ",").encode()):
        assert roster.parse(data) == rows
    # headers without diacritics or in English
    plain = "ma ho,chu ho,dia chi,so nhan khau,sdt\nA1,Lan,Xom 1,2,+84 912 345 678\n"
    assert roster.parse(plain.encode())[0].phone == "+84 912 345 678"
    english = "Household code,Head of household,Address,Members\nA1,Lan,Xom 1,2\n"
    assert roster.parse(english.encode())[0].members == 2
    # XLSX made by openpyxl: a title above the header, on the second sheet, numbers as Excel
    # keeps them (4.0; a phone that lost its 0; a numeric code)
    book = xlsx([["Danh sách hộ tổ 5"], [], ["STT", "Mã hộ", "Chủ hộ", "Địa chỉ",
                                             "Số nhân khẩu", "SĐT"],
                 [1, "H001", "Lê Văn Cường", "Xóm 1", 4.0, 912345678],
                 [2, 101, "Phạm Thị Dung", "Xóm 2", 2, None], [None] * 6],
                blank_sheet_first=True)
    assert [(r.line, r.code, r.members, r.phone) for r in roster.parse(book)] == [
        (4, "H001", 4, "0912345678"), (5, "101", 2, None)]


def test_what_is_refused_and_why() -> None:
    assert refusal(b"") == words.FILE_EMPTY
    assert refusal(b" \n\n") == words.FILE_EMPTY
    assert refusal(HEADER.encode()) == words.FILE_NO_ROWS
    for not_a_sheet in (b"%PDF-1.7\n%\xe2\xe3", b"\xff\xd8\xff\xe0\x00\x10JFIF",
                        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04 not a zip",
                        b"Ma ho,Chu ho\x00\x01\x02binary"):
        assert refusal(not_a_sheet) == words.FILE_NOT_A_SPREADSHEET
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)) == words.FILE_OLD_EXCEL
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert refusal(docx.getvalue()) == words.FILE_NOT_A_SPREADSHEET
    # bytes neither UTF-8 nor Windows-1258 (0x81 is in neither)
    assert refusal("Mã hộ,Chủ hộ\n".encode() + b"\x81\x8a\n") == words.FILE_ENCODING
    # wrong columns: named; a file read as Windows-1258 also says the encoding may be wrong
    missing = refusal("Mã hộ,Chủ hộ,Ghi chú\nH1,An,x\n".encode())
    assert missing.startswith(words.FILE_COLUMNS_MISSING.format(columns="Địa chỉ, Số nhân khẩu"))
    assert words.FILE_ENCODING_HINT not in missing
    wrong = refusal(cp1258("Họ tên,Ghi chú\nAn,x\n"))
    assert wrong.startswith(words.FILE_NO_HEADER) and wrong.endswith(words.FILE_ENCODING_HINT)
    assert "Mã hộ — mã riêng" in wrong  # the accepted columns, shown
    twice = refusal("Mã hộ,Chủ hộ,Địa chỉ,Số nhân khẩu,Mã số hộ\n".encode())
    assert twice == words.FILE_COLUMN_TWICE.format(column="Mã hộ", first=1, second=5)
    # too big, too many households
    assert refusal(b"x" * (roster.MAX_BYTES + 1)).startswith("Tệp lớn quá (5 MB")
    many = "Mã hộ,Chủ hộ,Địa chỉ,Số nhân khẩu\n" + "".join(
        f"H{n},An,x,2\n" for n in range(roster.MAX_ROWS + 1))
    assert refusal(many.encode()) == words.FILE_TOO_MANY_ROWS.format(limit="2.000")


def test_every_wrong_row_is_named_and_nothing_passes() -> None:
    lines = ["Mã hộ,Chủ hộ,Địa chỉ,Số nhân khẩu,Số điện thoại",
             "H1,An,x,4,",
             "h1,,y,0,",  # the same code (case aside), no head, no one in it
             ",Bình,z,abc,",
             "H3,C,d,,số nhà",
             "H4,D,e,2.5,0912"]
    lines += [f"K{n},E,f,100," for n in range(12)]
    with pytest.raises(RowProblems) as caught:
        roster.parse("\n".join(lines).encode())
    problems = caught.value.problems
    assert problems[:5] == [
        (3, "mã hộ H1 trùng với dòng 2; thiếu tên chủ hộ; số nhân khẩu «0» phải là số nguyên "
            "từ 1 đến 99"),
        (4, "thiếu mã hộ; số nhân khẩu «abc» phải là số nguyên từ 1 đến 99"),
        (5, "thiếu số nhân khẩu; số điện thoại «số nhà» chưa đúng"),
        (6, "số nhân khẩu «2.5» phải là số nguyên từ 1 đến 99; số điện thoại «0912» chưa đúng"),
        (7, "số nhân khẩu «100» phải là số nguyên từ 1 đến 99")]
    shown = str(caught.value).splitlines()
    assert shown[0] == words.ROWS_REFUSED.format(count=16)
    assert len(shown) == 1 + roster.SHOWN_PROBLEMS + 1
    assert shown[1].startswith("Dòng 3: ") and shown[-1] == words.ROWS_MORE.format(count=6)


# ---- importing ---------------------------------------------------------------------------------

TREE = [AreaRow(1, "X", "Xã Thử", "commune", None),
        AreaRow(2, "V", "Thôn Vân", "village", "X"),
        AreaRow(3, "G1", "Tổ 1", "group", "V"), AreaRow(4, "G2", "Tổ 2", "group", "V"),
        AreaRow(5, "G3", "Tổ 3", "group", "V")]


async def _tree(rt: Runtime, clock: FakeClock) -> dict[str, Area]:
    async with rt.transaction() as session:
        await areas.import_areas(session, TREE, clock)
        return {row.code: await areas.by_code(session, row.code) for row in TREE}


async def _import(rt: Runtime, group: Area, text: str, **kw: object) -> households.Imported:
    async with rt.transaction() as session:
        return await households.import_roster(session, rt, group, roster.parse(text.encode()),
                                              **kw)  # type: ignore[arg-type]


async def _households(rt: Runtime, group: Area) -> dict[str, Household]:
    async with rt.db.reading() as session:
        found = (await session.scalars(select(Household).where(
            Household.area_id == group.id))).all()
        return {h.code or "": h for h in found}


def _roster(*rows: str) -> str:
    return "Mã hộ,Chủ hộ,Địa chỉ,Số nhân khẩu,Số điện thoại\n" + "\n".join(rows) + "\n"


pg = pytest.mark.pg


@pg
async def test_reimport_keeps_ids_marks_left_and_brings_back(rt: Runtime,
                                                             clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # 03:00 on 2 March in Vietnam
    tree = await _tree(rt, clock)
    seen: list[tuple[int, int]] = []
    first = await _import(rt, tree["G1"], _roster("H1,An,Xóm 1,4,0912345678", "H2,Bình,Xóm 1,3,",
                                                  "H3,Cúc,Xóm 2,2,"),
                          progress=lambda done, total: seen.append((done, total)))
    assert (first.total, first.added, first.updated, first.left) == (3, 3, 0, 0)
    assert seen == [(3, 3)]
    before = await _households(rt, tree["G1"])
    h1 = before["H1"]
    assert h1.label == "Hộ H1" and str(h1.added_on) == "2026-03-02" and h1.left_on is None
    assert b"An" not in (h1.head_enc or b"") and rt.open(h1.head_enc, "household.head") == "An"
    assert rt.open(h1.phone_enc, "household.phone") == "0912345678" and before["H2"].phone_enc is None
    codes = {h.reg_code for h in before.values()}
    assert len(codes) == 3 and all(c and len(c) == 6 for c in codes)

    assert await _coverage(rt, tree["G1"]) == (3, 0, 0)  # households, linked, reached

    clock.advance(timedelta(days=1))  # 3 March: H1 moved, H2 the same, H3 gone, H4 new
    second = await _import(rt, tree["G1"], _roster("H1,An,Xóm 3,5,", "H2,Bình,Xóm 1,3,",
                                                   "H4,Dũng,Xóm 2,1,"))
    assert (second.added, second.updated, second.unchanged, second.left, second.returned) == (
        1, 1, 1, 1, 0)
    after = await _households(rt, tree["G1"])
    assert {code: h.id for code, h in after.items() if code != "H4"} == {
        code: h.id for code, h in before.items()}
    assert after["H1"].members == 5 and after["H1"].phone_enc is None
    assert after["H1"].reg_code == h1.reg_code
    assert str(after["H3"].left_on) == "2026-03-03" and str(after["H4"].added_on) == "2026-03-03"

    clock.advance(timedelta(days=1))  # H3 comes back; H5 added by mistake, gone the same day
    third = await _import(rt, tree["G1"], _roster("H1,An,Xóm 3,5,", "H2,Bình,Xóm 1,3,",
                                                  "H3,Cúc,Xóm 2,2,", "H4,Dũng,Xóm 2,1,",
                                                  "H5,Em,Xóm 9,1,"))
    assert (third.returned, third.added, third.unchanged) == (1, 1, 3)
    fourth = await _import(rt, tree["G1"], _roster("H1,An,Xóm 3,5,", "H2,Bình,Xóm 1,3,",
                                                   "H3,Cúc,Xóm 2,2,", "H4,Dũng,Xóm 2,1,"))
    assert fourth.left == 1
    final = await _households(rt, tree["G1"])
    assert final["H3"].left_on is None and final["H3"].id == before["H3"].id
    assert "H5" not in final  # a mistake of the day, nothing pointing at it: gone
    assert await _coverage(rt, tree["G1"]) == (4, 0, 0)  # H3 left and came back: 4 all year

    with pytest.raises(InvalidInput, match="không phải một tổ dân cư"):
        await _import(rt, tree["V"], _roster("H1,An,x,1,"))


@pg
async def test_a_full_group_imports_quickly(rt: Runtime, clock: FakeClock) -> None:
    tree = await _tree(rt, clock)
    rows = [f"T{n},Người {n},Số {n} đường Lê Lợi,{n % 7 + 1},09{n:08d}"
            for n in range(roster.MAX_ROWS)]
    started = datetime.now(UTC)
    done = await _import(rt, tree["G2"], _roster(*rows))
    again = await _import(rt, tree["G2"], _roster(*rows))
    assert (done.added, again.unchanged) == (roster.MAX_ROWS, roster.MAX_ROWS)
    assert datetime.now(UTC) - started < timedelta(seconds=20)  # about 1 s here


async def _coverage(rt: Runtime, group: Area) -> tuple[int | None, int, int]:
    """The group's households, linked households and reached households this year, as
    coverage reads them (from the tallies an import, a link or an undo recounts)."""
    async with rt.db.reading() as session:
        period = periods.current(rt.settings, households.local_today(rt))
        found = (await coverage(session, rt.settings, group.id, period)).root
    return found.households, found.connected, found.reached


# ---- registering, the leader's list, undoing ---------------------------------------------------

async def _grant(rt: Runtime, person: Person, role: Role, group: Area) -> None:
    async with rt.transaction() as session:
        await people.grant_role(session, person, role, group, now=rt.clock.now(),
                                granted_by="test")


async def _register(rt: Runtime, person: Person, code: str) -> households.Registered:
    async with rt.transaction() as session:
        fresh = await session.get(Person, person.id)
        assert fresh is not None
        return await households.register(session, rt, fresh, code)


async def _refused(rt: Runtime, person: Person, code: str) -> str:
    """A refused registration; its guard count is committed as it would be in chat."""
    async with rt.transaction() as session:
        fresh = await session.get(Person, person.id)
        assert fresh is not None
        try:
            await households.register(session, rt, fresh, code)
        except (InvalidInput, NotFound) as problem:
            return str(problem)
    raise AssertionError("registered")


@pg
async def test_registration_listing_and_undo(rt: Runtime, clock: FakeClock) -> None:
    tree = await _tree(rt, clock)
    leader, resident = await _person(rt, "Phạm Thị Dung"), await _person(rt, "Nguyễn Văn An")
    stranger = await _person(rt, "Lê Văn Khách")
    await _grant(rt, leader, Role.GROUP_LEADER, tree["G1"])
    await _grant(rt, resident, Role.RESIDENT, tree["G1"])
    await _grant(rt, stranger, Role.RESIDENT, tree["G3"])
    await _import(rt, tree["G1"], _roster("H10,An,x,4,", "H2,Bình,y,3,", "H1,Cúc,z,2,"))
    await _import(rt, tree["G2"], _roster("K1,Lan,x,2,"))
    async with rt.transaction() as session:
        listing = await households.listing(session, rt, leader)
        with pytest.raises(NotAllowed, match=group_words.NOT_LEADER):
            await households.listing(session, rt, resident)
        with pytest.raises(InvalidInput, match="tổ mình"):
            await households.listing(session, rt, leader, "G2")
        assert (await households.listing(session, rt, leader, "tổ 1")).group.code == "G1"
        other_code = (await _households(rt, tree["G2"]))["K1"].reg_code
    assert [(i.number, i.label, i.head) for i in listing.households] == [
        (1, "Hộ H1", "Cúc"), (2, "Hộ H2", "Bình"), (3, "Hộ H10", "An")]
    code_h2, code_h10 = listing.households[1].reg_code, listing.households[2].reg_code

    # an acknowledgement before linking counts once linked, on its own day
    async with rt.transaction() as session:
        message = Broadcast(label="x", total_chats=1, created_at=clock.now())
        session.add(message)
        await session.flush()
        session.add(Acknowledgement(broadcast_id=message.id, person_id=resident.id,
                                    channel="text", chat_kind="private", at=clock.now()))

    assert await _refused(rt, resident, "ZZZZZZ") == words.REG_BAD
    assert await _refused(rt, resident, other_code or "") == words.REG_OTHER_GROUP.format(
        groups="Tổ 1")
    done = await _register(rt, resident, " ".join(code_h2.lower()))  # typed loosely
    assert (done.household.code, done.moved_from, done.already, done.replayed) == (
        "H2", None, False, 1)
    assert (await _register(rt, resident, code_h2)).already
    moved = await _register(rt, resident, code_h10)
    assert moved.moved_from == "Hộ H2" and moved.household.code == "H10"
    g1 = await _households(rt, tree["G1"])
    assert (g1["H2"].linked, g1["H10"].linked) == (0, 1)
    assert await _coverage(rt, tree["G1"]) == (3, 1, 2)  # H2 reached before the move
    # someone in no group may take a code; someone in another group may not
    outsider = await _person(rt, "Ngô Thị Xa")
    assert (await _register(rt, outsider, code_h10)).household.code == "H10"
    assert await _refused(rt, stranger, code_h10) == words.REG_OTHER_GROUP.format(
        groups="Tổ 3")

    async with rt.transaction() as session:
        _group, found = await households.links(session, rt, leader)
        assert [(link.number, link.name, link.label) for link in found] == [
            (1, "Nguyễn Văn An", "Hộ H10"), (2, "Ngô Thị Xa", "Hộ H10")]
        with pytest.raises(InvalidInput, match=words.UNLINK_BAD):
            await households.unlink(session, rt, leader, 3)
        with pytest.raises(NotAllowed):
            await households.links(session, rt, resident)
    async with rt.db.reading() as session:
        reached = await session.scalar(select(func.count()).select_from(PeriodReach).where(
            PeriodReach.household_id == g1["H10"].id))
        assert reached == 2  # the year and the half the acknowledgement fell in
    async with rt.transaction() as session:
        undone = await households.unlink(session, rt, leader, 1)
    assert (undone.name, undone.label) == ("Nguyễn Văn An", "Hộ H10")
    async with rt.db.reading() as session:
        assert (await session.get(Person, resident.id)).household_id is None  # type: ignore[union-attr]
        for table in (HouseholdReach, PeriodReach):  # nobody else acknowledged that day
            assert await session.scalar(select(func.count()).select_from(table).where(
                table.household_id == g1["H10"].id)) == 0
        assert (await session.get(Household, g1["H10"].id)).linked == 1  # type: ignore[union-attr]
    assert await _coverage(rt, tree["G1"]) == (3, 1, 1)  # H2 still; H10 withdrawn
    assert (await _texts_to(rt, resident))[-1] == words.UNLINKED_TOLD.format(
        label="Hộ H10", group="Tổ 1")

    # a household that left the roster cannot be registered to
    await _import(rt, tree["G1"], _roster("H1,Cúc,z,2,", "H2,Bình,y,3,"))
    assert await _refused(rt, resident, code_h10) == words.REG_LEFT


@pg
async def test_wrong_codes_lock_the_account_out(rt: Runtime, clock: FakeClock) -> None:
    rt.settings.lookup_failures_per_account = 3
    tree = await _tree(rt, clock)
    await _import(rt, tree["G1"], _roster("H1,An,x,4,"))
    right = (await _households(rt, tree["G1"]))["H1"].reg_code or ""
    guesser = await _person(rt, "Người Đoán")
    assert [await _refused(rt, guesser, f"AAAAA{n}") for n in range(3)] == [words.REG_BAD] * 3
    locked = words.REG_LOCKED.format(minutes=30)
    assert await _refused(rt, guesser, right) == locked  # even the right one, for now
    clock.advance(timedelta(minutes=31))
    assert (await _register(rt, guesser, right)).household.code == "H1"


@pg
async def test_figures_a_leader_enters(rt: Runtime, clock: FakeClock) -> None:
    tree = await _tree(rt, clock)
    leader, other = await _person(rt, "Tổ Trưởng Một"), await _person(rt, "Tổ Trưởng Ba")
    await _grant(rt, leader, Role.GROUP_LEADER, tree["G1"])
    await _grant(rt, other, Role.GROUP_LEADER, tree["G3"])
    await _import(rt, tree["G1"], _roster("H1,An,x,4,", "H2,Bình,y,3,"))
    async with rt.transaction() as session:
        with pytest.raises(InvalidInput, match="đã có danh sách 2 hộ"):
            await households.set_households(session, rt, leader, 48)
        with pytest.raises(InvalidInput, match="có 2 hộ, nên số hộ trong nhóm không thể là 3"):
            await households.set_connected(session, rt, leader, 3)
        assert (await households.set_connected(session, rt, leader, 2)).connected == 2
        set_count = await households.set_households(session, rt, other, 48)
        assert (set_count.households, set_count.counted, set_count.roster) == (48, 48, 0)
        assert (await households.set_connected(session, rt, other, 40)).connected == 40
        with pytest.raises(InvalidInput):
            await households.set_connected(session, rt, other, 49)
