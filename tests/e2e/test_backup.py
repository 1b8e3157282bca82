"""Backups that restore: a running bot with tips in flight is backed up, restored into a fresh
place and started there — every tip, a receipt lookup, the card still queued and the report
half-way all carry on; a wrong key and a target with data are refused and change nothing."""

from __future__ import annotations

import base64
import hashlib
import tarfile
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.cli import build_parser
from bot.config import Settings
from bot.crypto import Keyring, write_keyring
from bot.db import Database
from bot.models import OutboxMessage, OutboxStatus, Person, Tip
from bot.services.backup import MEMBERS, BackupError
from content.tips import ASK_PLACE
from tests.e2e.tipkit import (
    CODE,
    DESCRIPTION,
    begin_report,
    file_report,
    fill_report,
    place_and_time,
    police,
    send,
)
from tests.harness import OFFICER, RESIDENT, RESIDENT_2, Harness, User

RESIDENT_3 = User(1003, "Lan", "Trần Thị")
OTHER_STORY = "Đêm nào cũng có nhóm thanh niên tụ tập đua xe ở đường đê."


async def _binhyen(settings: Settings, *argv: str) -> None:
    """A `binhyen` command as the operator types it, run in this process (the bot keeps
    running beside it; a process start would only add a second of imports)."""
    args = build_parser().parse_args(list(argv))
    assert await args.handler(settings, args) == 0


@pytest.fixture
async def fresh_place(tmp_path: Path, database_url: str,
                      pg_schema: tuple[str, str] | None) -> AsyncIterator[str]:
    """Where the backup is restored: a new SQLite file, or a new PostgreSQL database (its
    `public` schema: the backup's schema, named after the test's, is renamed on the way)."""
    if pg_schema is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored' / 'binhyen.db'}"
        return
    name = f"restored_{uuid.uuid4().hex[:10]}"
    admin = Database(database_url)
    async with admin.writer.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.writer.execution_options(
                isolation_level="AUTOCOMMIT").connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _census(settings: Settings) -> tuple[int, int, int, list[str]]:
    """Tips, people, messages waiting and the key fingerprint recorded at a place."""
    db = Database(settings.db_url)
    try:
        async with db.reading() as session:
            tips = await session.scalar(select(func.count()).select_from(Tip))
            persons = await session.scalar(select(func.count()).select_from(Person))
            waiting = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.status == OutboxStatus.QUEUED))
            marks = (await session.scalars(text("SELECT value FROM meta ORDER BY key"))).all()
    finally:
        await db.dispose()
    return int(tips or 0), int(persons or 0), int(waiting or 0), list(marks)


def _bytes_of_place(url: str) -> str:
    """The SQLite file's bytes (PostgreSQL's place is compared by its census instead)."""
    path = Path(make_url(url).database or "")
    return hashlib.sha256(path.read_bytes()).hexdigest() if url.startswith("sqlite") else ""


@pytest.mark.pg
async def test_a_running_bot_backed_up_restores_elsewhere_and_carries_on(
        fresh_place: str, harness: Harness, settings: Settings, tmp_path: Path,
        pg_schema: tuple[str, str] | None, capsys: pytest.CaptureFixture[str]) -> None:
    h = harness
    await police(h)
    first = await file_report(h, RESIDENT)
    # a second resident is half-way through a report
    await begin_report(h, RESIDENT_3, description="Có người lạ hay đứng nhìn vào nhà bên cạnh.")
    assert (await h.last_text(RESIDENT_3)).startswith(ASK_PLACE)
    # and a third files a tip whose card cannot reach the officer (Telegram failing for that
    # chat): tried again in the next two seconds, it waits in the outbox for its next try
    await fill_report(h, RESIDENT_2, category="Trộm cắp, cướp giật", description=OTHER_STORY)
    await h.fault("5xx", method="sendMessage", chat_id=OFFICER.id, times=0, status=502)
    await send(h, RESIDENT_2, settle=False)
    await h.settle(horizon=timedelta(seconds=2))
    second = CODE.search(await h.last_text(RESIDENT_2))
    assert second, await h.last_text(RESIDENT_2)
    assert not any(t.startswith("📥 Tin báo #2") for t in await h.seen(OFFICER))

    # backed up while the bot runs; the key is copied out apart, never into the backup
    source = settings.model_copy(update={"database_schema": pg_schema[1] if pg_schema else None})
    backup, key_copy = tmp_path / "backups" / "binhyen.tar", tmp_path / "safe" / "keys"
    await _binhyen(source, "backup", str(backup), "--key-out", str(key_copy))
    said = capsys.readouterr().out
    assert said.count("⚠️") == 2 and str(key_copy) in said, said
    with tarfile.open(backup) as tar:
        names = tar.getnames()
    kind = "sqlite" if pg_schema is None else "postgresql"
    assert names == ["binhyen-backup.json", MEMBERS[kind]]
    keys = [line.split(":", 1)[1] for line in key_copy.read_text().splitlines()
            if line.startswith("k")]
    keys += [base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)) for key in keys]
    data = backup.read_bytes()
    assert len(keys) == 2 and not any(
        (key.encode() if isinstance(key, str) else key) in data for key in keys)
    assert key_copy.stat().st_mode & 0o777 == 0o600

    # restored into a fresh place with the key kept apart
    restored = Settings(data_dir=tmp_path / "restored", database_url=fresh_place,
                        key_file=key_copy, poll_timeout=2,
                        _env_file=None)  # type: ignore[call-arg]
    await _binhyen(restored, "restore", str(backup))
    assert "2 tin báo" in capsys.readouterr().out
    census = await _census(restored)
    assert census[:2] == (2, 5) and census[2] >= 1  # tips; officers and residents; the card
    place = _bytes_of_place(fresh_place)

    # the wrong key is refused at once, even with --force; data already there needs --force
    wrong = Settings(data_dir=tmp_path / "restored", database_url=fresh_place,
                     key_file=tmp_path / "wrong" / "keys", poll_timeout=2,
                     _env_file=None)  # type: ignore[call-arg]
    write_keyring(wrong.key_file, Keyring.generate())
    with pytest.raises(BackupError, match="không phải khóa của bản sao lưu này"):
        await _binhyen(wrong, "restore", str(backup), "--force")
    with pytest.raises(BackupError) as refused:
        await _binhyen(restored, "restore", str(backup))
    assert "đã có dữ liệu" in str(refused.value) and "--force" in str(refused.value)
    assert await _census(restored) == census
    assert _bytes_of_place(fresh_place) == place

    # the bot starts there, the messengers as they were (Telegram up again): the queued
    # card goes out …
    async with h.http.delete(f"{h.base}/control/faults") as response:
        assert response.status == 200
    await h.restart_bot(restored, Database(fresh_place))
    cards = [t for t in await h.seen(OFFICER) if t.startswith("📥 Tin báo #2")]
    assert len(cards) == 1 and "Trộm cắp" in cards[0]
    # … every tip reads in full for the officer, and the receipts look up
    for ref, story in ((1, DESCRIPTION), (2, OTHER_STORY)):
        await h.say(OFFICER, f"/hopthu {ref}")
        detail = await h.last_text(OFFICER)
        assert detail.startswith(f"📥 Tin báo #{ref}") and story in detail, detail
    for user, code in ((RESIDENT, first.code), (RESIDENT_2, second.group(1))):
        await h.say(user, f"/tracuu {code}")
        assert (await h.last_text(user)).startswith("Tin báo gửi lúc")
    # … and the report left half-way goes on where it was
    await place_and_time(h, RESIDENT_3)
    await send(h, RESIDENT_3)
    assert CODE.search(await h.last_text(RESIDENT_3))
    assert (await _census(restored))[0] == 3
