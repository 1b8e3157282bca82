"""The coverage view as text (`/baophu`): pure functions of a `Coverage`, so the same figures
read the same in chat, in the chart and in the report file, and tests build trees by hand.

One line per area: its standing against the target (🟢🟡🔴, ⚪ without a household count), a
bar of ten cells, the share and «reached/households hộ». A share is shown rounded down, so
74.6% reads 74% and never looks like the 75% it did not reach. A count a leader entered is
labelled as theirs; an area without a household count says so, never 0% or 100%. Then the
connectivity lines, and the one line that says why the bot cannot count a chat's members.

The text is one string, its blocks separated by blank lines: each channel's renderer splits it
where it must (`bot.channels.base.split_text` cuts at blank lines first).
"""

from __future__ import annotations

import math
import re
from datetime import date

from bot.services.coverage.figures import AreaCoverage, Coverage, Standing
from content import areas as area_words
from content import coverage_views as words

BAR_CELLS = 10
FULL, EMPTY = "▓", "░"
_HALF = re.compile(r"^(\d{4})(H[12])?$")


def shown_percent(share: float) -> int:
    """A share as shown: rounded down (74.6% is not 75%)."""
    return math.floor(share + 1e-9)


def bar(share: float) -> str:
    filled = min(BAR_CELLS, max(0, math.floor(share / 100 * BAR_CELLS + 1e-9)))
    return FULL * filled + EMPTY * (BAR_CELLS - filled)


def day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def period_name(key: str, first: str, last: str) -> str:
    """«năm 2026», «6 tháng đầu năm 2026», «từ 01/03/2026 đến 31/05/2026»."""
    match = _HALF.match(key)
    if match is None:
        return words.PERIOD_CUSTOM.format(first=day(first), last=day(last))
    year = match.group(1)
    if match.group(2) is None:
        return words.PERIOD_YEAR.format(year=year)
    half = words.PERIOD_FIRST_HALF if match.group(2) == "H1" else words.PERIOD_SECOND_HALF
    return half.format(year=year)


def period_with_days(coverage: Coverage) -> str:
    return words.PERIOD_DAYS.format(
        name=period_name(coverage.period, coverage.first, coverage.last),
        first=day(coverage.first), last=day(coverage.last))


def unit_of(name: str) -> str:
    """«xã», «phường», «đặc khu» from the commune's name (for «Toàn phường: …»)."""
    for unit in area_words.UNIT_WORDS:
        if name.startswith(unit + " "):
            return unit.lower()
    return words.WHOLE_UNIT


def target_text(target: float) -> str:
    return f"{target:g}"


def line(area: AreaCoverage, target: float) -> str:
    """One area's line: mark, name, bar, share and counts; or «chưa có số hộ»."""
    mark = words.STANDING_MARKS[area.standing(target).value]
    share = area.percent
    if share is None:
        template = words.LINE_NO_COUNT_REACHED if area.reached else words.LINE_NO_COUNT
        text = template.format(mark=mark, name=area.name, reached=area.reached)
    else:
        text = words.LINE.format(mark=mark, name=area.name, bar=bar(share),
                                 percent=shown_percent(share), reached=area.reached,
                                 households=area.households)
        if area.groups_without_count and area.level != "group":
            text += words.SOME_WITHOUT_COUNT.format(count=area.groups_without_count)
    if area.households_entered or area.reached_entered:
        text += words.ENTERED
    return text


def whole_line(area: AreaCoverage) -> str:
    """«Toàn xã: 68% — 3/5 thôn đạt» (the target is judged per village)."""
    unit = unit_of(area.name)
    share = area.percent
    if share is None:
        return words.WHOLE_NO_COUNT.format(unit=unit)
    text = words.WHOLE.format(unit=unit, percent=shown_percent(share), met=area.villages_met,
                              judged=area.villages_judged)
    unjudged = sum(1 for child in area.children if child.level == "village") \
        - area.villages_judged
    if unjudged > 0:
        text += words.WHOLE_UNJUDGED.format(count=unjudged)
    return text


def village_verdict(area: AreaCoverage, target: float) -> str | None:
    if area.households is None:
        return None
    if area.standing(target) is Standing.MET:
        return words.VILLAGE_MET
    needed = math.ceil(area.households * target / 100 - 1e-9) - min(area.reached,
                                                                     area.households)
    return words.VILLAGE_NOT_MET.format(needed=max(needed, 1))


def connected_line(area: AreaCoverage) -> str:
    of = words.CONNECTED_OF.format(households=area.households) if area.households else ""
    text = words.CONNECTED_LINE.format(name=area.name, connected=area.connected, of=of)
    if area.connected_by_leader is not None:
        text += words.CONNECTED_LEADER.format(count=area.connected_by_leader)
    return text


def coverage_lines(root: AreaCoverage, target: float) -> list[str]:
    """The figures, one block per child (with its own children indented under it)."""
    blocks: list[str] = []
    if root.level == "group" or not root.children:
        return [line(root, target)]
    if root.level == "village":
        head = [line(root, target)]
        verdict = village_verdict(root, target)
        if verdict:
            head.append(verdict)
        blocks.append("\n".join(head))
        blocks.append("\n".join(line(child, target) for child in root.children))
        return blocks
    blocks.append(whole_line(root))
    for child in root.children:
        rows = [line(child, target)]
        rows += [words.CHILD_INDENT + line(grandchild, target) for grandchild in child.children]
        blocks.append("\n".join(rows))
    return blocks


def connectivity_lines(root: AreaCoverage) -> str:
    """Connectivity of the area and of each of its children (groups of a village, villages of
    a commune), then why the bot cannot count a chat's members itself."""
    rows = [words.CONNECTED_TITLE, connected_line(root)]
    rows += [connected_line(child) for child in root.children]
    rows.append(words.CONNECTED_NOTE)
    return "\n".join(rows)


def view_text(coverage: Coverage, frozen_on: date | None = None) -> str:
    """The whole `/baophu` text for one area."""
    root = coverage.root
    head = [words.TITLE.format(area=root.name),
            words.SUBTITLE.format(period=period_with_days(coverage),
                                  target=target_text(coverage.target))]
    if coverage.snapshot_number is not None and frozen_on is not None:
        head.append(words.FROZEN.format(day=frozen_on.strftime("%d/%m/%Y"),
                                        number=coverage.snapshot_number))
    blocks = ["\n".join(head), *coverage_lines(root, coverage.target),
              connectivity_lines(root)]
    return "\n\n".join(blocks)
