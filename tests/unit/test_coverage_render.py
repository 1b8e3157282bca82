"""The coverage view's text, chart and report file, from a commune built by hand: the lines and
their bars, «chưa có số hộ» instead of 0% or 100%, a leader's figures labelled; the chart's
bars and target line read back from the figure, and no glyph missing from its font; the
workbook opened again with openpyxl and its figures checked; the CSV with its BOM."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date

import pytest
from openpyxl import load_workbook

from bot.channels.base import TextRenderer
from bot.messages import Outgoing
from bot.services.coverage import chart, render, report_file
from bot.services.coverage.figures import AreaCoverage, Coverage
from bot.services.coverage.report_file import ReportData, TipFigures
from content import coverage_views as words


def group(area_id: int, name: str, households: int | None, reached: int,
          **more: object) -> AreaCoverage:
    return AreaCoverage(area_id, f"G{area_id}", name, "group", households, reached, groups=1,
                        groups_without_count=int(households is None), **more)  # type: ignore[arg-type]


DONG = AreaCoverage(
    10, "V-DONG", "Thôn Đông", "village", 50, 40, connected=30, connected_by_leader=45,
    groups=2, villages_met=1, villages_judged=1,
    children=(group(1, "Tổ dân cư số 1", 21, 19, connected=12, connected_by_leader=20),
              group(2, "Tổ dân cư số 2", 29, 21, connected=18, connected_by_leader=25)))
TAY = AreaCoverage(
    11, "V-TAY", "Thôn Tây", "village", 40, 10, households_entered=True, connected=5,
    groups=2, groups_without_count=1, villages_judged=1,
    children=(group(3, "Tổ 3", 40, 10, households_entered=True, connected=5),
              group(4, "Tổ 4", None, 3)))
MOI = AreaCoverage(12, "V-MOI", "Ấp Mới", "village", None, 0, groups=1,
                   groups_without_count=1, children=(group(5, "Tổ 5", None, 0),))
COMMUNE = AreaCoverage(1, "02269", "Xã Thượng Lâm", "commune", 90, 50, connected=35,
                       connected_by_leader=45, groups=5, groups_without_count=2,
                       children=(DONG, TAY, MOI), villages_met=1, villages_judged=2)
FIGURES = Coverage("2026H1", "2025-12-15", "2026-06-14", 75, COMMUNE)


def test_the_commune_tree_as_text() -> None:
    text = render.view_text(FIGURES)
    assert text.startswith("📊 Độ phủ tuyên truyền — Xã Thượng Lâm\n"
                           "Kỳ 6 tháng đầu năm 2026 (15/12/2025 – 14/06/2026) · mục tiêu 75% "
                           "số hộ\n\nToàn xã: 55% — 1/2 thôn đạt, 1 thôn chưa có số hộ\n\n")
    blocks = text.split("\n\n")
    assert blocks[2] == ("🟢 Thôn Đông: ▓▓▓▓▓▓▓▓░░ 80% (40/50 hộ)\n"
                         "    🟢 Tổ dân cư số 1: ▓▓▓▓▓▓▓▓▓░ 90% (19/21 hộ)\n"
                         "    🟡 Tổ dân cư số 2: ▓▓▓▓▓▓▓░░░ 72% (21/29 hộ)")
    assert blocks[3] == ("🔴 Thôn Tây: ▓▓░░░░░░░░ 25% (10/40 hộ) (1 tổ chưa có số hộ)"
                         " (số tổ trưởng nhập)\n"
                         "    🔴 Tổ 3: ▓▓░░░░░░░░ 25% (10/40 hộ) (số tổ trưởng nhập)\n"
                         "    ⚪ Tổ 4: chưa có số hộ (đã tiếp cận 3 hộ)")
    assert blocks[4] == "⚪ Ấp Mới: chưa có số hộ\n    ⚪ Tổ 5: chưa có số hộ"
    assert "0%" not in blocks[4] and "100%" not in text
    assert blocks[5].splitlines() == [
        words.CONNECTED_TITLE,
        "• Xã Thượng Lâm: 35/90 hộ có người đã liên kết; tổ trưởng nhập: 45 hộ trong nhóm chat",
        "• Thôn Đông: 30/50 hộ có người đã liên kết; tổ trưởng nhập: 45 hộ trong nhóm chat",
        "• Thôn Tây: 5/40 hộ có người đã liên kết",
        "• Ấp Mới: 0 hộ có người đã liên kết",
        words.CONNECTED_NOTE]


def test_a_village_a_group_a_ward_and_frozen_figures() -> None:
    village = render.view_text(Coverage("2026", "2025-12-15", "2026-12-14", 75, TAY))
    assert "🔴 Thôn Tây: ▓▓░░░░░░░░ 25% (10/40 hộ)" in village
    assert words.VILLAGE_NOT_MET.format(needed=20) in village  # 30 of 40 make 75%
    leader = render.view_text(Coverage("2026", "2025-12-15", "2026-12-14", 75,
                                       DONG.children[0], snapshot_number=2),
                              frozen_on=date(2026, 6, 15))
    assert "Kỳ năm 2026 (15/12/2025 – 14/12/2026)" in leader
    assert "Số liệu chốt ngày 15/06/2026 (bản số 2)." in leader
    assert leader.split("\n\n")[1] == "🟢 Tổ dân cư số 1: ▓▓▓▓▓▓▓▓▓░ 90% (19/21 hộ)"
    ward = AreaCoverage(2, "00070", "Phường Hoàn Kiếm", "commune", 100, 75,
                        children=(), villages_met=0, villages_judged=0)
    assert render.whole_line(ward) == "Toàn phường: 75% — 0/0 thôn đạt"
    assert render.shown_percent(74.99) == 74 and render.bar(74.99) == "▓▓▓▓▓▓▓░░░"
    assert render.bar(100) == "▓" * 10 and render.bar(0) == "░" * 10
    assert render.period_name("2026-03-01..2026-05-31", "2026-03-01", "2026-05-31") == \
        "từ 01/03/2026 đến 31/05/2026"


def test_the_chart_has_a_bar_per_village_the_target_line_and_every_glyph() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # «Glyph … missing from font(s)» fails the test
        fig = chart.figure(FIGURES)
        fig.savefig(io.BytesIO(), format="png")  # renders every label
        data = chart.png(FIGURES)
    assert data.startswith(b"\x89PNG")
    ax = fig.axes[0]
    assert [round(bar.get_height(), 2) for bar in ax.patches] == [80.0, 25.0, 0.0]
    assert [bar.get_facecolor() for bar in ax.patches] == [
        pytest.approx((*_rgb(chart.COLOURS[s]), 1.0)) for s in ("met", "below", "unknown")]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["Thôn Đông", "Thôn Tây",
                                                                    "Ấp Mới"]
    target = ax.get_lines()[0]
    assert list(target.get_ydata()) == [75, 75]
    assert ax.get_title() == "Độ phủ tuyên truyền — Xã Thượng Lâm\nKỳ 6 tháng đầu năm 2026"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["80%\n40/50 hộ", "25%\n10/40 hộ", words.CHART_NO_COUNT]
    one = chart.figure(Coverage("2026", "2025-12-15", "2026-12-14", 75, DONG.children[1]))
    assert [round(bar.get_height(), 2) for bar in one.axes[0].patches] == [72.41]


def test_a_font_without_vietnamese_is_caught() -> None:
    """The check above bites: a font lacking Vietnamese glyphs warns."""
    from matplotlib.figure import Figure

    fig = Figure()
    fig.text(0.5, 0.5, "Độ phủ tuyên truyền — Ấp Mới", family="cmr10")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.savefig(io.BytesIO(), format="png")


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


REPORT = ReportData(
    coverage=FIGURES, made_on=date(2026, 6, 20),
    activities={"meeting": 3, "door_to_door": 2}, campaign_sent=4, own_sent=1,
    acknowledged=57, relays_confirmed=3, relays=5, chat_groups=3,
    tips=TipFigures(received=10, forwarded_in_time=4, resolved=9, overdue=1, rate=0.9))


def test_the_workbook_read_back() -> None:
    book = load_workbook(io.BytesIO(report_file.xlsx(REPORT)))
    assert book.sheetnames == [words.SHEET_COVERAGE, words.SHEET_SUMMARY]
    sheet = book[words.SHEET_COVERAGE]
    assert sheet["A1"].value == "BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN, VẬN ĐỘNG — Xã Thượng Lâm (02269)"
    assert sheet["A3"].value == "Lập ngày 20/06/2026 từ số liệu của Bình Yên."
    assert [cell.value for cell in sheet[5]] == list(words.COLUMNS)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=6)]
    assert rows[0] == ["Xã Thượng Lâm", "02269", "Xã", 90, 50, 0.5556, "Chưa đạt", 35, 45,
                       "2 tổ chưa có số hộ"]
    assert rows[1][:7] == ["  Thôn Đông", "V-DONG", "Thôn", 50, 40, 0.8, "Đạt"]
    assert rows[4][:7] == ["  Thôn Tây", "V-TAY", "Thôn", 40, 10, 0.25, "Chưa đạt"]
    assert rows[4][9] == "Số tổ trưởng nhập; 1 tổ chưa có số hộ"
    assert rows[6][:7] == ["    Tổ 4", "G4", "Tổ", None, 3, None, "Chưa có số hộ"]
    assert len(rows) == 9
    assert sheet.cell(row=6, column=6).number_format == "0.0%"
    assert sheet.column_dimensions["A"].width == 34
    summary = {row[0].value: row[1].value for row in book[words.SHEET_SUMMARY].iter_rows(min_row=4)}
    assert summary[words.VILLAGES_MET] == 1 and summary[words.VILLAGES_JUDGED] == 2
    assert summary[words.ACTIVITY_KINDS["meeting"]] == 3
    assert summary[words.ACTIVITIES_TOTAL] == 5
    assert summary[words.CAMPAIGN_SENT] == 4 and summary[words.ACKNOWLEDGED] == 57
    assert summary[words.RELAYS] == "3/5" and summary[words.CHAT_GROUPS] == 3
    assert summary[words.TIPS_RECEIVED] == 10 and summary[words.TIPS_RATE] == 0.9


def test_the_csv_has_a_bom_and_the_same_figures() -> None:
    data = report_file.csv_bytes(REPORT)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN, VẬN ĐỘNG — Xã Thượng Lâm (02269)"]
    header = rows.index([*words.COLUMNS[:5], "Tỷ lệ (%)", *words.COLUMNS[6:]])
    assert rows[header + 1][:7] == ["Xã Thượng Lâm", "02269", "Xã", "90", "50", "55.56",
                                    "Chưa đạt"]
    assert ["Tỷ lệ giải quyết (%)", "90.0"] in rows
    village_only = ReportData(coverage=Coverage("2026", "2025-12-15", "2026-12-14", 75, DONG),
                              made_on=date(2026, 6, 20))
    labels = [row[0] for row in csv.reader(io.StringIO(
        report_file.csv_bytes(village_only).decode("utf-8-sig"))) if row]
    assert words.SECTION_TIPS not in labels and words.SECTION_VILLAGES not in labels
    assert report_file.file_name(village_only, "csv") == "bao-cao-do-phu-V-DONG-2026.csv"


def test_a_big_commune_fits_zalo_messages_a_village_never_cut() -> None:
    villages = tuple(
        AreaCoverage(100 + v, f"V{v}", f"Thôn Bản Khe Suối Số {v}", "village", 160, 100 + v,
                     groups=8, children=tuple(group(1000 + 10 * v + g, f"Tổ dân cư số {g}",
                                                    20, 12 + g) for g in range(8)))
        for v in range(14))
    big = AreaCoverage(1, "X", "Xã Rất Lớn", "commune", 160 * 14, 1500, groups=112,
                       children=villages, villages_judged=14)
    text = render.view_text(Coverage("2026", "2025-12-15", "2026-12-14", 75, big))
    pieces = [r.params["text"] for r in TextRenderer(limit=2000).render(Outgoing(text))]
    assert len(text) > 6000 and len(pieces) > 3
    assert all(len(piece) <= 2000 for piece in pieces)
    assert "\n\n".join(pieces) == text  # cut only between blocks
    for piece in pieces:
        for block in piece.split("\n\n"):
            if block.startswith(("🟢", "🟡", "🔴")):
                assert block.count("\n") == 8  # the village and its eight groups together
