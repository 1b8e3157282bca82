"""The six-month or annual report as a file: XLSX (openpyxl) or CSV, pure functions of the
figures (`ReportData`), so the CLI and the chat make the same file and tests read it back.

Sheet «Độ phủ»: a title row, the period and the target, the date the figures were frozen (or
made), then one row per area of the tree — the commune, each village, each group — with
households, reached, the share (a number formatted as a percentage, so it pastes into the
official report as one), the standing, connectivity, and a note where a figure is a leader's
or a count is missing. Sheet «Tổng hợp»: villages that met the target, activities by kind,
campaign messages sent, acknowledged and relayed, chat groups, and the tip figures of the
commune as a whole — never per village or group, where small numbers point at people.

CSV: the same two tables one after the other, UTF-8 with a byte-order mark (what Excel in a
Vietnamese office needs to read the diacritics).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from bot.services.coverage.figures import AreaCoverage, Coverage
from bot.services.coverage.render import period_with_days, target_text
from content import coverage_views as words

PERCENT_FORMAT = "0.0%"
SHARE_COLUMN = 5  # where the share is in a coverage row
Cell = str | int | float | None


@dataclass(frozen=True)
class TipFigures:
    received: int
    forwarded_in_time: int
    resolved: int
    overdue: int
    rate: float | None  # resolved ÷ received; None when nothing was received


@dataclass(frozen=True)
class ReportData:
    coverage: Coverage
    made_on: date
    frozen_on: date | None = None
    activities: dict[str, int] = field(default_factory=dict)  # ActivityKind → count
    campaign_sent: int = 0
    own_sent: int = 0
    acknowledged: int = 0
    relays_confirmed: int = 0
    relays: int = 0
    chat_groups: int = 0
    tips: TipFigures | None = None  # a commune or above only


def file_name(data: ReportData, ext: str) -> str:
    return words.REPORT_FILE.format(code=data.coverage.root.code, period=data.coverage.period,
                                    ext=ext)


def heading(data: ReportData) -> list[str]:
    """The lines above the tables: title, period and target, when the figures are from."""
    root = data.coverage.root
    lines = [words.REPORT_TITLE.format(area=root.name, code=root.code),
             words.REPORT_PERIOD.format(period=period_with_days(data.coverage),
                                        target=target_text(data.coverage.target))]
    if data.coverage.snapshot_number is not None and data.frozen_on is not None:
        lines.append(words.FROZEN.format(day=data.frozen_on.strftime("%d/%m/%Y"),
                                         number=data.coverage.snapshot_number))
    else:
        lines.append(words.REPORT_MADE.format(day=data.made_on.strftime("%d/%m/%Y")))
    return lines


def _walk(area: AreaCoverage, depth: int = 0) -> Iterator[tuple[int, AreaCoverage]]:
    yield depth, area
    for child in area.children:
        yield from _walk(child, depth + 1)


def coverage_rows(data: ReportData) -> list[list[Cell]]:
    """One row per area of the tree, under `words.COLUMNS`; the share as a fraction (0.8)."""
    target = data.coverage.target
    rows: list[list[Cell]] = []
    for depth, area in _walk(data.coverage.root):
        share = area.percent
        notes = []
        if area.households_entered or area.reached_entered:
            notes.append(words.NOTE_ENTERED)
        if area.groups_without_count and area.level != "group":
            notes.append(words.NOTE_NO_COUNT.format(count=area.groups_without_count))
        rows.append([
            "  " * depth + area.name, area.code,
            words.LEVEL_WORDS.get(area.level, area.level), area.households, area.reached,
            None if share is None else round(share / 100, 4),
            words.STANDING_WORDS[area.standing(target).value], area.connected,
            area.connected_by_leader, "; ".join(notes) or None])
    return rows


def summary_rows(data: ReportData) -> list[list[Cell]]:
    """The supporting figures: (label, value) rows, a section title as a row of its own."""
    root = data.coverage.root
    rows: list[list[Cell]] = []
    if root.level not in ("village", "group"):
        rows += [[words.SECTION_VILLAGES, None],
                 [words.VILLAGES_MET, root.villages_met],
                 [words.VILLAGES_JUDGED, root.villages_judged]]
    rows.append([words.SECTION_ACTIVITIES, None])
    rows += [[label, data.activities.get(kind, 0)]
             for kind, label in words.ACTIVITY_KINDS.items()]
    rows.append([words.ACTIVITIES_TOTAL, sum(data.activities.values())])
    rows += [[words.SECTION_MESSAGES, None],
             [words.CAMPAIGN_SENT, data.campaign_sent],
             [words.OWN_SENT, data.own_sent],
             [words.ACKNOWLEDGED, data.acknowledged],
             [words.RELAYS, words.RELAYS_OF.format(done=data.relays_confirmed,
                                                   total=data.relays)]]
    rows += [[words.SECTION_CHATS, None],
             [words.CHAT_GROUPS, data.chat_groups],
             [words.GROUPS_TOTAL, root.groups],
             [words.HOUSEHOLDS_LINKED, root.connected],
             [words.HOUSEHOLDS_BY_LEADERS, root.connected_by_leader]]
    if data.tips is not None:
        tips = data.tips
        rows += [[words.SECTION_TIPS, None],
                 [words.TIPS_RECEIVED, tips.received],
                 [words.TIPS_FORWARDED_IN_TIME, tips.forwarded_in_time],
                 [words.TIPS_RESOLVED, tips.resolved],
                 [words.TIPS_OVERDUE, tips.overdue],
                 [words.TIPS_RATE, None if tips.rate is None else round(tips.rate, 4)]]
    return rows


SECTIONS = frozenset({words.SECTION_VILLAGES, words.SECTION_ACTIVITIES, words.SECTION_MESSAGES,
                      words.SECTION_CHATS, words.SECTION_TIPS})
WIDTHS = (34, 12, 8, 10, 14, 10, 14, 14, 18, 28)


def xlsx(data: ReportData) -> bytes:
    """The report as an Excel workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = words.SHEET_COVERAGE
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for number, text in enumerate(heading(data), start=1):
        sheet.cell(row=number, column=1, value=text).font = Font(bold=number == 1,
                                                                 size=13 if number == 1 else 11)
    first = len(heading(data)) + 2
    for column, title in enumerate(words.COLUMNS, start=1):
        cell = sheet.cell(row=first, column=column, value=title)
        cell.font, cell.fill = bold, header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for offset, values in enumerate(coverage_rows(data), start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=first + offset, column=column, value=value)
            if column == SHARE_COLUMN + 1:
                cell.number_format = PERCENT_FORMAT
            if offset == 1:
                cell.font = bold
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=first + 1, column=2)

    summary = book.create_sheet(words.SHEET_SUMMARY)
    summary.cell(row=1, column=1, value=heading(data)[0]).font = Font(bold=True, size=13)
    for column, title in enumerate(words.SUMMARY_COLUMNS, start=1):
        cell = summary.cell(row=3, column=column, value=title)
        cell.font, cell.fill = bold, header_fill
    for offset, (label, value) in enumerate(summary_rows(data), start=4):
        summary.cell(row=offset, column=1, value=label).font = Font(bold=label in SECTIONS)
        cell = summary.cell(row=offset, column=2, value=value)
        if label == words.TIPS_RATE:
            cell.number_format = PERCENT_FORMAT
    summary.column_dimensions["A"].width = 48
    summary.column_dimensions["B"].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(data: ReportData) -> bytes:
    """The report as CSV, UTF-8 with a byte-order mark; shares as percentages (80.0)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in heading(data):
        writer.writerow([line])
    writer.writerow([])
    columns = list(words.COLUMNS)
    columns[SHARE_COLUMN] = words.IN_PERCENT.format(label=columns[SHARE_COLUMN])
    writer.writerow(columns)
    for values in coverage_rows(data):
        share = values[SHARE_COLUMN]
        values[SHARE_COLUMN] = None if share is None else round(float(share) * 100, 2)
        writer.writerow(values)
    writer.writerow([])
    writer.writerow(words.SUMMARY_COLUMNS)
    for label, value in summary_rows(data):
        if label == words.TIPS_RATE:
            label = words.IN_PERCENT.format(label=label)
            value = None if value is None else round(float(value) * 100, 2)
        writer.writerow([label, value])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
