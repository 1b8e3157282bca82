"""Declared Bot API parameters and their coercion from what clients actually send.

Telegram accepts parameters as a query string, JSON, url-encoded or multipart form data.
In the form encodings every value is a string: aiogram sends ints as "42", booleans as
"true" and objects or arrays (reply_markup, allowed_updates, commands...) as JSON text.
Each method declares its parameters with a `Param`; `coerce_params` turns the raw
mapping into typed Python values or raises a `Bad Request` naming the culprit.

Files arrive as multipart parts (`Upload` values). A file parameter (`INPUT_FILE`) is
a part of its own name, an `attach://<part>` reference to another part (what aiogram
sends), or a string file_id; in an `INPUT_MEDIA` array (sendMediaGroup) each item's
"media" may be such a reference. Methods without file parameters refuse uploads.
"""

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.sandbox.errors import BotApiError, bad_request
from bot.sandbox.files import Upload

ATTACH_PREFIX = "attach://"
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_TRUE_STRINGS = frozenset({"true", "1"})
_FALSE_STRINGS = frozenset({"false", "0"})


class Kind(Enum):
    """The wire type of a parameter."""

    INT = "an Integer"
    STR = "a String"
    BOOL = "a Boolean"
    CHAT_ID = "an Integer or a String"
    FLOAT = "a Float number"
    OBJECT = "a JSON object"
    ARRAY = "a JSON array"
    INPUT_FILE = "an InputFile or a String"
    INPUT_MEDIA = "a JSON-serialized array of InputMedia"


FILE_KINDS = frozenset({Kind.INPUT_FILE, Kind.INPUT_MEDIA})


@dataclass(frozen=True)
class Param:
    """One declared parameter of a Bot API method.

    `used=False` marks a parameter Telegram accepts that the sandbox type-checks and then
    ignores (business connections, paid broadcasts, message effects...).
    """

    name: str
    kind: Kind
    required: bool = False
    used: bool = True


def coerce_params(specs: Sequence[Param], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of the used parameters present in `raw`.

    Raises 400 for an unknown parameter, a missing required one or a value of the wrong
    type. `None` values (JSON null) count as absent. File parameters come back as an
    `Upload` or a string file_id, `attach://` references resolved.
    """
    by_name = {spec.name: spec for spec in specs}
    params, parts = _split_parts(by_name, raw)
    for name in params:
        if name not in by_name:
            raise bad_request(f'unknown parameter "{name}"')
    result: dict[str, Any] = {}
    for spec in specs:
        value = params.get(spec.name)
        if value is None:
            if spec.required:
                raise bad_request(f'parameter "{spec.name}" is required')
            continue
        coerced = _attached(spec, coerce_value(spec, value), parts)
        if spec.used:
            result[spec.name] = coerced
    return result


def _split_parts(
    by_name: Mapping[str, Param], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Plain parameters, and the uploaded parts that are not parameters of their own."""
    takes_files = any(spec.kind in FILE_KINDS for spec in by_name.values())
    params: dict[str, Any] = {}
    parts: dict[str, Upload] = {}
    for name, value in raw.items():
        if not isinstance(value, Upload):
            params[name] = value
        elif not takes_files:
            raise bad_request(f'this method does not accept file uploads ("{name}")')
        elif name in by_name:
            params[name] = value
        else:
            parts[name] = value
    return params, parts


def _attached(spec: Param, value: Any, parts: Mapping[str, Upload]) -> Any:
    if spec.kind is Kind.INPUT_FILE:
        return _resolve_reference(value, parts)
    if spec.kind is Kind.INPUT_MEDIA:
        return [_attached_media_item(item, parts) for item in value]
    return value


def _attached_media_item(item: Any, parts: Mapping[str, Upload]) -> Any:
    if not isinstance(item, dict):
        raise bad_request("can't parse InputMedia JSON object")
    resolved = dict(item)
    for name in ("media", "thumbnail", "cover"):
        if isinstance(resolved.get(name), str):
            resolved[name] = _resolve_reference(resolved[name], parts)
    return resolved


def _resolve_reference(value: Any, parts: Mapping[str, Upload]) -> Any:
    if not isinstance(value, str) or not value.startswith(ATTACH_PREFIX):
        return value
    part = parts.get(value.removeprefix(ATTACH_PREFIX))
    if part is None:
        raise bad_request(f'file "{value}" was not uploaded with the request')
    return part


def coerce_value(spec: Param, value: Any) -> Any:
    """`value` converted to the kind declared by `spec`, or a 400 naming the parameter."""
    converter = _CONVERTERS[spec.kind]
    converted = converter(value)
    if converted is None:
        raise _wrong_type(spec, value)
    return converted


def _wrong_type(spec: Param, value: Any) -> BotApiError:
    if isinstance(value, Upload):
        return bad_request(f'parameter "{spec.name}" can\'t be a file upload')
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return bad_request(f'parameter "{spec.name}" must be {spec.kind.value}, got {shown!r}')


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _to_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE_STRINGS:
            return True
        if lowered in _FALSE_STRINGS:
            return False
    return None


def _to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()):
        number = float(value.strip())
    return number if number is not None and math.isfinite(number) else None


def _to_input_file(value: Any) -> Upload | str | None:
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _to_chat_id(value: Any) -> int | str | None:
    as_int = _to_int(value)
    if as_int is not None:
        return as_int
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _decode_json_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


def _to_object(value: Any) -> dict[str, Any] | None:
    decoded = _decode_json_text(value)
    return decoded if isinstance(decoded, dict) else None


def _to_array(value: Any) -> list[Any] | None:
    decoded = _decode_json_text(value)
    return decoded if isinstance(decoded, list) else None


_CONVERTERS = {
    Kind.INT: _to_int,
    Kind.STR: _to_str,
    Kind.BOOL: _to_bool,
    Kind.CHAT_ID: _to_chat_id,
    Kind.FLOAT: _to_float,
    Kind.OBJECT: _to_object,
    Kind.ARRAY: _to_array,
    Kind.INPUT_FILE: _to_input_file,
    Kind.INPUT_MEDIA: _to_array,
}
