"""Files the sandbox holds: what users send, what the bot uploads, and how both are fetched.

Every file gets a Telegram-looking `file_id` (opaque, prefixed by its kind), a
`file_unique_id` and a `file_path` under which `GET /file/bot{token}/{file_path}` serves
its bytes. As on Telegram, getFile refuses files over `DOWNLOAD_LIMIT_BYTES`. A file may
be "synthetic": a size without bytes (tests use it to send a 25 MB video cheaply); its
content is that many zero bytes.
"""

import itertools
import mimetypes
import secrets
from dataclasses import dataclass

DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FILE_KINDS = ("photo", "video", "voice", "audio", "document", "sticker")
_ID_PREFIXES = {
    "photo": "AgACAgUAAxkBAAI",
    "video": "BAACAgUAAxkBAAI",
    "voice": "AwACAgUAAxkBAAI",
    "audio": "CQACAgUAAxkBAAI",
    "document": "BQACAgUAAxkBAAI",
    "sticker": "CAACAgUAAxkBAAI",
}
_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "video": ("videos", ".mp4"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "document": ("documents", ""),
    "sticker": ("stickers", ".webp"),
}


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart Bot API request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    """A file kept by the sandbox; `data` None means `size` zero bytes (synthetic)."""

    file_id: str
    file_unique_id: str
    file_path: str
    kind: str
    size: int
    data: bytes | None = None
    mime_type: str | None = None
    file_name: str | None = None

    def content(self) -> bytes:
        """The file's bytes."""
        return self.data if self.data is not None else bytes(self.size)

    def file_object(self) -> dict[str, object]:
        """The Bot API File object getFile returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """Every file the sandbox knows, by file_id and by file_path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count()

    def add(
        self,
        kind: str,
        data: bytes | None,
        *,
        size: int | None = None,
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> StoredFile:
        """Store bytes (or, with `data` None, a synthetic file of `size` bytes)."""
        if kind not in _ID_PREFIXES:
            raise ValueError(f"unknown file kind {kind!r}")
        number = next(self._numbers)
        stored = StoredFile(
            file_id=_ID_PREFIXES[kind] + secrets.token_urlsafe(40),
            file_unique_id="AgADBA" + secrets.token_urlsafe(8),
            file_path=_file_path(kind, number, file_name, mime_type),
            kind=kind,
            size=len(data) if data is not None else int(size or 0),
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this file_id, if any."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served under this file_path, if any."""
        return self._by_path.get(file_path)

    def clear(self) -> None:
        """Forget every file (ids keep increasing)."""
        self._by_id.clear()
        self._by_path.clear()


def _file_path(kind: str, number: int, file_name: str | None, mime_type: str | None) -> str:
    folder, extension = _FOLDERS[kind]
    if not extension:
        extension = _extension(file_name, mime_type)
    return f"{folder}/file_{number}{extension}"


def _extension(file_name: str | None, mime_type: str | None) -> str:
    if file_name and "." in file_name:
        suffix = "." + file_name.rsplit(".", 1)[1]
        if suffix[1:].isalnum() and len(suffix) <= 8:
            return suffix.lower()
    guessed = mimetypes.guess_extension(mime_type or "") if mime_type else None
    return guessed or ""
