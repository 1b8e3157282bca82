"""Photos, videos, voice notes, audio, documents and stickers as Telegram shows them.

`MediaLibrary` stores a file's bytes in the `FileStore` and builds the Telegram object a
message carries (a photo becomes a list of PhotoSize: a small thumbnail and the full
picture, each with its own file_id, as on Telegram). It serves both directions: what
users send through the control API (`user_media`) and what the bot sends with
sendPhoto & co, either a multipart upload or the file_id of a known file (`bot_media`).
Photos are always JPEG, like Telegram's; JPEG bytes are kept exactly as given (Telegram
would re-encode them, the sandbox keeps them so tests can check the bot's own handling).
"""

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.files import FileStore, StoredFile, Upload
from bot.sandbox.images import as_jpeg, generated_jpeg, image_size, thumbnail
from bot.sandbox.state import Media

THUMBNAIL_SIDE = 90
STICKER_SIDE = 512
DEFAULT_MIME_TYPES = {
    "video": "video/mp4",
    "voice": "audio/ogg",
    "audio": "audio/mpeg",
    "document": "application/octet-stream",
    "sticker": "image/webp",
}
_OPTIONAL_FIELDS = ("file_name", "mime_type", "performer", "title", "emoji")


@dataclass(frozen=True)
class FileDetails:
    """What is known about a file besides its bytes (None: unknown or not applicable)."""

    file_name: str | None = None
    mime_type: str | None = None
    duration: int | None = None
    width: int | None = None
    height: int | None = None
    performer: str | None = None
    title: str | None = None
    emoji: str | None = None


class MediaLibrary:
    """Stored files plus the Telegram media object made for each main file_id."""

    def __init__(self) -> None:
        self.files = FileStore()
        self._media: dict[str, Media] = {}

    def photo(self, data: bytes, width: int | None = None, height: int | None = None) -> Media:
        """A photo from image bytes (or any bytes with explicit width and height)."""
        jpeg = as_jpeg(data)
        picture = jpeg if jpeg is not None else data
        given = (width, height) if width is not None and height is not None else None
        size = given or (image_size(picture) if jpeg is not None else None)
        if size is None:
            raise ValueError("the photo is not an image the sandbox can read")
        sizes = self._thumbnail_sizes(picture, size)
        full = self.files.add("photo", picture, mime_type="image/jpeg")
        sizes.append(_photo_size(full, *size))
        return self._remember(Media("photo", sizes, full.file_id, full.size), sizes)

    def generated_photo(self, width: int, height: int) -> Media:
        """A made-up photo of the given size."""
        return self.photo(generated_jpeg(width, height), width, height)

    def file_media(
        self, kind: str, data: bytes | None, details: FileDetails, size: int | None = None
    ) -> Media:
        """A video, voice, audio, document or sticker; `data` None makes a synthetic file."""
        mime_type = details.mime_type or _guess_mime(details.file_name) or DEFAULT_MIME_TYPES[kind]
        stored = self.files.add(
            kind, data, size=size, mime_type=mime_type, file_name=details.file_name
        )
        payload = _file_object(kind, stored, details)
        return self._remember(Media(kind, payload, stored.file_id, stored.size), [payload])

    def bot_media(self, kind: str, source: Upload | str, details: FileDetails) -> Media:
        """What the bot sends: an upload, or the file_id of a file of the same kind."""
        if isinstance(source, str):
            return self._known_media(kind, source)
        if not source.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if as_jpeg(source.data) is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self.photo(source.data)
        named = replace(
            details,
            file_name=details.file_name or _upload_name(kind, source),
            mime_type=details.mime_type
            or _guess_mime(source.filename)
            or _declared_type(source.content_type),
        )
        return self.file_media(kind, source.data, named)

    def file(self, file_id: str) -> StoredFile | None:
        """The stored file with this file_id, if any."""
        return self.files.get(file_id)

    def clear(self) -> None:
        """Forget every file and media object."""
        self.files.clear()
        self._media.clear()

    def _known_media(self, kind: str, file_id: str) -> Media:
        if file_id.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content: the sandbox has no network")
        media = self._media.get(file_id)
        if media is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if media.kind != kind:
            raise bad_request("type of file mismatch")
        return media

    def _thumbnail_sizes(self, picture: bytes, size: tuple[int, int]) -> list[dict[str, Any]]:
        if max(size) <= THUMBNAIL_SIDE:
            return []
        small = thumbnail(picture, THUMBNAIL_SIDE)
        if small is None:
            return []
        data, width, height = small
        return [_photo_size(self.files.add("photo", data, mime_type="image/jpeg"), width, height)]

    def _remember(self, media: Media, objects: list[dict[str, Any]]) -> Media:
        for obj in objects:
            self._media[obj["file_id"]] = media
        return media


def _photo_size(stored: StoredFile, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "width": width,
        "height": height,
    }


def _file_object(kind: str, stored: StoredFile, details: FileDetails) -> dict[str, Any]:
    obj: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if kind in ("video", "sticker"):
        side = STICKER_SIDE if kind == "sticker" else 0
        obj["width"] = details.width if details.width is not None else side
        obj["height"] = details.height if details.height is not None else side
    if kind in ("video", "voice", "audio"):
        obj["duration"] = details.duration or 0
    if kind == "sticker":
        obj.update({"type": "regular", "is_animated": False, "is_video": False})
    values: Mapping[str, Any] = {
        "file_name": details.file_name if kind in ("video", "audio", "document") else None,
        "mime_type": stored.mime_type if kind != "sticker" else None,
        "performer": details.performer if kind == "audio" else None,
        "title": details.title if kind == "audio" else None,
        "emoji": details.emoji if kind == "sticker" else None,
    }
    obj.update({name: values[name] for name in _OPTIONAL_FIELDS if values[name] is not None})
    obj["file_size"] = stored.size
    return obj


def _guess_mime(file_name: str | None) -> str | None:
    if not file_name:
        return None
    return mimetypes.guess_type(file_name, strict=False)[0]


def _declared_type(content_type: str | None) -> str | None:
    """The part's content type, unless it is the "no idea" default of HTTP clients."""
    if not content_type or content_type == "application/octet-stream":
        return None
    return content_type


def _upload_name(kind: str, upload: Upload) -> str | None:
    """The file name Telegram keeps: documents, videos and audio keep theirs."""
    if kind not in ("document", "video", "audio"):
        return None
    return upload.filename or None
