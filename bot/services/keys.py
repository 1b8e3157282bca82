"""The encryption key's bond with the database.

A key is created only when the database is empty; its fingerprint is recorded, and every later
start checks the key file against it. A lost or swapped key file must stop the bot with a clear
message — never silently make every stored tip unreadable. Rotation: a new key appended to the
file encrypts from then on; the ids of all keys that ever encrypted are recorded, and start-up
refuses if one of them is missing from the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import KeyFileError, Keyring, load_keyring, write_keyring
from bot.db import Database
from bot.models import Area, Chat, InboxUpdate, Person
from bot.services import meta

FINGERPRINT = "key_fingerprint"
KEY_IDS = "key_ids"


async def _has_data(session: AsyncSession) -> bool:
    for model in (Person, Chat, Area, InboxUpdate):
        if await session.scalar(select(func.count()).select_from(model)):
            return True
    return False


async def open_keyring(db: Database, key_file: Path) -> Keyring:
    """Load (or, for an empty database only, create) the key file and check it matches."""
    async with db.transaction() as session:
        # two processes starting on an empty database (two `binhyen migrate` at once) must not
        # both make a key: the second waits, then finds the first one's
        await db.serialise(session, "binhyen:keys")
        recorded = await meta.get(session, FINGERPRINT)
        if recorded is None:
            if await _has_data(session):
                raise KeyFileError(
                    "Cơ sở dữ liệu đã có dữ liệu nhưng không ghi dấu khóa nào; "
                    "không dám tạo khóa mới. Hãy khôi phục bảng meta từ bản sao lưu."
                )
            if key_file.exists():
                keyring = load_keyring(key_file)
            else:
                keyring = Keyring.generate()
                write_keyring(key_file, keyring)
            await meta.put(session, FINGERPRINT, keyring.fingerprint)
            await meta.put(session, KEY_IDS, json.dumps(keyring.key_ids))
            return keyring

        if not key_file.exists():
            raise KeyFileError(
                f"Không tìm thấy tệp khóa {key_file}, mà dữ liệu đã được mã hóa bằng khóa đó. "
                "Hãy chép lại tệp khóa từ bản sao lưu hoặc đặt BINHYEN_KEY_FILE trỏ tới nó."
            )
        keyring = load_keyring(key_file)
        if keyring.fingerprint != recorded:
            raise KeyFileError(
                f"Tệp khóa {key_file} không khớp với cơ sở dữ liệu này (dấu khóa khác). "
                "Có thể bạn đang dùng nhầm tệp khóa hoặc nhầm cơ sở dữ liệu."
            )
        used = json.loads(await meta.get(session, KEY_IDS) or "[]")
        missing = [key_id for key_id in used if key_id not in keyring.key_ids]
        if missing:
            raise KeyFileError(
                f"Tệp khóa {key_file} thiếu {len(missing)} khóa đã từng dùng để mã hóa dữ liệu."
            )
        if set(keyring.key_ids) - set(used):
            await meta.put(session, KEY_IDS, json.dumps(sorted(set(used) | set(keyring.key_ids))))
        return keyring


def rotate_key_file(key_file: Path) -> Keyring:
    """Append a new key; it encrypts from the next start on."""
    keyring = load_keyring(key_file).with_new_key()
    write_keyring(key_file, keyring)
    return keyring
