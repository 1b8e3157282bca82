"""What a user sends through POST /control/message: text, media, a location or a contact.

The body may carry, besides or instead of "text", one of "photo", "video", "voice",
"audio", "document", "sticker", "location" or "contact", plus "caption" and
"media_group_id" (albums: several messages with the same id). `parse_user_content`
checks all of it strictly (unknown fields are errors) and stores the files; the result
becomes the Telegram Message object the bot receives.
"""

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import ControlError
from bot.sandbox.html_entities import Entity
from bot.sandbox.media import FileDetails, MediaLibrary
from bot.sandbox.specs import check_fields, parse_user_text, require_int
from bot.sandbox.state import Media
from bot.sandbox.text import MAX_CAPTION_LENGTH, command_entities

ATTACHMENTS = ("photo", "video", "voice", "audio", "document", "sticker", "location", "contact")
CONTENT_FIELDS = frozenset({*ATTACHMENTS, "caption", "media_group_id"})
CAPTIONED = frozenset({"photo", "video", "voice", "audio", "document"})
ALBUM_KINDS = frozenset({"photo", "video", "audio", "document"})
DEFAULT_PHOTO_SIZE = (320, 240)
MAX_PHOTO_SIDE = 2560
MAX_DIMENSION = 10000
DEFAULT_DURATION = 5
DEFAULT_VIDEO_SIZE = (640, 360)
PLACEHOLDER_BYTES = b"Binh Yen sandbox placeholder media\n" * 32

_FILE_FIELDS: dict[str, type] = {
    "data_base64": str,
    "file_name": str,
    "mime_type": str,
    "duration": int,
    "file_size": int,
}
_KIND_FIELDS: dict[str, dict[str, type]] = {
    "photo": {"width": int, "height": int, "data_base64": str},
    "video": {**_FILE_FIELDS, "width": int, "height": int},
    "voice": _FILE_FIELDS,
    "audio": {**_FILE_FIELDS, "performer": str, "title": str},
    "document": _FILE_FIELDS,
    "sticker": {"emoji": str},
}
_CONTACT_FIELDS: dict[str, type] = {
    "phone_number": str,
    "first_name": str,
    "last_name": str,
    "user_id": int,
    "vcard": str,
}
_LOCATION_FIELDS = ("latitude", "longitude", "horizontal_accuracy")


@dataclass
class UserContent:
    """A user's message content: text (or caption) and at most one attachment."""

    text: str = ""
    entities: list[Entity] = field(default_factory=list)
    media: Media | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    media_group_id: str | None = None


def parse_user_content(text: Any, extras: Mapping[str, Any], library: MediaLibrary) -> UserContent:
    """Check a control message's content; files are stored only once all of it is valid."""
    kinds = [kind for kind in ATTACHMENTS if extras.get(kind) is not None]
    if len(kinds) > 1:
        raise ControlError(f"send one of {', '.join(ATTACHMENTS)} per message, not several")
    if not kinds:
        for name in ("caption", "media_group_id"):
            if extras.get(name) is not None:
                raise ControlError(f'"{name}" needs a photo, video, voice, audio or document')
        clean = parse_user_text(text)
        return UserContent(clean, command_entities(clean))
    kind = kinds[0]
    spec = extras[kind]
    if not isinstance(spec, Mapping):
        raise ControlError(f'"{kind}" must be an object')
    caption = _caption(kind, text, extras.get("caption"))
    content = UserContent(caption, command_entities(caption) if caption else [])
    content.media_group_id = _media_group_id(kind, extras.get("media_group_id"))
    if kind == "location":
        content.location = parse_location(spec)
    elif kind == "contact":
        content.contact = parse_contact(spec)
    else:
        content.media = _media(kind, spec, library)
    return content


def parse_location(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A Location object from {"latitude", "longitude", "horizontal_accuracy"?}."""
    unknown = sorted(set(spec) - set(_LOCATION_FIELDS))
    if unknown:
        raise ControlError(f'unknown field "{unknown[0]}" in location')
    latitude = _number(spec.get("latitude"), "latitude", 90.0)
    longitude = _number(spec.get("longitude"), "longitude", 180.0)
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if spec.get("horizontal_accuracy") is not None:
        accuracy = _number(spec["horizontal_accuracy"], "horizontal_accuracy", 1500.0)
        location["horizontal_accuracy"] = abs(accuracy)
    return location


def parse_contact(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A Contact object from {"phone_number", "first_name", "last_name"?, "user_id"?}."""
    check_fields(spec, _CONTACT_FIELDS, "contact")
    for name in ("phone_number", "first_name"):
        if not isinstance(spec.get(name), str) or not spec[name].strip():
            raise ControlError(f'contact "{name}" must be a non-empty string')
    return {name: spec[name] for name in _CONTACT_FIELDS if spec.get(name) is not None}


def _caption(kind: str, text: Any, caption: Any) -> str:
    if text is not None and caption is not None:
        raise ControlError('give "caption" or "text" for a media message, not both')
    value = caption if caption is not None else text
    if value is None:
        return ""
    if kind not in CAPTIONED:
        raise ControlError(f"a {kind} message has no text or caption")
    if not isinstance(value, str):
        raise ControlError('"caption" must be a string')
    clean = value.strip()
    if len(clean) > MAX_CAPTION_LENGTH:
        raise ControlError("message caption is too long")
    return clean


def _media_group_id(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind not in ALBUM_KINDS:
        raise ControlError(f"a {kind} can't be part of an album")
    if not isinstance(value, str) or not value.strip():
        raise ControlError('"media_group_id" must be a non-empty string')
    return value


def _media(kind: str, spec: Mapping[str, Any], library: MediaLibrary) -> Media:
    check_fields(spec, _KIND_FIELDS[kind], kind)
    data = _decoded(spec.get("data_base64"), kind)
    if kind == "photo":
        return _photo(spec, data, library)
    if kind == "sticker":
        return library.file_media(kind, PLACEHOLDER_BYTES, FileDetails(emoji=spec.get("emoji")))
    size = _synthetic_size(spec, data)
    details = _details(kind, spec)
    if data is None and size is None:
        data = PLACEHOLDER_BYTES
    return library.file_media(kind, data, details, size=size)


def _photo(spec: Mapping[str, Any], data: bytes | None, library: MediaLibrary) -> Media:
    width = _dimension(spec.get("width"), "width")
    height = _dimension(spec.get("height"), "height")
    if (width is None) != (height is None):
        raise ControlError('give both "width" and "height" of the photo, or neither')
    if data is None:
        return library.generated_photo(*_fitted(width, height))
    try:
        return library.photo(data, width, height)
    except ValueError as error:
        raise ControlError(
            'the photo bytes are not an image: give "width" and "height" to use them anyway'
        ) from error


def _details(kind: str, spec: Mapping[str, Any]) -> FileDetails:
    default_width, default_height = DEFAULT_VIDEO_SIZE if kind == "video" else (None, None)
    duration = spec.get("duration")
    if duration is not None and duration < 0:
        raise ControlError(f'"duration" of {kind} must be >= 0')
    width = _dimension(spec.get("width"), "width")
    height = _dimension(spec.get("height"), "height")
    return FileDetails(
        file_name=spec.get("file_name"),
        mime_type=spec.get("mime_type"),
        duration=DEFAULT_DURATION if duration is None else duration,
        width=default_width if width is None else width,
        height=default_height if height is None else height,
        performer=spec.get("performer"),
        title=spec.get("title"),
    )


def _decoded(value: str | None, kind: str) -> bytes | None:
    if value is None:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ControlError(f'"data_base64" of the {kind} is not valid base64') from error
    if not data:
        raise ControlError(f"the {kind} is empty")
    return data


def _synthetic_size(spec: Mapping[str, Any], data: bytes | None) -> int | None:
    size = spec.get("file_size")
    if size is None:
        return None
    if data is not None:
        raise ControlError('give "data_base64" or "file_size", not both')
    if size < 1:
        raise ControlError('"file_size" must be >= 1')
    return int(size)


def _dimension(value: Any, name: str) -> int | None:
    if value is None:
        return None
    number = require_int(value, name)
    if not 1 <= number <= MAX_DIMENSION:
        raise ControlError(f'"{name}" must be 1-{MAX_DIMENSION}')
    return number


def _fitted(width: int | None, height: int | None) -> tuple[int, int]:
    """The size of a made-up photo: as asked, scaled down to Telegram's 2560 px at most."""
    if width is None or height is None:
        return DEFAULT_PHOTO_SIZE
    scale = min(1.0, MAX_PHOTO_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _number(value: Any, name: str, bound: float) -> float:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not math.isfinite(value) or not -bound <= value <= bound:
        raise ControlError(f'"{name}" must be a number in [-{bound:g}, {bound:g}]')
    return float(value)
