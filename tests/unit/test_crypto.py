"""Encryption at rest and keyed hashes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.crypto import (
    DecryptionError,
    KeyFileError,
    Keyring,
    load_keyring,
    normalize_code,
    random_code,
    write_keyring,
)


@given(st.binary(max_size=2000), st.text(max_size=30))
def test_round_trip(plaintext: bytes, context: str) -> None:
    keyring = Keyring.generate()
    assert keyring.decrypt(keyring.encrypt(plaintext, context), context) == plaintext


def test_context_is_bound() -> None:
    keyring = Keyring.generate()
    blob = keyring.encrypt(b"tin bao", "tip.content")
    with pytest.raises(DecryptionError):
        keyring.decrypt(blob, "outbox.payload")


def test_tampering_is_detected() -> None:
    keyring = Keyring.generate()
    blob = bytearray(keyring.encrypt(b"tin bao", "c"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        keyring.decrypt(bytes(blob), "c")


def test_rotation_newest_encrypts_all_decrypt(tmp_path: Path) -> None:
    old = Keyring.generate()
    old_blob = old.encrypt(b"truoc", "c")
    rotated = old.with_new_key()
    new_blob = rotated.encrypt(b"sau", "c")
    assert rotated.key_id_of(new_blob) != old.key_id_of(old_blob)
    assert rotated.decrypt(old_blob, "c") == b"truoc"
    with pytest.raises(DecryptionError):
        old.decrypt(new_blob, "c")
    # digests and the fingerprint survive rotation, so stored lookups keep matching
    assert rotated.digest("TB-1", "receipt") == old.digest("TB-1", "receipt")
    assert rotated.fingerprint == old.fingerprint


def test_key_file_mode_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "keys"
    keyring = Keyring.generate().with_new_key()
    write_keyring(path, keyring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_keyring(path)
    assert loaded.fingerprint == keyring.fingerprint
    assert loaded.key_ids == keyring.key_ids


def test_broken_key_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text("# comment\nk1 without separator\n")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="dòng 2"):
        load_keyring(path)


def test_digest_purposes_differ() -> None:
    keyring = Keyring.generate()
    assert keyring.digest("42", "user:telegram") != keyring.digest("42", "chat:telegram")
    assert keyring.verify_digest("42", "user:telegram", keyring.digest("42", "user:telegram"))


def test_codes_are_readable() -> None:
    code = random_code(16)
    assert len(code) == 16 and not set(code) & set("ILOU")
    assert normalize_code(code.lower()) == code
    assert normalize_code("tb-7k3mq-9xpa2") == "TB7K3MQ9XPA2"
    assert normalize_code("O1l") == "011"
