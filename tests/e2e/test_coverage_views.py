"""`/baophu` and `/baocao` through the sandbox, one scenario per messenger, on the demo commune
with reach recorded for two groups of Thôn Đông and none in Thôn Tây (one of its groups has no
roster): a resident refused; the leader's own group, their village, another village refused;
the chief's commune tree and a period nobody can read; the chart as a photo on Telegram; the
report as a document on Telegram. On Zalo, without a public address, the text alone and where
else to get the report; with one, one-time links that give the chart and the workbook once."""

from __future__ import annotations

import io
import socket

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from bot.models import GroupFigures, Household, ReachSource, Role
from bot.services import areas
from bot.services.coverage import reach
from bot.web import WebServer
from content import coverage_views as words
from tests.conftest import every_channel
from tests.e2e.tipkit import enrol
from tests.harness import CHIEF, LEADER, RESIDENT, Harness


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


async def _reach(h: Harness) -> None:
    """Tổ 1: 40 of its 42 households reached, Tổ 2: 25 of 35, its leader says 30 are in the
    chat; Tổ 3 none of 51; Tổ 4 has no roster."""
    rt = h.app.rt
    today = h.clock.now().astimezone(rt.settings.tz).date()
    async with rt.transaction() as session:
        marks = []
        for code, count in (("DEMO-TO-1", 40), ("DEMO-TO-2", 25)):
            group = await areas.by_code(session, code)
            houses = (await session.scalars(select(Household.id).where(
                Household.area_id == group.id).order_by(Household.id).limit(count))).all()
            marks += [(house, group.id, today, ReachSource.ACK) for house in houses]
        await reach.mark_many(session, rt.settings, marks)
        one = await areas.by_code(session, "DEMO-TO-1")
        session.add(GroupFigures(area_id=one.id, connected=30))
        four = await areas.by_code(session, "DEMO-TO-4")
        await session.execute(delete(Household).where(Household.area_id == four.id))
        await reach.retally(session, rt.settings, today, [four.id])  # as an import would


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_coverage_view_and_report(harness: Harness) -> None:
    h = harness
    await enrol(h, CHIEF, Role.POLICE_CHIEF)
    await enrol(h, LEADER, Role.GROUP_LEADER, "DEMO-TO-1")
    await _reach(h)
    await h.say(RESIDENT, "/baophu")
    assert (await h.last_text(RESIDENT)).startswith(words.VIEW_NO_ROLE)
    await h.say(RESIDENT, "/baocao")
    assert (await h.last_text(RESIDENT)).startswith(words.REPORT_NO_ROLE)

    await h.seen(LEADER)
    await h.say(LEADER, "/baophu" if not h.zalo else "độ phủ")
    said = await h.seen(LEADER)
    assert said[0].startswith("📊 Độ phủ tuyên truyền — Tổ dân cư số 1\n"
                              "Kỳ năm 2026 (15/12/2025 – 14/12/2026) · mục tiêu 75% số hộ")
    assert "🟢 Tổ dân cư số 1: ▓▓▓▓▓▓▓▓▓░ 95% (40/42 hộ)" in said[0]
    assert "• Tổ dân cư số 1: 0/42 hộ có người đã liên kết; tổ trưởng nhập: 30 hộ" in said[0]
    assert words.CONNECTED_NOTE in said[0]
    photos = [m for m in await h.bot_messages(h.chat_of(LEADER)) if m.get("media")]
    if h.zalo:
        assert photos == [] and len(said) == 1  # no public address: the text alone
    else:
        assert [m["media"]["kind"] for m in photos] == ["photo"]
        assert photos[0]["text"] == words.CHART_CAPTION.format(area="Tổ dân cư số 1",
                                                               period="năm 2026")
    await h.say(LEADER, "/baophu Thôn Tây")
    assert (await h.last_text(LEADER)).startswith(words.NOT_YOURS.format(
        allowed="Tổ dân cư số 1"))
    await h.say(LEADER, "/baophu thon dong 2026H1")
    village = (await h.seen(LEADER))[-2 if not h.zalo else -1]
    assert "Kỳ 6 tháng đầu năm 2026 (15/12/2025 – 14/06/2026)" in village
    assert "🟢 Thôn Đông: ▓▓▓▓▓▓▓▓░░ 84% (65/77 hộ)" in village
    assert "🟡 Tổ dân cư số 2: ▓▓▓▓▓▓▓░░░ 71% (25/35 hộ)" in village
    await h.say(LEADER, "/baocao")
    assert (await h.last_text(LEADER)).startswith(words.REPORT_NO_ROLE)

    await h.say(CHIEF, "/baophu 2026X")
    assert (await h.last_text(CHIEF)).startswith(words.UNKNOWN_PERIOD.format(typed="2026X"))
    await h.say(CHIEF, "/baophu")
    commune = [text for text in await h.seen(CHIEF) if text.startswith("📊 Độ phủ")][-1]
    assert "Toàn xã: 50% — 1/2 thôn đạt" in commune
    assert "🔴 Thôn Tây: ░░░░░░░░░░ 0% (0/51 hộ) (1 tổ chưa có số hộ)" in commune
    assert "    ⚪ Tổ dân cư số 4: chưa có số hộ" in commune

    await h.say(CHIEF, "/baocao")
    if not h.zalo:
        sent = (await h.bot_messages(CHIEF.id))[-1]
        assert sent["media"]["kind"] == "document"
        assert sent["media"]["file_name"] == "bao-cao-do-phu-DEMO-XA-2026H1.xlsx"
        assert sent["text"] == words.REPORT_CAPTION.format(area="Xã Bình Yên",
                                                           period="6 tháng đầu năm 2026")
        return
    assert await h.last_text(CHIEF) == words.REPORT_ELSEWHERE.format(code="DEMO-XA",
                                                                     period="2026H1")
    port = _port()
    h.app.rt.settings.public_url = f"http://127.0.0.1:{port}"  # type: ignore[assignment]
    web = WebServer(h.app.rt, h.app.channels)
    await web.start("127.0.0.1", port)
    try:
        await h.say(CHIEF, "/baocao 2026")
        report_link = (await h.last_text(CHIEF)).rsplit(": ", 1)[1]
        await h.say(CHIEF, "/baophu Thôn Đông")
        chart_link = (await h.last_text(CHIEF)).rsplit(": ", 1)[1]
        assert (await h.last_text(CHIEF)).startswith("📊 Biểu đồ độ phủ (mở được một lần")
        async with aiohttp.ClientSession() as http:
            async with http.get(report_link) as got:
                assert got.status == 200 and got.headers["Cache-Control"] == "no-store"
                book = load_workbook(io.BytesIO(await got.read()))
            async with http.get(report_link) as again:
                assert again.status == 410
            async with http.get(chart_link) as got:
                assert got.status == 200 and got.content_type == "image/png"
    finally:
        await web.stop()
    sheet = book[words.SHEET_COVERAGE]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=6)]
    assert rows[0][:6] == ["Xã Bình Yên", "DEMO-XA", "Xã", 128, 65, pytest.approx(0.5078, 1e-3)]
