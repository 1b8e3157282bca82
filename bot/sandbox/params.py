"""Declared Bot API parameters and their coercion from what clients actually send.

Telegram accepts parameters as a query string, JSON, url-encoded or multipart form data.
In the form encodings every value is a string: aiogram sends ints as "42", booleans as
"true" and objects or arrays (reply_markup, allowed_updates, commands...) as JSON text.
Each method declares its parameters with a `Param`; `coerce_params` turns the raw
mapping into typed Python values or raises a `Bad Request` naming the culprit.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.sandbox.errors import BotApiError, bad_request

_INT_RE = re.compile(r"[+-]?\d+")
_TRUE_STRINGS = frozenset({"true", "1"})
_FALSE_STRINGS = frozenset({"false", "0"})


class Kind(Enum):
    """The wire type of a parameter."""

    INT = "an Integer"
    STR = "a String"
    BOOL = "a Boolean"
    CHAT_ID = "an Integer or a String"
    OBJECT = "a JSON object"
    ARRAY = "a JSON array"


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
    type. `None` values (JSON null) count as absent.
    """
    by_name = {spec.name: spec for spec in specs}
    for name in raw:
        if name not in by_name:
            raise bad_request(f'unknown parameter "{name}"')
    result: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if value is None:
            if spec.required:
                raise bad_request(f'parameter "{spec.name}" is required')
            continue
        coerced = coerce_value(spec, value)
        if spec.used:
            result[spec.name] = coerced
    return result


def coerce_value(spec: Param, value: Any) -> Any:
    """`value` converted to the kind declared by `spec`, or a 400 naming the parameter."""
    converter = _CONVERTERS[spec.kind]
    converted = converter(value)
    if converted is None:
        raise _wrong_type(spec, value)
    return converted


def _wrong_type(spec: Param, value: Any) -> BotApiError:
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
    Kind.OBJECT: _to_object,
    Kind.ARRAY: _to_array,
}
