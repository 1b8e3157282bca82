"""Wake-ups between workers, through PostgreSQL's LISTEN/NOTIFY.

Several `binhyen run` workers share one PostgreSQL database, and the one that must act is often
not the one where the cause happened: a reply queued by the worker that handled an update is
sent by whichever worker holds that messenger's sender lease; updates fetched by the one poller
are handled by every worker. Within a process an `asyncio.Event` does it; between processes the
database does, with no second broker:

* a transaction that queued messages says `outbox:<channel>` inside itself: PostgreSQL
  delivers a NOTIFY at COMMIT and never on rollback, so nobody wakes for a message that was
  not written. Where it can, the saying rides on the INSERT that queues the rows, as a column
  of its RETURNING (`said_by`): no round trip of its own; PostgreSQL sends identical
  notifications of one transaction once. Otherwise `notify_in` says it before the commit;
* a poller's store says `inbox:<channel>` the same way, only for the updates that were new.

Every notification names the process that said it (`Runtime.origin`, shared by a worker and
its sender process), and a listener does not pass on its own: the process already woke its
own loops, directly, and hearing itself cost every update a second look at the inbox and the
outbox.

Each process listens on one connection of its own (`Listener.run`, a supervised loop): a lost
connection ends the loop, the supervisor starts it again, and every (re)start wakes everything,
since what was said while nobody listened is found by looking. Each loop still looks at its
table now and then (the inbox every `IDLE_POLL_S`, a sender when it renews its lease): that
look is only the net under a lost wake-up or a worker killed with updates in hand.

The channel is named after the schema, so test runs sharing a database in their own schemas do
not wake each other. SQLite is one process: nothing to listen to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database

log = logging.getLogger(__name__)

# how often the listening connection is checked (a dead one would otherwise hear nothing,
# silently)
CHECK_EVERY_S = 15.0
NOTIFY = select(func.pg_notify(bindparam("channel"), bindparam("payload")))
OUTBOX = "outbox"
INBOX = "inbox"


def channel_of(db: Database) -> str:
    """The NOTIFY channel of this database and schema."""
    return f"binhyen_{db.schema or 'public'}"


def said_by(channel: str, kind: str, name: ColumnElement[str], origin: str
            ) -> ColumnElement[Any]:
    """A column for the RETURNING of an INSERT into a table with a messenger column `name`:
    each new row says `kind:<its messenger>` on `channel` (`channel_of`; PostgreSQL only),
    heard if the insert commits."""
    payload = literal(f"{kind}:") + name + literal(f":{origin}")
    return func.pg_notify(literal(channel), payload).label("said")


async def notify_in(session: AsyncSession, db: Database, kind: str, names: set[str],
                    origin: str) -> None:
    """Inside the caller's transaction (so it is heard only if that commits): wake the workers
    that act on `kind` for each named messenger. Nothing on SQLite."""
    if db.is_sqlite:
        return
    for name in sorted(names):
        await session.execute(NOTIFY, {"channel": channel_of(db),
                                       "payload": f"{kind}:{name}:{origin}"})


Wake = Callable[[str, str], None]  # (kind, messenger name)


class Listener:
    """Hears the wake-ups of every other worker on this database and passes each to `wake`;
    those said by `origin` (this worker) are its own, already acted on."""

    def __init__(self, db: Database, wake: Wake, origin: str,
                 check_every_s: float = CHECK_EVERY_S) -> None:
        self.db = db
        self.wake = wake
        self.origin = origin
        self.check_every_s = check_every_s
        self.server_pid: int | None = None  # the listening connection's backend

    async def run(self, stop: asyncio.Event, beat: Callable[[], None], everything: Callable[[], None]
                  ) -> None:
        """Listen until `stop`; raises when the connection is lost (the supervisor restarts)."""
        channel = channel_of(self.db)
        async with self.db.writer.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.add_listener(channel, self._heard)
            self.server_pid = driver.get_server_pid()
            everything()  # anything said before we listened is found by looking
            try:
                while not stop.is_set():
                    beat()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.check_every_s)
                    if not stop.is_set():
                        await driver.execute("SELECT 1")
            finally:
                with contextlib.suppress(Exception):
                    await driver.remove_listener(channel, self._heard)

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        kind, _, rest = payload.partition(":")
        name, _, origin = rest.partition(":")
        if origin == self.origin:
            return
        try:
            self.wake(kind, name)
        except Exception:  # a wake-up must never break the listening connection
            log.exception("a wake-up (%s) could not be passed on", kind)
