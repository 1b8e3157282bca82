"""Backups across versions and damage: an older backup is upgraded as it is restored; one from
a newer version, a damaged one and a file that is no backup are refused before the target is
made (`tests/e2e/test_backup.py` walks a running bot through backup and restore)."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bot.config import Settings
from bot.db import Database, alembic_config
from bot.services import backup
from bot.services.backup import BackupError
from bot.services.keys import open_keyring

OLDER = "0012"


def _settings(tmp_path: Path, name: str) -> Settings:
    return Settings(data_dir=tmp_path / name,
                    database_url=f"sqlite+aiosqlite:///{tmp_path / name / 'binhyen.db'}",
                    key_file=tmp_path / "keys", _env_file=None)  # type: ignore[call-arg]


def _rewritten(source: Path, target: Path, *, flip: bool = False, **header: object) -> Path:
    """A copy of a backup with header fields changed, or one byte of its data flipped."""
    with tarfile.open(source) as tar:
        first, second = tar.getmembers()
        body = {**json.loads(tar.extractfile(first).read()), **header}  # type: ignore[union-attr]
        data = bytearray(tar.extractfile(second).read())  # type: ignore[union-attr]
    if flip:
        data[len(data) // 2] ^= 0xFF
    with tarfile.open(target, "w") as tar:
        for info, content in ((first, json.dumps(body).encode()), (second, bytes(data))):
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return target


async def test_an_older_backup_is_upgraded_and_a_bad_one_refused(tmp_path: Path) -> None:
    old = _settings(tmp_path, "old")
    db = Database(old.db_url)
    async with db.writer.begin() as conn:  # an older Bình Yên's database, its key recorded
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c, None), OLDER))
    await open_keyring(db, old.key_file)
    await db.dispose()
    file = tmp_path / "backups" / "old.tar"
    made = await backup.backup(old, file, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert made.header.revision == OLDER and made.header.key_fingerprint

    new = _settings(tmp_path, "new")
    refusals = {
        _rewritten(file, tmp_path / "newer.tar", revision="0099_future"): "mới hơn",
        _rewritten(file, tmp_path / "damaged.tar", flip=True): "bị hỏng",
        old.key_file: "không phải bản sao lưu",
    }
    for bad, said in refusals.items():
        with pytest.raises(BackupError, match=said):
            await backup.restore(new, bad)
        assert not (tmp_path / "new").exists()

    restored = await backup.restore(new, file)
    assert restored.header.revision == OLDER and restored.tips == 0
    db = Database(new.db_url)
    async with db.reading() as session:
        revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
    await db.dispose()
    from alembic.script import ScriptDirectory

    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
