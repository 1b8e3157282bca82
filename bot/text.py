"""Vietnamese text helpers: folding for diacritic-free matching, safe trimming, and making
what a resident wrote safe to show an officer.

Residents on text-only channels type without diacritics ("bao tin" for "báo tin"); every
comparison of typed input with a label or a command goes through `fold`.

Whatever a resident writes is shown to officers through `clean` (and `inline` or `quote`), at
display time: the database keeps the words as they were received (the law asks for the tip in
full, art. 145), old rows are covered too, and the rule lives in one place.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")
# everything a messenger may show as a new line: CR LF, CR, VT, FF, the file/group/record
# separators, NEL and the Unicode line and paragraph separators
_LINE_BREAKS = re.compile("\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# control (Cc), format (Cf: bidi embeddings, overrides and isolates U+202A–U+202E and
# U+2066–U+2069, the marks U+200E/U+200F/U+061C, zero-width spaces and joiners, invisible tag
# characters) and lone surrogates (Cs)
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_KEPT_CONTROLS = frozenset("\n\t")
QUOTE_BAR = "│ "
# runs of spaces inside a quoted line would let a resident push words to where a phone starts
# a new visual line, outside the bar
_RUNS = re.compile(r"[^\S\n]{2,}")


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


def clean(text: str) -> str:
    """A resident's words as an officer may see them: every kind of line break made one
    "\\n", and nothing left that hides or reorders text (bidi overrides and isolates, marks,
    zero-width characters, other controls except tab); NFC. Without this a tip could show its
    words in another order than they were written, or start a line where none appears to be."""
    text = _LINE_BREAKS.sub("\n", text)
    kept = "".join(ch for ch in text
                   if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in _HIDDEN_CATEGORIES)
    return unicodedata.normalize("NFC", kept)


def inline(text: str) -> str:
    """A resident's short answer (an address, a time) cleaned and on one line, so no part of
    it can start a line of its own and pass for one of the card's fields."""
    return _SPACES.sub(" ", clean(text)).strip()


def quote(text: str) -> str:
    """A resident's longer words cleaned, every line behind `QUOTE_BAR`: none of its lines can
    pass for a line of the message around it (`bot.channels.base.split_text` keeps the bar
    on a line it has to cut)."""
    lines = clean(text).strip("\n").split("\n")
    return "\n".join((QUOTE_BAR + _RUNS.sub(" ", line)).rstrip() for line in lines)


def decimal(number: float, places: int = 1) -> str:
    """A decimal the Vietnamese way, with a comma: 0,5; 12,3."""
    return f"{number:.{places}f}".replace(".", ",")


def thousands(number: int) -> str:
    """A whole number the Vietnamese way, with dots between thousands: 4.000, 12.500."""
    return f"{number:,}".replace(",", ".")
