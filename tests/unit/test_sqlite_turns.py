"""Two processes writing one SQLite file take turns with the write lock (`WriterTurns`).

Without turns, a process running transactions back to back takes the lock again microseconds
after each commit and another process retrying every few milliseconds almost never gets in;
that was the sender process waiting three quarters of its time behind the receiver."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.sqlite_inloop import fcntl

REPO = Path(__file__).resolve().parents[2]
WRITER = """
import asyncio, sys, time
from sqlalchemy import text
from bot.db import Database

async def main(path, who, count):
    db = Database(f"sqlite+aiosqlite:///{path}")
    for _ in range(count):
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO log (who) VALUES (:who)"), {"who": who})
            time.sleep(0.004)  # work done while holding the lock, as a handler does
    await db.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""

pytestmark = pytest.mark.skipif(fcntl is None, reason="record locks are POSIX only")


def _writer(path: Path, who: str, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), who, str(count)],
                            cwd=REPO)


def test_two_busy_writers_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "turns.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, who TEXT)")
    hog = _writer(path, "A", 400)
    with sqlite3.connect(path) as conn:  # the other starts once the first is writing
        while not conn.execute("SELECT count(*) FROM log").fetchone()[0]:
            time.sleep(0.01)
    other = _writer(path, "B", 25)
    assert other.wait(60) == 0 and hog.wait(60) == 0
    with sqlite3.connect(path) as conn:
        order = "".join(who for (who,) in conn.execute("SELECT who FROM log ORDER BY id"))
    first, last = order.index("B"), order.rindex("B")
    assert last < len(order) - 1, "the first writer finished before the second"
    runs = [len(run) for run in order[first:last].split("B") if run]
    # each time one waits, the other lets it in after the transaction it is in
    assert max(runs, default=0) <= 3, order[first:last]
