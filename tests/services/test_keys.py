"""The key file's bond with the database: created only for an empty database, checked at
every start, rotation keeps old data readable."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.crypto import KeyFileError, Keyring, write_keyring
from bot.db import Database
from bot.models import Area, Meta
from bot.services import meta
from bot.services.keys import open_keyring, rotate_key_file

pytestmark = pytest.mark.pg


async def test_created_for_empty_database(db: Database, settings: Settings) -> None:
    assert not settings.key_file.exists()
    keyring = await open_keyring(db, settings.key_file)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    again = await open_keyring(db, settings.key_file)
    assert again.fingerprint == keyring.fingerprint


async def test_missing_key_file_refuses(db: Database, settings: Settings) -> None:
    await open_keyring(db, settings.key_file)
    settings.key_file.unlink()
    with pytest.raises(KeyFileError, match="Không tìm thấy tệp khóa"):
        await open_keyring(db, settings.key_file)
    assert not settings.key_file.exists(), "a new key must never be made for a used database"


async def test_other_key_file_refuses(db: Database, settings: Settings, tmp_path: Path) -> None:
    await open_keyring(db, settings.key_file)
    other = tmp_path / "other-keys"
    write_keyring(other, Keyring.generate())
    with pytest.raises(KeyFileError, match="không khớp"):
        await open_keyring(db, other)


async def test_data_without_fingerprint_refuses(db: Database, settings: Settings) -> None:
    await open_keyring(db, settings.key_file)
    async with db.transaction() as session:
        session.add(Area(code="X", name="Xã", level="commune", created_at=datetime.now(UTC)))
        await session.delete(await session.get(Meta, "key_fingerprint"))
    with pytest.raises(KeyFileError, match="không dám tạo khóa mới"):
        await open_keyring(db, settings.key_file)


async def test_rotation(db: Database, settings: Settings) -> None:
    first = await open_keyring(db, settings.key_file)
    old_blob = first.encrypt(b"du lieu cu", "c")
    rotate_key_file(settings.key_file)
    rotated = await open_keyring(db, settings.key_file)
    assert rotated.decrypt(old_blob, "c") == b"du lieu cu"
    assert rotated.key_id_of(rotated.encrypt(b"moi", "c")) != first.key_id_of(old_blob)
    async with db.reading() as session:
        assert len(json.loads(await meta.get(session, "key_ids") or "[]")) == 2
    # dropping the old key from the file is refused: data sealed with it would be lost
    write_keyring(settings.key_file, Keyring([_raw_keys(settings.key_file)[0]]))
    with pytest.raises(KeyFileError):
        await open_keyring(db, settings.key_file)


def _raw_keys(path: Path) -> list[bytes]:
    keys = []
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            encoded = line.split(":", 1)[1]
            keys.append(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return keys

