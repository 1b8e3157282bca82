"""What `/metrics` shows, in the Prometheus text format, through the maintained client library
(`prometheus_client`): whoever runs the bot sees trouble before residents do.

Two kinds of figures:

- Counters kept by the process that does the work (`Metrics`, one per `Runtime`): updates
  received (committed to the inbox) and handled per messenger, sends by outcome per messenger,
  restarts of each supervised loop. Each runtime has its own registry, so two bots in one
  process (the tests) never add up.
- Gauges of what the database holds (`DatabaseFigures`), read at scrape time in one short read
  transaction: the inbox's pending rows and the age of the oldest, the outbox's live rows per
  lane and status and the age of the oldest queued row per lane, which leases are held, tips by
  state and how many open ones are overdue. Every query is bounded by an index (`ix_inbox_pending`,
  `ix_outbox_due` per channel, the tiny `leases` table) except the two over `tips`, a table of
  tip-offs, small next to the inbox and the outbox.

The sender process (`bot.sender_process`): its counters live in another interpreter. The
parent gives the child a directory (`PROMETHEUS_MULTIPROC_DIR`, the library's multiprocess
mode) where the child's counters are memory-mapped files; the parent's `/metrics` reads them
with the library's `MultiProcessCollector` and adds them to its own. A child that is started
again writes new files and the old ones still count: the counters never go backwards.

Labels are messenger names, outcomes, lanes, statuses, loop and lease names: never a token, a
phone number, a chat or anything a resident wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    LANE_PRIORITY,
    InboxStatus,
    InboxUpdate,
    Lease,
    OutboxMessage,
    OutboxStatus,
    Tip,
    TipStatus,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LANE_OF = {priority: lane.value for lane, priority in LANE_PRIORITY.items()}
# The outbox rows still to be sent, or waiting: sent and failed rows are history, not depth.
LIVE = (OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT, OutboxStatus.WAITING)


class Outcome:
    """What became of one send (the `outcome` label), from the channel's `DeliveryError`."""

    OK = "ok"
    RATE_LIMITED = "429"
    TRANSIENT = "5xx"  # 5xx, timeouts, dropped connections: retried with backoff
    GONE = "403"  # blocked, kicked: the chat becomes inactive
    WAITING = "waiting_contact"  # Zalo's 48-hour window: waits for the person to write
    MOVED = "moved"  # a group that became a supergroup: followed and sent again
    REJECTED = "rejected"  # 400 and the like: the message fails


class Metrics:
    """The counters of one runtime, on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.received = Counter(
            "binhyen_updates_received", "Updates committed to the inbox (new ones, not repeats)",
            ["messenger"], registry=self.registry)
        self.handled = Counter(
            "binhyen_updates_handled", "Updates whose handling committed",
            ["messenger"], registry=self.registry)
        self.sends = Counter(
            "binhyen_sends", "Sends by outcome (ok, 429, 5xx, 403, waiting_contact, moved, "
            "rejected)", ["messenger", "outcome"], registry=self.registry)
        self.restarts = Counter(
            "binhyen_loop_restarts", "Times a supervised loop stopped on an error and was started "
            "again", ["loop"], registry=self.registry)

    def got(self, messenger: str, count: int) -> None:
        if count:
            self.received.labels(messenger).inc(count)

    def did(self, messenger: str, count: int = 1) -> None:
        if count:
            self.handled.labels(messenger).inc(count)

    def sent(self, messenger: str, outcome: str, count: int = 1) -> None:
        if count:
            self.sends.labels(messenger, outcome).inc(count)

    def watch(self, loop: str) -> None:
        self.restarts.labels(loop)

    def restarted(self, loop: str) -> None:
        self.restarts.labels(loop).inc()


# ---- what the database holds, at scrape time ----------------------------------------------

@dataclass(eq=False)  # the registry keeps collectors in a dict
class DatabaseFigures(Collector):
    """Gauges read from the database by `read` (async), then handed to the library by
    `collect` (which the library calls synchronously)."""

    messengers: list[str]
    inbox: dict[str, tuple[int, float]] = field(default_factory=dict)  # pending, oldest age
    outbox: dict[tuple[str, str, str], int] = field(default_factory=dict)  # ch, lane, status
    oldest_queued: dict[tuple[str, str], float] = field(default_factory=dict)  # ch, lane
    leases: dict[str, bool] = field(default_factory=dict)
    tips: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    async def read(self, session: AsyncSession, now: datetime) -> None:
        for channel, count, oldest in (await session.execute(
                select(InboxUpdate.channel, func.count(), func.min(InboxUpdate.received_at))
                .where(InboxUpdate.status == InboxStatus.PENDING)
                .group_by(InboxUpdate.channel))).all():
            self.inbox[channel] = (count, _age(now, oldest))
        for channel in self.messengers:
            for status, priority, count, oldest in (await session.execute(
                    select(OutboxMessage.status, OutboxMessage.priority, func.count(),
                           func.min(OutboxMessage.created_at))
                    .where(OutboxMessage.channel == channel,
                           OutboxMessage.status.in_([s.value for s in LIVE]))
                    .group_by(OutboxMessage.status, OutboxMessage.priority))).all():
                lane = LANE_OF.get(priority, str(priority))
                self.outbox[(channel, lane, status)] = count
                if status == OutboxStatus.QUEUED:
                    self.oldest_queued[(channel, lane)] = _age(now, oldest)
        for name, expires_at in (await session.execute(
                select(Lease.name, Lease.expires_at))).all():
            self.leases[name] = expires_at > now
        for status, count in (await session.execute(
                select(Tip.status, func.count()).group_by(Tip.status))).all():
            self.tips[status] = count
        self.overdue = int(await session.scalar(
            select(func.count()).select_from(Tip)
            .where(Tip.overdue.is_(True), Tip.status != TipStatus.CLOSED)) or 0)

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily("binhyen_inbox_pending", "Updates waiting to be handled",
                                    labels=["messenger"])
        lag = GaugeMetricFamily("binhyen_inbox_lag_seconds",
                                "Age of the oldest update waiting to be handled (0: none)",
                                labels=["messenger"])
        for messenger in sorted(set(self.messengers) | set(self.inbox)):
            count, age = self.inbox.get(messenger, (0, 0.0))
            pending.add_metric([messenger], count)
            lag.add_metric([messenger], age)
        depth = GaugeMetricFamily("binhyen_outbox_depth",
                                  "Outbox rows still to go, per lane and status",
                                  labels=["messenger", "lane", "status"])
        oldest = GaugeMetricFamily("binhyen_outbox_oldest_queued_seconds",
                                   "Age of the oldest queued outbox row per lane (0: none)",
                                   labels=["messenger", "lane"])
        for messenger in self.messengers:
            for lane in LANE_OF.values():
                for status in LIVE:
                    depth.add_metric([messenger, lane, status.value],
                                     self.outbox.get((messenger, lane, status.value), 0))
                oldest.add_metric([messenger, lane], self.oldest_queued.get((messenger, lane), 0))
        leases = GaugeMetricFamily("binhyen_lease_held",
                                   "1 while someone holds the lease (one sender per messenger, "
                                   "one poller, one tick), else 0", labels=["lease"])
        for name, held in sorted(self.leases.items()):
            leases.add_metric([name], 1 if held else 0)
        tips = GaugeMetricFamily("binhyen_tips", "Tip-offs by state", labels=["state"])
        for state in TipStatus:
            tips.add_metric([state.value], self.tips.get(state.value, 0))
        overdue = GaugeMetricFamily("binhyen_tips_overdue", "Open tip-offs past their deadline",
                                    value=self.overdue)
        yield from (pending, lag, depth, oldest, leases, tips, overdue)


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


# ---- the page --------------------------------------------------------------------------------

@dataclass(eq=False)
class Together(Collector):
    """Several sources as one: families of the same name (this process's counters and the
    sender process's) become one family, their samples added up."""

    sources: list[Iterable[Metric]]

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
        for source in self.sources:
            for family in source:
                if family.name not in families:
                    families[family.name] = Metric(family.name, family.documentation,
                                                   family.type, family.unit)
                    values[family.name] = {}
                summed = values[family.name]
                for sample in family.samples:
                    if sample.name.endswith("_created"):
                        continue  # when a counter began: meaningless once summed
                    key = (sample.name, tuple(sorted(sample.labels.items())))
                    summed[key] = summed.get(key, 0.0) + sample.value
        for name, family in families.items():
            for (sample_name, labels), value in sorted(values[name].items()):
                family.add_sample(sample_name, dict(labels), value)
            yield family


def page(metrics: Metrics, figures: DatabaseFigures, sender_dir: str | None = None) -> bytes:
    """The exposition: this process's counters, the sender process's (if it runs), the
    database's gauges."""
    sources: list[Iterable[Metric]] = [metrics.registry.collect()]
    if sender_dir is not None:
        sources.append(MultiProcessCollector(None, path=sender_dir).collect())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Together(sources))
    registry.register(figures)
    return generate_latest(registry)
