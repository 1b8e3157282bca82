"""`make screenshots`: the web chat at 360 px, as a phone shows it, taken with headless Chromium,
on each messenger: a resident's whole report, from a first «Xin chào» to the receipt; then
outreach coverage — a group leader's household codes (/maho), a resident registering with
one (/dangky), the leader logging a meeting (/hoatdong) and their group's coverage (/baophu).

The real bot and the sandbox run in this process (`tests.harness`, on a fresh SQLite database
and the fake clock); the resident's moves are the same as the scenario test's
(`tests/e2e/test_conversations.py`). PNGs go to `screenshots/` (git-ignored), one per moment,
named `<messenger>-<n>-<moment>.png`: look at them before calling a conversation done.

Needs Chromium (`BINHYEN_CHROMIUM`, else `chromium` or `chromium-browser` on the PATH).
Not part of `make test`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.models import Role
from bot.sandbox.zalo_state import zalo_user_id
from content import activities as activity_words
from tests.e2e.tipkit import DESCRIPTION, enrol, police, send
from tests.harness import LEADER, RESIDENT, Harness, User, start_harness

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "screenshots"
WIDTH, HEIGHT = 360, 2000
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=6000",
]
Move = Callable[[Harness], Awaitable[None]]


def chromium() -> str:
    for name in (os.environ.get("BINHYEN_CHROMIUM"), "chromium", "chromium-browser"):
        found = name and shutil.which(name)
        if found:
            return found
    raise SystemExit("Chromium not found: set BINHYEN_CHROMIUM to its path")


def report(me: User) -> list[tuple[str, Move]]:
    """A whole report as a resident makes it, in moments worth a picture."""

    async def hello(h: Harness) -> None:
        await h.say(me, "Xin chào")

    async def notice(h: Harness) -> None:
        await h.choose(me, "📝 Báo tin cho công an")

    async def story(h: Harness) -> None:
        await h.choose(me, "Ma túy")
        await h.say(me, DESCRIPTION)

    async def place(h: Harness) -> None:
        await h.choose(me, "Thôn Đông")

    async def review(h: Harness) -> None:
        await h.say(me, "Hẻm 12, gần chợ")
        await h.choose(me, "Hôm qua")

    async def receipt(h: Harness) -> None:
        await send(h, me, "Giấu tên tuyệt đối")

    return [("menu", hello), ("notice", notice), ("story", story), ("address", place),
            ("review", review), ("receipt", receipt)]


def coverage(leader: User, member: User) -> list[tuple[str, User, Move]]:
    """A group leader and a resident of Tổ dân cư số 1, in moments worth a picture."""

    async def codes(h: Harness) -> None:
        await enrol(h, leader, Role.GROUP_LEADER, "DEMO-TO-1")
        await enrol(h, member, Role.RESIDENT, "DEMO-TO-1")
        await h.say(leader, "/maho")

    async def register(h: Harness) -> None:
        listing = " ".join(m["text"] or "" for m in await h.bot_messages(h.chat_of(leader)))
        code = listing.split("1. Hộ T1-01", 1)[1].split("mã: ", 1)[1][:6]
        await h.say(member, f"/dangky {code}")

    async def activity(h: Harness) -> None:
        await h.say(leader, "/hoatdong")
        await h.choose(leader, activity_words.KINDS["meeting"])
        await h.choose(leader, activity_words.YESTERDAY_LABEL)
        await h.say(leader, "Phòng chống lừa đảo qua mạng")
        await h.say(leader, "1-30")

    async def saved(h: Harness) -> None:
        await h.choose(leader, activity_words.SAVE_LABEL)

    async def view(h: Harness) -> None:
        await h.say(leader, "/baophu")
        await h.settle()

    return [("codes", leader, codes), ("register", member, register),
            ("activity", leader, activity), ("saved", leader, saved), ("coverage", leader, view)]


def persona(channel: str, user: User) -> User:
    """A persona as the web chat knows them: on Zalo with a Zalo-shaped id."""
    if channel == "zalo":
        zalo_id: Any = zalo_user_id(user.id)
        return User(zalo_id, user.first_name, user.last_name)
    return user


def resident(channel: str) -> User:
    return persona(channel, RESIDENT)


async def shoot(h: Harness, me: User, browser: str, name: str, scratch: Path) -> Path:
    """The web chat as the resident sees it now, in a browser profile of its own."""
    target = OUT / f"{name}.png"
    view = "&chat=private" if h.channel == "telegram" else ""
    url = f"{h.sandbox.base_url}/?mode={h.channel}&user={me.id}{view}"
    process = await asyncio.create_subprocess_exec(
        browser, *CHROMIUM_FLAGS, f"--user-data-dir={scratch / name}",
        f"--screenshot={target}", url,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    if await process.wait() != 0 or not target.exists():
        raise SystemExit(f"Chromium took no screenshot of {url}")
    return target


async def run(channels: list[str]) -> list[Path]:
    browser = chromium()
    OUT.mkdir(exist_ok=True)
    taken: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="binhyen-shots-") as tmp:
        scratch = Path(tmp)
        for channel in channels:
            here = scratch / channel
            settings = Settings(data_dir=here / "data", key_file=here / "keys",
                                database_url=f"sqlite+aiosqlite:///{here / 'bot.db'}",
                                poll_timeout=2, _env_file=None)  # type: ignore[call-arg]
            here.mkdir()
            db = Database(settings.db_url)
            await db.migrate()
            async with start_harness(settings, db, FakeClock(), channel=channel) as h:
                await police(h)
                me = resident(channel)
                moments = [(moment, me, move) for moment, move in report(me)]
                moments += coverage(persona(channel, LEADER), me)
                for number, (moment, who, move) in enumerate(moments, start=1):
                    await move(h)
                    taken.append(await shoot(h, who, browser, f"{channel}-{number}-{moment}",
                                             scratch))
            await db.dispose()
    return taken


def main() -> int:
    for name in [n for n in os.environ if n.startswith("BINHYEN_") and n != "BINHYEN_CHROMIUM"]:
        del os.environ[name]  # the settings here are the script's own
    channels = sys.argv[1:] or ["telegram", "zalo"]
    for path in asyncio.run(run(channels)):
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
