"""The sender process: `binhyen run` with `BINHYEN_SENDER_PROCESS=true` hands the delivery
workers to a child process, so receiving and handling use one core and sending another.

One Python process is bound to one core by the interpreter lock; on the tip bench the bot's
single process was the bottleneck at 100 % of a core while the second core idled. Sending is a
fifth of the work and shares nothing with handling but the database, so it is the part worth
moving: the outbox already makes it safe (rows are committed before anyone sends them; the
delivery lease keeps one sender per channel; a sender killed mid-send is taken over like any
crashed sender).

The parent talks to the child over the child's stdin, one JSON object per line: first the
endpoints (tokens stay off the command line and out of the environment), then the name of a
channel each time a transaction committed rows to its outbox. End of input means stop. A wake-up
lost on a restart costs nothing: a starting sender looks at the whole queue first.

The child's counters (sends by outcome, its loops' restarts) are memory-mapped files in a
directory of the parent's (`PROMETHEUS_MULTIPROC_DIR`, `prometheus_client`'s multiprocess mode);
the parent's `/metrics` reads them (`bot.metrics`). A restart of the child is counted as a
restart of the loop `sender-process`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict

from bot.app import App, tune_garbage_collector
from bot.channels.base import Endpoint
from bot.config import Settings
from bot.logs import setup_logging

log = logging.getLogger(__name__)

RESTART_FIRST_S = 1.0
RESTART_LONGEST_S = 30.0
STOP_GRACE_S = 10.0
MAX_UNREAD_BYTES = 64 * 1024  # a child that stops reading is not fed forever


class SenderProcess:
    """The parent's side: starts the child, keeps it running, passes it wake-ups."""

    def __init__(self, endpoints: dict[str, Endpoint]) -> None:
        self.endpoints = {name: asdict(where) for name, where in endpoints.items()}
        self.process: asyncio.subprocess.Process | None = None
        self._woken: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.metrics_dir = tempfile.mkdtemp(prefix="binhyen-sender-metrics-")
        self.on_restart: Callable[[str], None] = lambda _name: None
        # the parent's `Runtime.origin`: the child is part of the same worker, so it does not
        # wake for what its parent queued (the parent tells it over stdin already)
        self.origin = ""

    def start(self, stop: asyncio.Event) -> None:
        self._task = asyncio.create_task(self._supervise(stop))

    def wake(self, channel: str) -> None:
        """Called after each commit that queued messages: at most one line per channel per turn
        of the event loop, however many transactions committed in it."""
        if not self._woken:
            asyncio.get_running_loop().call_soon(self._send_wakeups)
        self._woken.add(channel)

    def _send_wakeups(self) -> None:
        channels, self._woken = self._woken, set()
        process = self.process
        if process is None or process.stdin is None or process.stdin.is_closing():
            return
        if process.stdin.transport.get_write_buffer_size() > MAX_UNREAD_BYTES:
            return
        process.stdin.write(b"".join(json.dumps({"wake": c}).encode() + b"\n"
                                     for c in sorted(channels)))

    async def _supervise(self, stop: asyncio.Event) -> None:
        delay = RESTART_FIRST_S
        while not stop.is_set():
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "send", stdin=asyncio.subprocess.PIPE,
                env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir})
            assert process.stdin is not None
            process.stdin.write(json.dumps({"endpoints": self.endpoints,
                                            "origin": self.origin}).encode() + b"\n")
            self.process = process
            started = asyncio.get_running_loop().time()
            ended = asyncio.create_task(process.wait())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set():
                ended.cancel()
                return
            if asyncio.get_running_loop().time() - started > RESTART_LONGEST_S:
                delay = RESTART_FIRST_S  # it ran a good while: not a crash loop
            log.error("the sender process exited (code %s); starting it again in %.0f s",
                      process.returncode, delay)
            self.on_restart("sender-process")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, RESTART_LONGEST_S)

    async def stop(self) -> None:
        """End of input asks the child to finish its sends and stop; it gets a grace period."""
        process = self.process
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        shutil.rmtree(self.metrics_dir, ignore_errors=True)


async def run_sender(settings: Settings) -> int:
    """The child's side (`binhyen send`): only the delivery workers, woken by the parent."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    first = await reader.readline()
    if not first:
        return 0
    given = json.loads(first)
    endpoints = {name: Endpoint(**where) for name, where in given["endpoints"].items()}
    setup_logging(settings.log_level, [where.token for where in endpoints.values()],
                  json_lines=settings.log_format == "json")
    app = App(settings, endpoints=endpoints, run_scheduler=False, receive=False)
    await app.prepare()
    app.rt.origin = given.get("origin") or app.rt.origin
    # Ctrl+C reaches the whole process group: the parent decides when we stop (end of input);
    # SIGTERM sent to us alone still stops us cleanly.
    tune_garbage_collector()
    terminated = asyncio.Event()
    loop.add_signal_handler(signal.SIGINT, lambda: None)
    loop.add_signal_handler(signal.SIGTERM, terminated.set)
    await app.start()
    reading = asyncio.create_task(_follow_wakeups(reader, app))
    stopping = asyncio.create_task(terminated.wait())
    try:
        await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (reading, stopping):
            task.cancel()
        await app.stop()
    return 0


async def _follow_wakeups(reader: asyncio.StreamReader, app: App) -> None:
    while line := await reader.readline():
        channel = json.loads(line).get("wake")
        if isinstance(channel, str):
            app.rt.wake_delivery(channel)
