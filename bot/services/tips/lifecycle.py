"""The tip lifecycle as data: which action moves which status where, and the deadline table.

One transition function (`next_status`) and one deadline function (`deadline_for`) hold every
rule; actions and cards only ask them. Legal basis (FACTS.md): commune police forward within
24 hours (48 in remote areas, joint circular 01/2017); a decision within 20 days, 2 months for
complex cases, extendable once by up to 2 months (Criminal Procedure Code art. 147).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.models import Tip, TipStatus
from bot.services import areas

OPEN = frozenset({TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.VERIFYING,
                  TipStatus.FORWARDED, TipStatus.HANDLED_HERE})

# action -> (statuses it may start from, status it leads to; None = stays)
TRANSITIONS: dict[str, tuple[frozenset[TipStatus], TipStatus | None]] = {
    "accept": (frozenset({TipStatus.RECEIVED}), TipStatus.ACCEPTED),
    "verify": (frozenset({TipStatus.RECEIVED, TipStatus.ACCEPTED}), TipStatus.VERIFYING),
    "forward": (frozenset({TipStatus.ACCEPTED, TipStatus.VERIFYING}), TipStatus.FORWARDED),
    "here": (frozenset({TipStatus.ACCEPTED, TipStatus.VERIFYING}), TipStatus.HANDLED_HERE),
    "extend": (frozenset({TipStatus.HANDLED_HERE}), None),
    "close": (frozenset({TipStatus.ACCEPTED, TipStatus.VERIFYING, TipStatus.FORWARDED,
                         TipStatus.HANDLED_HERE}), TipStatus.CLOSED),
    "ask": (OPEN, None),
    "note": (OPEN | {TipStatus.CLOSED}, None),
    "transfer": (frozenset({TipStatus.RECEIVED, TipStatus.ACCEPTED, TipStatus.VERIFYING}),
                 TipStatus.RECEIVED),
    "evidence": (OPEN | {TipStatus.CLOSED}, None),
}
# actions the law allows once in a tip's life, and how a tip shows it was taken (one
# extension of the time to decide: Criminal Procedure Code art. 147)
ONCE: dict[str, Callable[[Tip], bool]] = {
    "extend": lambda tip: bool(tip.extended),
}
# statuses a resident is told about when reached
PUBLIC_STATUSES = frozenset({TipStatus.ACCEPTED, TipStatus.VERIFYING, TipStatus.FORWARDED,
                             TipStatus.HANDLED_HERE, TipStatus.CLOSED})


def allowed(action: str, status: str) -> bool:
    starts, _ = TRANSITIONS[action]
    return TipStatus(status) in starts


def next_status(action: str, status: str) -> TipStatus:
    """The status after `action`; raises ValueError when the action is not allowed now."""
    if not allowed(action, status):
        raise ValueError(f"{action} not allowed from {status}")
    _, target = TRANSITIONS[action]
    return target or TipStatus(status)


def actions_for(status: str) -> list[str]:
    return [action for action in TRANSITIONS if allowed(action, status)]


def taken_once(action: str, tip: Tip) -> bool:
    """Is `action` one the law allows once, already taken on `tip`?"""
    taken = ONCE.get(action)
    return taken is not None and taken(tip)


def open_actions(tip: Tip) -> list[str]:
    """The actions open to `tip` now: allowed from its status, and not a once-only one that
    was taken."""
    return [action for action in actions_for(tip.status) if not taken_once(action, tip)]


@dataclass(frozen=True)
class Deadline:
    """Who must act by when; `remind_at` warns the assignee, `at` escalates (if `escalate`)."""

    what: str
    at: datetime
    remind_at: datetime | None
    escalate: bool


def deadline_for(tip: Tip, settings: Settings, *, remote: bool) -> Deadline | None:
    """The deadline table, per (status, path): accept, forward, decide, follow up."""
    status = TipStatus(tip.status)
    created = tip.created_at
    if status is TipStatus.RECEIVED:
        span = timedelta(hours=settings.tip_accept_hours)
        return _deadline("accept", created, span, settings, escalate=True)
    if status in (TipStatus.ACCEPTED, TipStatus.VERIFYING):
        hours = settings.tip_forward_remote_hours if remote else settings.tip_forward_hours
        return _deadline("forward", created, timedelta(hours=hours), settings, escalate=True)
    if status is TipStatus.HANDLED_HERE:
        days = settings.tip_decide_complex_days if tip.complex_case else settings.tip_decide_days
        span = timedelta(days=days)
        if tip.extended:
            span += timedelta(days=settings.tip_extend_days)
        return _deadline("decide", created, span, settings, escalate=True)
    if status is TipStatus.FORWARDED:
        start = tip.forwarded_at or created
        span = timedelta(days=settings.tip_followup_days)
        return Deadline("followup", start + span, None, escalate=False)
    return None


async def is_remote(session: AsyncSession, tip: Tip) -> bool:
    """Is the tip's commune marked remote (a longer time to forward)? The one fact from the
    database the deadline table needs."""
    if tip.commune_id is None:
        return False
    commune = await areas.info(session, tip.commune_id)
    return bool(commune and commune.is_remote)


def _deadline(what: str, start: datetime, span: timedelta, settings: Settings, *,
              escalate: bool) -> Deadline:
    return Deadline(what, start + span, start + span * settings.tip_remind_at, escalate)


def schedule(tip: Tip, settings: Settings, *, remote: bool) -> Deadline | None:
    """Set the tip's deadline and its next reminder from the table."""
    deadline = deadline_for(tip, settings, remote=remote)
    tip.reminder_stage = 0
    tip.overdue = False
    if deadline is None:
        tip.deadline_at = tip.next_due = None
        return None
    tip.deadline_at = deadline.at
    tip.next_due = deadline.remind_at or deadline.at
    return deadline
