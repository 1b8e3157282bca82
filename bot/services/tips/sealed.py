"""What a resident wrote, sealed: the draft a report builds, the tip's content as stored
(encrypted, bound to its column), and the encryption contexts of the tip's other secrets.

Never logs or returns content except through `open_content`, for those who may see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.models import IdentityMode, Tip
from bot.runtime import Runtime

CONTENT_CONTEXT = "tip.content"
REPORTER_CONTEXT = "tip.reporter"
PHONE_CONTEXT = "tip.phone"
EVENT_CONTEXT = "tip.event"


@dataclass
class Draft:
    """What a resident filled in; `incident_area_id` is the village (or commune) chosen."""

    category: str
    description: str
    when: str
    identity: IdentityMode
    incident_area_id: int | None = None
    place_text: str | None = None
    address: str | None = None
    location: tuple[float, float] | None = None
    phone: str | None = None
    evidence_ids: list[int] = field(default_factory=list)
    urgent: bool = False


@dataclass(frozen=True)
class Content:
    description: str
    when: str
    place_text: str | None
    address: str | None
    location: tuple[float, float] | None


def seal_content(rt: Runtime, draft: Draft) -> bytes:
    data = {"description": draft.description, "when": draft.when,
            "place_text": draft.place_text, "address": draft.address,
            "location": list(draft.location) if draft.location else None}
    return rt.seal(json.dumps(data, ensure_ascii=False), CONTENT_CONTEXT)


def open_content(rt: Runtime, tip: Tip) -> Content | None:
    if tip.content_enc is None:
        return None
    data = json.loads(rt.open(tip.content_enc, CONTENT_CONTEXT))
    location = tuple(data["location"]) if data.get("location") else None
    return Content(data["description"], data["when"], data.get("place_text"),
                   data.get("address"), location)  # type: ignore[arg-type]
