"""Encryption at rest and keyed hashes.

- `Keyring.encrypt/decrypt`: AES-256-GCM. Each blob names the key that sealed it, so keys can
  be rotated: the newest key encrypts, every listed key decrypts. A `context` string is bound
  in as associated data, so a blob copied into another column does not decrypt.
- `Keyring.digest`: HMAC-SHA256 under a hashing key derived from the *first* key of the file.
  It never rotates, because stored digests (receipt codes, PINs, platform ids) must keep
  matching; it is what lets us look rows up without keeping identifiers in clear.
- The key file: one key per line (`k1:<base64url>`), oldest first; `#` comments allowed;
  created with mode 0600 in a 0700 directory. Its fingerprint (of the first key) is stored
  in the database so a lost or swapped file stops start-up instead of orphaning every tip.
  A key file others may read is refused, as ssh refuses such a private key: whoever can read
  it can read every tip.

This module never logs key material or plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_FORMAT = b"\x01"
_KEY_ID_LEN = 8
_NONCE_LEN = 12


class KeyFileError(Exception):
    """The key file is missing, unreadable or does not match the database."""


class DecryptionError(Exception):
    """A blob could not be opened: wrong key, wrong context or tampered data."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class _Key:
    key_id: bytes
    aead: AESGCM


def _key_id(raw: bytes) -> bytes:
    return hashlib.sha256(b"binhyen-key-id" + raw).digest()[:_KEY_ID_LEN]


class Keyring:
    """The keys of one deployment: encrypt with the newest, decrypt with any."""

    def __init__(self, raw_keys: list[bytes]) -> None:
        if not raw_keys:
            raise KeyFileError("Tệp khóa không có khóa nào.")
        for raw in raw_keys:
            if len(raw) != 32:
                raise KeyFileError("Tệp khóa có một khóa không đủ 32 byte.")
        self._raw_keys = list(raw_keys)
        self._keys = {_key_id(raw): _Key(_key_id(raw), AESGCM(raw)) for raw in raw_keys}
        self._newest = self._keys[_key_id(raw_keys[-1])]
        self._hash_key = HKDF(
            algorithm=SHA256(), length=32, salt=None, info=b"binhyen-hmac-v1"
        ).derive(raw_keys[0])

    @classmethod
    def generate(cls) -> Keyring:
        return cls([secrets.token_bytes(32)])

    # ---- fingerprints -------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """Identifies the key file's first key (stored in the database at creation)."""
        return hashlib.sha256(b"binhyen-fingerprint" + self._raw_keys[0]).hexdigest()[:32]

    @property
    def key_ids(self) -> list[str]:
        return [kid.hex() for kid in self._keys]

    # ---- encryption ---------------------------------------------------------------------
    def encrypt(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_LEN)
        sealed = self._newest.aead.encrypt(nonce, plaintext, context.encode())
        return _FORMAT + self._newest.key_id + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> bytes:
        if len(blob) < 1 + _KEY_ID_LEN + _NONCE_LEN + 16 or blob[:1] != _FORMAT:
            raise DecryptionError("not a sealed blob")
        key_id = blob[1 : 1 + _KEY_ID_LEN]
        key = self._keys.get(key_id)
        if key is None:
            raise DecryptionError(f"sealed with unknown key {key_id.hex()}")
        nonce = blob[1 + _KEY_ID_LEN : 1 + _KEY_ID_LEN + _NONCE_LEN]
        try:
            return key.aead.decrypt(nonce, blob[1 + _KEY_ID_LEN + _NONCE_LEN :], context.encode())
        except InvalidTag as exc:
            raise DecryptionError("tampered blob or wrong context") from exc

    def encrypt_text(self, text: str, context: str) -> bytes:
        return self.encrypt(text.encode("utf-8"), context)

    def decrypt_text(self, blob: bytes, context: str) -> str:
        return self.decrypt(blob, context).decode("utf-8")

    def key_id_of(self, blob: bytes) -> str:
        return blob[1 : 1 + _KEY_ID_LEN].hex()

    # ---- keyed hashes -------------------------------------------------------------------
    def digest(self, value: str, purpose: str) -> str:
        """A stable keyed hash for lookups; `purpose` keeps different kinds of value apart."""
        mac = hmac.new(self._hash_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:40]

    def verify_digest(self, value: str, purpose: str, expected: str) -> bool:
        return hmac.compare_digest(self.digest(value, purpose), expected)

    # ---- file ---------------------------------------------------------------------------
    def dumps(self) -> str:
        lines = [
            "# Bình Yên encryption keys. Keep this file secret and backed up apart from the data.",
            "# Oldest first; the last key encrypts. Never delete a line while data uses it.",
        ]
        lines += [f"k{i + 1}:{_b64(raw)}" for i, raw in enumerate(self._raw_keys)]
        return "\n".join(lines) + "\n"

    def with_new_key(self) -> Keyring:
        return Keyring([*self._raw_keys, secrets.token_bytes(32)])


def load_keyring(path: Path) -> Keyring:
    try:
        _check_private(path)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KeyFileError(f"Không tìm thấy tệp khóa {path}.") from exc
    except OSError as exc:
        raise KeyFileError(f"Không đọc được tệp khóa {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError:
        raise KeyFileError(f"Tệp khóa {path} không phải tệp văn bản (dòng `k1:…`): "
                           "có thể đã hỏng hoặc nhầm tệp. Hãy chép lại từ bản sao lưu.") from None
    raw_keys: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        _, sep, encoded = line.partition(":")
        try:
            if not sep:
                raise ValueError
            raw_keys.append(_unb64(encoded))
        except ValueError as exc:
            raise KeyFileError(f"Tệp khóa {path} hỏng ở dòng {number}.") from exc
    return Keyring(raw_keys)


def _check_private(path: Path) -> None:
    """Refuse a key file that its group or others may read or write (POSIX only)."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & 0o077:
        raise KeyFileError(f"Tệp khóa {path} mở cho người khác (quyền {mode & 0o777:o}): ai đọc "
                           f"được nó đọc được mọi tin báo. Hãy chạy: chmod 600 {path}")


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write the key file with mode 0600, atomically (a half-written key file loses data)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(keyring.dumps())
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(length: int) -> str:
    """Random Crockford base32 (no I, L, O, U): 5 bits a character, easy to read aloud."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalize_code(text: str) -> str:
    """Read a code as a person types it: any case, dashes and spaces, O for 0, I/L for 1."""
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(ch for ch in text.upper().translate(table) if ch in CROCKFORD)
