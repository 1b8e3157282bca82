"""The coverage chart (`/baophu`): one bar per village (a commune's view) or per group (a
village's, or a leader's own group), a line at the target, bars coloured by standing, the area
and the period in the title — every label in Vietnamese with its diacritics.

The font is DejaVu Sans, which ships inside matplotlib and has every Vietnamese glyph, so the
chart looks the same on any server without fonts installed; a glyph the font lacks would be a
warning from matplotlib («Glyph … missing from font(s)»), which the tests turn into a failure.

matplotlib is imported inside `figure`: it costs about half a second, and only a chart needs it
(the Agg backend: no display).
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from bot.services.coverage.figures import AreaCoverage, Coverage, Standing
from bot.services.coverage.render import period_name, shown_percent, target_text
from content import coverage_views as words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT = "DejaVu Sans"
COLOURS = {Standing.MET: "#2e7d32", Standing.NEAR: "#f9a825", Standing.BELOW: "#c62828",
           Standing.UNKNOWN: "#9e9e9e"}
TARGET_COLOUR = "#1565c0"
MIN_SLOTS = 3  # the axis holds room for at least this many bars
NAME_WIDTH = 14  # characters of an area's name on one line under its bar


def bars_of(coverage: Coverage) -> tuple[AreaCoverage, ...]:
    """What gets a bar: the area's children (villages of a commune, groups of a village), or
    the area itself when it has none (a leader's group)."""
    return coverage.root.children or (coverage.root,)


def _wrapped(name: str) -> str:
    """A name on lines of about `NAME_WIDTH` characters, cut between words."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= NAME_WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def figure(coverage: Coverage) -> Figure:
    """The chart as a matplotlib figure (the tests read its bars and line back)."""
    from matplotlib.figure import Figure  # slow to import: only a chart needs it
    from matplotlib.patches import Patch

    areas = bars_of(coverage)
    target = coverage.target
    heights = [area.percent or 0.0 for area in areas]
    standings = [area.standing(target) for area in areas]
    width = max(6.4, 1.1 * len(areas) + 2.5)
    fig = Figure(figsize=(width, 5.2), dpi=110)
    fig.set_layout_engine("constrained")
    ax = fig.add_subplot()
    positions = list(range(len(areas)))
    drawn = ax.bar(positions, heights, width=0.6,
                   color=[COLOURS[standing] for standing in standings])
    for rect, area, standing in zip(drawn, areas, standings, strict=True):
        share = area.percent
        label = (words.CHART_NO_COUNT if share is None or standing is Standing.UNKNOWN
                 else words.CHART_BAR.format(percent=shown_percent(share),
                                             reached=area.reached, households=area.households))
        ax.annotate(label, (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8, family=FONT)
    ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1.5,
               label=words.CHART_TARGET.format(target=target_text(target)))
    ax.set_xticks(positions, [_wrapped(area.name) for area in areas], family=FONT, fontsize=8)
    spare = max(0.0, (MIN_SLOTS - len(areas)) / 2)  # a lone bar is not a wall of colour
    ax.set_xlim(-0.5 - spare, len(areas) - 0.5 + spare)
    top = max([100.0, *heights])
    ax.set_ylim(0, math.ceil(top / 10) * 10 + 15)
    ax.set_ylabel(words.CHART_Y, family=FONT)
    ax.set_title(words.CHART_TITLE.format(
        area=coverage.root.name,
        period=period_name(coverage.period, coverage.first, coverage.last)), family=FONT)
    # one legend entry per standing shown, then the target line
    shown = [s for s in Standing if s in standings]
    handles = [Patch(color=COLOURS[s], label=words.CHART_LEGEND[s.value]) for s in shown]
    handles.append(ax.get_lines()[0])
    ax.legend(handles=handles, loc="upper right", prop={"family": FONT, "size": 8},
              ncols=len(handles))
    for label in (*ax.get_yticklabels(),):
        label.set_family(FONT)
    return fig


def png(coverage: Coverage) -> bytes:
    """The chart as PNG bytes."""
    out = io.BytesIO()
    figure(coverage).savefig(out, format="png")
    return out.getvalue()
