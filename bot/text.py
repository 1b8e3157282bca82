"""Vietnamese text helpers: folding for diacritic-free matching, and safe trimming.

Residents on text-only channels type without diacritics ("bao tin" for "báo tin"); every
comparison of typed input with a label or a command goes through `fold`.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), drop punctuation and emoji, collapse spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = _NOT_WORD.sub(" ", bare.lower())
    return _SPACES.sub(" ", bare).strip()


def squash(text: str) -> str:
    """`fold` without spaces: "báo tin", "bao tin" and "baotin" all become "baotin"."""
    return fold(text).replace(" ", "")


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def thousands(number: int) -> str:
    """A whole number the Vietnamese way, with dots between thousands: 4.000, 12.500."""
    return f"{number:,}".replace(",", ".")
