"""The delivery worker: the one sender of a channel, holding that channel's lease.

Each turn it picks what may go now — interactive rows before broadcast rows, always
(work-conserving: broadcasts take every slot interactive traffic leaves), within the channel's
rate limits (`scheduler.limits`) — marks those rows in flight with its lease epoch in one
transaction, sends them concurrently, and records the outcomes in batches. Payloads are purged
once delivered; the platform's message id is kept.

Crash safety: a row is in flight before its request. When a new holder takes the lease it
requeues rows left in flight by an older epoch and counts them (`resent`): Telegram has no
idempotency key, so those — and only those — can ever be delivered twice.

What the platform says is followed: 429 pauses what it concerns for `retry_after` and makes
the limiter stricter; 5xx and timeouts back off exponentially with jitter up to
`BINHYEN_DELIVERY_MAX_ATTEMPTS`, then fail with the reason; 403 marks the chat inactive (its
group leaders are told once); a group that became a supergroup is followed and the message
resent to its new id; any other refusal fails the row with the platform's reason. A refusal
because the person has been silent too long (`NeedsContact`, Zalo's 48-hour window) puts the
row in its own state, `waiting_contact`: not retried, not failed, it blocks no other chat, and
it is queued again, oldest first, when the person next writes (`outbox.release_waiting`, from
`people.touch`) or when a later message to them goes through. An officer's card that no
officer of the commune could receive goes further up (`tip_cards.card_unreachable`).

Privacy: a delivered row is deleted at once unless something still needs it — a broadcast's
(its report and coverage count it) or an officer's card (edited while its tip lives). A fully
anonymous reporter's receipt went to their chat in the very transaction that wrote the tip;
kept, its chat and time would point at them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import (
    Channel,
    ChatGone,
    ChatMoved,
    DeliveryError,
    NeedsContact,
    Rejected,
    RetryLater,
    Transient,
)
from bot.messages import PlatformRequest
from bot.metrics import Outcome
from bot.models import (
    LANE_PRIORITY,
    Chat,
    ChatKind,
    Lane,
    Lease,
    OutboxMessage,
    OutboxStatus,
    TipCard,
)
from bot.runtime import Runtime
from bot.services import broadcast_reports, meta, outbox, people
from bot.services.tips import cards as tip_cards
from scheduler.lease import LeaseKeeper, new_holder_id
from scheduler.limits import ChannelLimiter, Limits, Scope
from scheduler.supervisor import Beat

log = logging.getLogger(__name__)

CANDIDATES = 256
# The statuses are written into the statement's text: PostgreSQL's generic plan for a prepared
# statement then knows how rare rows in flight are. As parameters it guessed a third of the
# table, scanned the whole outbox on every turn and halved the tip bench on PostgreSQL.
_QUEUED = literal(OutboxStatus.QUEUED.value, literal_execute=True)
_BUTTON = literal(LANE_PRIORITY[Lane.BUTTON], literal_execute=True)
# One message in flight per chat keeps each chat's order, so a chat with a message in flight
# has nothing to offer this turn: its queue is left out of the window, or a chat with a long
# queue (an officer's cards on a busy evening) would fill it and hide every other chat behind
# it. A chat that is free shows its whole queue, but its head is taken and then it is busy.
# Answers to pressed buttons are not messages in the chat (`Lane.BUTTON`): they always show,
# and never make their chat busy.
# The busy chats come from the worker, which holds the channel's lease and so knows every row
# in flight. Asking the outbox instead (NOT EXISTS a row in flight in the chat) left the plan
# to PostgreSQL: planned while the outbox was small, it hashed the whole table on every turn,
# and later walked every row in flight once per candidate; a third of the database's time on
# the tip bench went there.
CANDIDATE_ROWS = (
    select(OutboxMessage.id, OutboxMessage.chat_id, Chat.kind, OutboxMessage.priority)
    .join(Chat, Chat.id == OutboxMessage.chat_id)
    .where(OutboxMessage.channel == bindparam("channel"),
           OutboxMessage.status == _QUEUED,
           or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= bindparam("now")),
           or_(OutboxMessage.priority == _BUTTON,
               OutboxMessage.chat_id.not_in(bindparam("busy", expanding=True))))
    .order_by(OutboxMessage.priority, OutboxMessage.id)
    .limit(CANDIDATES)
)
_OUTBOX = OutboxMessage.__table__
_CLAIMED_CHAT = Chat.__table__.alias("claimed_chat")  # type: ignore[attr-defined]


def _of_chat(column: ColumnElement[Any]) -> ScalarSelect[Any]:
    # a subquery, not UPDATE … FROM: SQLite's RETURNING may not name a FROM table
    return (select(column).where(_CLAIMED_CHAT.c.id == _OUTBOX.c.chat_id)
            .correlate(_OUTBOX).scalar_subquery())


# The claim checks for itself that the lease is still ours, and on PostgreSQL locks the lease's
# row so a takeover waits for this transaction: a round trip fewer than asking first.
_LEASE_HELD = (select(Lease.name)
               .where(Lease.name == bindparam("lease"), Lease.holder == bindparam("holder"),
                      Lease.epoch == bindparam("epoch"))
               .with_for_update().exists())
# Marks the chosen rows in flight and returns what sending them needs, in one round trip.
CLAIM_ROWS = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.status == _QUEUED,
           _LEASE_HELD)
    .values(status=OutboxStatus.IN_FLIGHT, lease_epoch=bindparam("epoch"),
            attempts=_OUTBOX.c.attempts + 1)
    .returning(_OUTBOX.c.id, _OUTBOX.c.payload_enc, _OUTBOX.c.broadcast_id, _OUTBOX.c.chat_id,
               _OUTBOX.c.priority, _of_chat(_CLAIMED_CHAT.c.kind), _of_chat(_CLAIMED_CHAT.c.active),
               _of_chat(_CLAIMED_CHAT.c.external_id_enc),
               _of_chat(_CLAIMED_CHAT.c.waiting_contact))
)
_IN_FLIGHT = literal(OutboxStatus.IN_FLIGHT.value, literal_execute=True)
# Delivered rows nothing needs any more, gone in one statement (see the module docstring); the
# ids given are the rows of no broadcast, and a card is kept for its edits.
DELETE_DELIVERED = (
    delete(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.status == _IN_FLIGHT,
           ~select(TipCard.id).where(TipCard.outbox_id == _OUTBOX.c.id).exists())
    .returning(_OUTBOX.c.id)
)
# what is left of the delivered rows (broadcasts', cards) is marked sent, in one executemany
MARK_SENT = (
    update(_OUTBOX)
    # a plain parameter here: an executemany cannot take a literal_execute one
    .where(_OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.status == OutboxStatus.IN_FLIGHT)
    .values(status=OutboxStatus.SENT, sent_at=bindparam("now", type_=_OUTBOX.c.sent_at.type),
            payload_enc=None, error=None,
            platform_message_id=bindparam("platform_id"))
)
IDLE_WAIT_S = 30.0
# While other sends are still out, a turn starts no sooner than this after the one before, so
# the completions and new rows of a busy moment share one turn's round trips. A lone chat, with
# nothing else out, never waits: its next message goes as soon as the last one is recorded.
BUSY_TURN_GAP_S = 0.01
RESENT_COUNTER = "delivery.resent.{channel}"


def outcome_of(error: DeliveryError) -> str:
    """The `outcome` label of a refused send (`/metrics`)."""
    if isinstance(error, RetryLater):
        return Outcome.RATE_LIMITED
    if isinstance(error, Transient):
        return Outcome.TRANSIENT
    if isinstance(error, ChatGone):
        return Outcome.GONE
    if isinstance(error, NeedsContact):
        return Outcome.WAITING
    if isinstance(error, ChatMoved):
        return Outcome.MOVED
    return Outcome.REJECTED


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 2, 4, 8 … seconds, capped at five minutes."""
    return random.uniform(0.5, min(300.0, 2.0 ** attempt))


Candidate = tuple[int, int, str, int]  # row id, chat id, chat kind, priority


@dataclass
class Claimed:
    row_id: int
    chat_id: int
    group: bool
    external_id: str
    request: PlatformRequest
    broadcast_id: int | None
    ordered: bool = True  # a message in the chat's order, not a button's answer
    chat_waiting: bool = False  # the chat had rows waiting for the person to write
    original: str | None = None  # the platform id of the message the request changes

    @property
    def creates_message(self) -> bool:
        """Whether it puts a new message into the chat, which is what the flood limits count
        (Telegram's 30 a second, 1 a second into a private chat, 20 a minute into a group; the
        sandbox counts the same). A button's answer does not, nor does an edit of a message
        already there (the mark on a question once answered): counted, the mark after a
        question took the chat's next second, and the reporter's receipt waited behind it."""
        return self.ordered and self.request.new_message


@dataclass
class Turn:
    """What one turn sends: rows, their chats, chats held back (until when), when to look again."""

    next_at: datetime
    rows: list[int] = field(default_factory=list)
    chats: set[int] = field(default_factory=set)
    blocked: dict[int, datetime] = field(default_factory=dict)


@dataclass
class Result:
    claimed: Claimed
    platform_id: str | None = None
    error: DeliveryError | None = None


class DeliveryWorker:
    def __init__(self, rt: Runtime, sender: Channel, limits: Limits,
                 holder: str | None = None) -> None:
        self.rt = rt
        self.sender = sender
        self.channel = sender.name
        self.limiter = ChannelLimiter(limits, rt.clock)
        settings = rt.settings
        self.lease = LeaseKeeper(rt, f"deliver:{self.channel}",
                                 timedelta(seconds=settings.lease_ttl_seconds),
                                 holder or new_holder_id())
        self.max_in_flight = settings.delivery_max_in_flight
        self.max_attempts = settings.delivery_max_attempts
        self._sending: set[asyncio.Task[None]] = set()
        self._results: list[Result] = []
        self._changed = asyncio.Event()
        self._recovered_epoch: int | None = None
        self._busy_chats: set[int] = set()
        self._ids: dict[tuple[int, bytes], str] = {}
        self.waiting = False
        self.pending_at: datetime | None = None
        self.stats = {"sent": 0, "failed": 0, "http_429": 0, "retried": 0, "resent": 0,
                      "waiting": 0}
        self._unreachable: list[int] = []  # rows that went waiting or failed: cards escalate

    # ---- the loop ---------------------------------------------------------------------------
    @property
    def wakeup(self) -> asyncio.Event:
        return self.rt.wakeup_event(self.channel)

    @property
    def idle(self) -> bool:
        """Nothing being sent or recorded, and nothing sendable before the clock moves."""
        return (self.waiting and not self._sending and not self._results
                and not self.wakeup.is_set())

    @property
    def longest_wait(self) -> float:
        """Seconds between two turns at most, normally: the idle wait, cut short to renew
        the lease."""
        return min(IDLE_WAIT_S, self.lease.ttl.total_seconds() / 3)

    async def run(self, stop: asyncio.Event, beat: Beat = lambda: None) -> None:
        """Turns until `stop`. A turn that raises (the database failed) is undone in memory
        and ends the loop; the supervisor starts it again with this same worker, so the lease,
        the sends still out and the outcomes not yet recorded are all kept (`close` ends
        them when the process stops)."""
        loop = asyncio.get_running_loop()
        last_turn = -BUSY_TURN_GAP_S
        while not stop.is_set():
            beat()
            if not await self._hold_lease():
                await self._wait(stop, self.rt.clock.now()
                                 + self.lease.ttl / 3, lease_wait=True)
                continue
            gap = last_turn + BUSY_TURN_GAP_S - loop.time()
            if gap > 0 and self._sending:
                await asyncio.sleep(gap)
            last_turn = loop.time()
            self.wakeup.clear()
            self._changed.clear()  # before looking, so no completion is missed
            unrecorded, busy = list(self._results), set(self._busy_chats)
            try:
                next_at = await self._turn()
            except BaseException:
                self._undo_turn(unrecorded, busy)
                raise
            if next_at is None:
                continue
            await self._wait(stop, next_at)

    def _undo_turn(self, unrecorded: list[Result], busy: set[int]) -> None:
        """A turn that failed committed nothing: the outcomes it took are still to record, and
        the chats it chose have nothing in flight (sends finished meanwhile keep theirs)."""
        taken = [r for r in unrecorded if not any(r is kept for kept in self._results)]
        self._results[:0] = taken
        self._busy_chats &= busy

    async def close(self) -> None:
        """When the process stops: end the sends still out, record what finished, and give
        the lease back so another process can take over at once."""
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        await self._record_results()
        await self.lease.release()

    async def _hold_lease(self) -> bool:
        grant = await self.lease.acquire()  # writes only every third of the lease's time
        if grant is None:
            return False
        if grant.epoch != self._recovered_epoch:
            await self._recover(grant.epoch)
        return True

    async def _wait(self, stop: asyncio.Event, until: datetime, *, lease_wait: bool = False
                    ) -> None:
        delay = (until - self.rt.clock.now()).total_seconds()
        if delay <= 0 and not lease_wait:
            return
        self.waiting = True
        # Waiting for the lease, wake-ups are not ours to act on: the holder sends. Were they
        # heard here, every commit of every worker (`bot.wakeups`) would make each waiting
        # worker try the lease again, a transaction each time.
        events = (stop,) if lease_wait else (self.wakeup, stop, self._changed)
        waiters: list[asyncio.Future[object]] = [asyncio.ensure_future(e.wait()) for e in events]
        waiters.append(asyncio.ensure_future(self.rt.clock.sleep(max(delay, 0.0))))
        try:
            # back in time to renew the lease, which expires after `ttl` without renewal
            await asyncio.wait(waiters, timeout=min(IDLE_WAIT_S, self.lease.ttl.total_seconds() / 3),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.waiting = False
            for waiter in waiters:
                waiter.cancel()

    # ---- recovery after a change of holder ----------------------------------------------
    async def _recover(self, epoch: int) -> None:
        """Requeue rows a dead holder left in flight; they are the only possible duplicates."""
        async with self.rt.transaction() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.channel == self.channel,
                       OutboxMessage.status == OutboxStatus.IN_FLIGHT,
                       or_(OutboxMessage.lease_epoch.is_(None),
                           OutboxMessage.lease_epoch < epoch))
                .values(status=OutboxStatus.QUEUED, resent=OutboxMessage.resent + 1,
                        not_before=None)
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            if count:
                key = RESENT_COUNTER.format(channel=self.channel)
                total = int(await meta.get(session, key) or 0) + count
                await meta.put(session, key, str(total))
        self._recovered_epoch = epoch
        if count:
            self.stats["resent"] += count
            log.warning("%s: %d message(s) left in flight by a stopped sender will be resent",
                        self.channel, count)

    # ---- a turn: record what finished, choose, claim ---------------------------------------
    async def _turn(self) -> datetime | None:
        """Record the sends that finished and send what may go now; returns when to look again
        (None: at once).

        Recording and claiming share one transaction. A chat's next message can go only once
        its last one is recorded, and on SQLite each transaction waits its turn for the write
        lock: with two per turn a resident's receipt, the button's answer and its edit each
        waited two turns for the one before."""
        now = self.rt.clock.now()
        slots = self.max_in_flight - len(self._sending)
        if slots <= 0:
            await self._record_results()
            return now + timedelta(seconds=IDLE_WAIT_S)
        # the overall pace holds back messages only: answers to pressed buttons still go
        messages_at = self.limiter.global_ready_at(now)
        results, self._results = self._results, []
        candidates: list[Candidate] | None = None
        if not results and self.rt.db.is_sqlite:
            # nothing to write yet: look first, without SQLite's one write lock (PostgreSQL
            # blocks nobody, and the separate look would cost it two more round trips)
            async with self.rt.db.reading() as session:
                candidates = await self._candidates(session, now)
                if not candidates:
                    return await self._nothing_to_send(session, now)
        async with self.rt.transaction() as session:
            if results:
                await self._record_in(session, results, now)
            if candidates is None:
                candidates = await self._candidates(session, now)
                if not candidates:
                    return await self._nothing_to_send(session, now)
            turn = self._choose(candidates, now, slots, messages_at)
            claimed: list[Claimed] | None = []
            # the lease is checked (and locked, on PostgreSQL) only for a claim or a hold
            if turn.blocked and not await self.lease.fence(session):
                claimed = None
            elif turn.rows or turn.blocked:
                claimed = await self._claim(session, turn.rows, turn.blocked)
            if claimed is None:
                self._busy_chats -= turn.chats
                return now + self.lease.ttl / 3  # what was recorded still commits
        self.rt.faults.reach("after_claim")
        for chat_id in turn.chats - {item.chat_id for item in claimed if item.ordered}:
            self._busy_chats.discard(chat_id)
        # count each message at the moment it really leaves (after the claim's commit), so a
        # slow commit cannot squeeze two messages closer than the platform allows
        sending_at = self.rt.clock.now()
        for item in claimed:
            self.limiter.record(item.chat_id, item.group, sending_at, chat=item.creates_message)
        for item in claimed:
            task = asyncio.create_task(self._send(item, sending_at))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        if turn.rows:
            return None
        self.pending_at = turn.next_at
        return turn.next_at

    def _choose(self, candidates: list[Candidate], now: datetime, slots: int,
                messages_at: datetime) -> Turn:
        """Which candidates go now, and which chats the rate limits hold back until when.

        Every answer to a pressed button waiting goes (they are no messages: no limit counts
        them, and they keep no order with the chat's messages), and with them, under a paced
        overall limit, one message if the pace allows one now (`messages_at`); unlimited, a
        batch. One row a turn, answers included, made the turns the ceiling: at 100 presses a
        second the answers took the turns and a reporter's receipt waited a second behind them
        (`make bench-broadcasts` (b))."""
        turn = Turn(next_at=now + timedelta(seconds=IDLE_WAIT_S))
        if messages_at > now:
            turn.next_at = messages_at
        messages = 0
        for row_id, chat_id, kind, priority in candidates:
            if priority != LANE_PRIORITY[Lane.BUTTON]:
                if messages_at > now or (self.limiter.paced and messages >= 1):
                    break  # candidates come answers first: only messages are left
                group = kind == ChatKind.GROUP
                if chat_id in turn.blocked or chat_id in self._busy_chats:
                    continue  # one message at a time per chat keeps its order
                ready = self.limiter.chat_ready_at(chat_id, group, now)
                if ready > now:
                    turn.blocked[chat_id] = ready
                    turn.next_at = min(turn.next_at, ready)
                    continue
                self._busy_chats.add(chat_id)
                turn.chats.add(chat_id)
                messages += 1
            turn.rows.append(row_id)
            if len(turn.rows) >= slots:
                break
        return turn

    async def _nothing_to_send(self, session: AsyncSession, now: datetime) -> datetime:
        """When to look again with nothing sendable: when the first row held back (backoff,
        a paused chat) becomes sendable, else after the idle wait. While sends are out, the
        end of each brings another turn anyway, so the question waits until none is."""
        if self._sending:
            self.pending_at = None
            return now + timedelta(seconds=IDLE_WAIT_S)
        held = await session.scalar(
            select(func.min(OutboxMessage.not_before))
            .where(OutboxMessage.channel == self.channel,
                   OutboxMessage.status == OutboxStatus.QUEUED)
        )
        self.pending_at = held
        return held or now + timedelta(seconds=IDLE_WAIT_S)

    async def _candidates(self, session: AsyncSession, now: datetime) -> list[Candidate]:
        # in flight: being sent, or sent and not yet recorded (what this turn took from
        # `_results` is recorded before it looks)
        busy = self._busy_chats | {r.claimed.chat_id for r in self._results if r.claimed.ordered}
        rows = await session.execute(CANDIDATE_ROWS, {"channel": self.channel, "now": now,
                                                      "busy": sorted(busy)})
        return [(row_id, chat_id, kind, priority) for row_id, chat_id, kind, priority in rows]

    async def _claim(self, session: AsyncSession, row_ids: list[int],
                     blocked: dict[int, datetime]) -> list[Claimed] | None:
        """Hold back the chats the limits hold, and mark rows in flight under our epoch; None
        when the lease is no longer ours (the caller has checked it if there are holds)."""
        for chat_id, until in blocked.items():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id,
                       OutboxMessage.status == OutboxStatus.QUEUED,
                       or_(OutboxMessage.not_before.is_(None),
                           OutboxMessage.not_before < until))
                .values(not_before=until)
            )
        if not row_ids:
            return []
        rows = (await session.execute(CLAIM_ROWS, {
            "ids": row_ids, "epoch": self.lease.epoch, "lease": self.lease.name,
            "holder": self.lease.holder})).all()
        if not rows and not await self.lease.fence(session):
            return None  # nothing claimed: were the rows taken, or the lease?
        claimed = []
        for row_id, blob, broadcast_id, chat_id, priority, kind, active, external, waiting \
                in rows:
            if not active or blob is None:
                await self._finish_now(session, row_id, "chat inactive")
                if broadcast_id is not None:
                    await session.flush()
                    await broadcast_reports.report_if_done(session, self.rt, broadcast_id)
                continue
            request = outbox.open_blob(self.rt, blob)
            original = None
            if request.edit_of is not None:
                original = await self._original(session, row_id, chat_id, request.edit_of)
                if original is None:
                    continue
            claimed.append(Claimed(row_id, chat_id, kind == ChatKind.GROUP,
                                   self._external_id(chat_id, external), request,
                                   broadcast_id, priority != LANE_PRIORITY[Lane.BUTTON],
                                   bool(waiting), original))
        await self._escalate(session)
        return sorted(claimed, key=lambda item: row_ids.index(item.row_id))

    def _external_id(self, chat_id: int, external_enc: bytes) -> str:
        """The platform id of a chat, decrypted once per (chat, encrypted value)."""
        key = (chat_id, external_enc)
        cached = self._ids.get(key)
        if cached is None:
            if len(self._ids) > 50_000:
                self._ids.clear()
            cached = self._ids[key] = self.rt.keyring.decrypt_text(external_enc,
                                                                   "chat.external_id")
        return cached

    async def _finish_now(self, session: AsyncSession, row_id: int, reason: str) -> None:
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                              .values(status=OutboxStatus.FAILED, error=reason,
                                      payload_enc=None))
        self.stats["failed"] += 1
        self._unreachable.append(row_id)

    async def _original(self, session: AsyncSession, row_id: int, chat_id: int,
                        original_id: int) -> str | None:
        """The platform id of the message an edit changes (the channel puts it where its
        platform wants it); None when not yet known (the row waits) or never will be (the row
        fails)."""
        original = (await session.execute(
            select(OutboxMessage.status, OutboxMessage.platform_message_id)
            .where(OutboxMessage.id == original_id))).first()
        if original is not None and original.platform_message_id is not None:
            return str(original.platform_message_id)
        if original is None or original.status == OutboxStatus.FAILED:
            await self._finish_now(session, row_id, "the message to edit was never delivered")
        else:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id)
                .values(status=OutboxStatus.QUEUED, attempts=OutboxMessage.attempts - 1,
                        not_before=self.rt.clock.now() + timedelta(seconds=1)))
        self._busy_chats.discard(chat_id)
        return None

    # ---- sending ------------------------------------------------------------------------
    async def _send(self, item: Claimed, sending_at: datetime) -> None:
        result = Result(item)
        try:
            result.platform_id = await self.sender.send(item.external_id, item.request,
                                                        item.original)
        except DeliveryError as error:
            result.error = error
        except Exception as error:
            log.exception("%s: unexpected error sending row %s", self.channel, item.row_id)
            result.error = Transient(type(error).__name__)
        self.limiter.answered(item.chat_id, item.group, sending_at, self.rt.clock.now(),
                              chat=item.creates_message)
        self.rt.faults.reach("after_send")
        self._results.append(result)
        if item.ordered:
            self._busy_chats.discard(item.chat_id)
        # out of `_sending` before the wake-up, not by the task's done-callback (which runs a
        # moment later): a turn woken by this must not count this send as still out, or it
        # waits for a completion that already came (and `idle` said so to the tests' settle)
        task = asyncio.current_task()
        if task is not None:
            self._sending.discard(task)
        self._changed.set()

    # ---- recording outcomes ----------------------------------------------------------------
    async def _record_results(self) -> None:
        """Record what finished, in a transaction of its own."""
        if not self._results:
            return
        results, self._results = self._results, []
        async with self.rt.transaction() as session:
            await self._record_in(session, results, self.rt.clock.now())

    async def _record_in(self, session: AsyncSession, results: list[Result], now: datetime
                         ) -> None:
        sent = [r for r in results if r.error is None]
        if sent:  # the common case: a DELETE, and an UPDATE for the rows that stay
            await self._record_sent(session, sent, now)
        others = [r for r in results if r.error is not None]
        loaded = {row.id: row for row in (await session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(
                [r.claimed.row_id for r in others])))).all()} if others else {}
        for result in others:
            await self._record(session, result, now, loaded.get(result.claimed.row_id))
        await self._escalate(session)
        touched = {r.claimed.broadcast_id for r in results if r.claimed.broadcast_id}
        for broadcast_id in touched:
            await broadcast_reports.report_if_done(session, self.rt, broadcast_id)

    async def _record_sent(self, session: AsyncSession, sent: list[Result], now: datetime
                           ) -> None:
        """Delete the delivered rows nothing needs, mark the others sent; release what waited
        in a chat a message just reached (the person's window is open again)."""
        single = [r.claimed.row_id for r in sent if r.claimed.broadcast_id is None]
        gone: set[int] = set()
        if single:
            gone = set((await session.scalars(DELETE_DELIVERED, {"ids": single})).all())
        kept = [{"row_id": r.claimed.row_id, "platform_id": r.platform_id, "now": now}
                for r in sent if r.claimed.row_id not in gone]
        if kept:
            await session.execute(MARK_SENT, kept)
        self.stats["sent"] += len(sent)
        self.rt.metrics.sent(self.channel, Outcome.OK, len(sent))
        reached = {r.claimed.chat_id for r in sent if r.claimed.chat_waiting}
        if reached:
            await outbox.release_waiting(session, reached, self.channel)

    async def _escalate(self, session: AsyncSession) -> None:
        """Officers' cards that went waiting or failed: if nobody of the commune got the card,
        it goes further up (`tip_cards.card_unreachable`)."""
        if not self._unreachable:
            return
        rows, self._unreachable = self._unreachable, []
        await session.flush()
        await tip_cards.card_unreachable(session, self.rt, rows)

    async def _record(self, session: AsyncSession, result: Result, now: datetime,
                      row: OutboxMessage | None) -> None:
        """What a refusal means for its row (deliveries are recorded by `_record_sent`)."""
        item, error = result.claimed, result.error
        if row is None or row.status != OutboxStatus.IN_FLIGHT or error is None:
            return
        self.rt.metrics.sent(self.channel, outcome_of(error))
        if isinstance(error, RetryLater):
            self.stats["http_429"] += 1
            scope = self.limiter.on_429(item.chat_id, item.group, error.seconds, now)
            until = now + timedelta(seconds=error.seconds)
            row.status, row.attempts, row.error = OutboxStatus.QUEUED, row.attempts - 1, str(error)
            row.not_before = None
            if scope is not Scope.GLOBAL:
                await self._hold_chat(session, item.chat_id, until)
            log.warning("%s: 429 (%s), pausing %s for %.0f s", self.channel, scope.value,
                        "everything" if scope is Scope.GLOBAL else f"chat #{item.chat_id}",
                        error.seconds)
        elif isinstance(error, Transient):
            if row.attempts >= self.max_attempts:
                self._fail(row, f"gave up after {row.attempts} attempts: {error}")
            else:
                self.stats["retried"] += 1
                row.status, row.error = OutboxStatus.QUEUED, str(error)[:500]
                row.not_before = None
                await self._hold_chat(session, item.chat_id,
                                      now + timedelta(seconds=backoff(row.attempts)))
        elif isinstance(error, ChatMoved):
            chat = await session.get(Chat, item.chat_id)
            assert chat is not None
            await people.move_chat(session, self.rt, chat, error.new_chat_id)
            self.limiter.forget(item.chat_id)
            row.status, row.attempts = OutboxStatus.QUEUED, row.attempts - 1
            row.not_before = None
        elif isinstance(error, NeedsContact):
            # not the platform's fault and not the message's: it waits for the person
            row.status, row.error, row.not_before = OutboxStatus.WAITING, str(error)[:500], None
            self.stats["waiting"] += 1
            self._unreachable.append(row.id)
            chats = Chat.__table__
            await session.execute(update(chats).where(chats.c.id == item.chat_id)
                                  .values(waiting_contact=True))
            log.info("%s: outbox row %s waits for its recipient to write (%s)", self.channel,
                     row.id, str(error)[:80])
        elif isinstance(error, ChatGone):
            self._fail(row, f"chat inactive: {error}")
            await self._chat_gone(session, item.chat_id, str(error))
        else:
            assert isinstance(error, Rejected | DeliveryError)
            self._fail(row, f"rejected: {error}")

    @staticmethod
    async def _hold_chat(session: AsyncSession, chat_id: int, until: datetime) -> None:
        """Nothing more goes to this chat before `until`, so its messages keep their order."""
        await session.flush()
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.QUEUED,
                   or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before < until))
            .values(not_before=until)
        )

    def _fail(self, row: OutboxMessage, reason: str) -> None:
        row.status, row.error, row.payload_enc = OutboxStatus.FAILED, reason[:500], None
        self.stats["failed"] += 1
        self._unreachable.append(row.id)
        log.warning("%s: outbox row %s failed: %s", self.channel, row.id, reason[:200])

    async def _chat_gone(self, session: AsyncSession, chat_id: int, reason: str) -> None:
        chat = await session.get(Chat, chat_id)
        if chat is not None:
            await people.mark_chat_gone(session, self.rt, chat, reason)
