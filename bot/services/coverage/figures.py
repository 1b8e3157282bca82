"""What coverage of an area is: one tree shared by the text view, the chart, the report file
and the frozen snapshots (`to_json`/`from_json`), so each shows the same figures.

A household count or a reached count that a leader entered (no roster yet: `/sohodan 48`, or
an activity logged as a number) is carried with a flag, so every view can label it as entered
rather than measured. An area with no household count at all has `households is None`: its
share is unknown (shown «chưa có số hộ»), never 0% or 100%.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Standing(StrEnum):
    MET = "met"  # at or above the target: 🟢
    NEAR = "near"  # within 15 points below it: 🟡
    BELOW = "below"  # 🔴
    UNKNOWN = "unknown"  # no household count


NEAR_POINTS = 15.0


@dataclass(frozen=True)
class AreaCoverage:
    """Coverage of one area (a group, a village, a commune, a province) for one period."""

    area_id: int
    code: str
    name: str
    level: str  # area level code: "group", "village", "commune", …
    households: int | None  # households counted (roster, or the leader's figure); None: none
    reached: int  # households reached in the period (both signals counted once)
    households_entered: bool = False  # some of `households` is a leader's figure, not a roster
    reached_entered: bool = False  # some of `reached` is a count a leader entered
    connected: int = 0  # households with a member linked (a join code, a /dangky, seen in a chat)
    connected_by_leader: int | None = None  # households in the chat, as the leader entered it
    groups: int = 0  # groups (leaves) under it, itself included when it is one
    groups_without_count: int = 0
    children: tuple[AreaCoverage, ...] = field(default=())
    # the target is judged per village: for an area above villages, how many of them met it
    villages_met: int = 0
    villages_judged: int = 0  # villages with a household count

    @property
    def percent(self) -> float | None:
        if not self.households:
            return None
        return 100.0 * min(self.reached, self.households) / self.households

    def standing(self, target: float) -> Standing:
        share = self.percent
        if share is None:
            return Standing.UNKNOWN
        if share >= target:
            return Standing.MET
        return Standing.NEAR if share >= target - NEAR_POINTS else Standing.BELOW

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> AreaCoverage:
        children = tuple(cls.from_dict(child) for child in data.get("children", ()))  # type: ignore[union-attr]
        return cls(**{**data, "children": children})  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, text: str) -> AreaCoverage:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class Coverage:
    """The answer to «coverage of this area for this period»: the tree, and whether it is a
    frozen snapshot (its number) or computed now."""

    period: str  # Period.key
    first: str  # ISO dates of the period
    last: str
    target: float
    root: AreaCoverage
    snapshot_number: int | None = None
