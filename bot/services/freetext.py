"""What a private message outside any conversation most likely means: an emergency number
typed alone, a greeting, thanks, a story (long enough to be the start of a report), or a
command typed a little wrong. Pure functions of the text; the words they look for are in
`content.start` (read, never shown). Whether a text sounds urgent is the report's rule,
`tips.intake.sounds_urgent`, used as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.text import fold, squash
from content import start as words

STORY_WORDS = 8  # a message this long outside a report is offered as the start of one
SHORT_WORDS = 5  # a greeting or thanks is short; a longer message says something else too
MIN_TYPO_LENGTH = 4  # shorter words are too close to too many commands to guess


def emergency_number(text: str) -> bool:
    """"113", "113." or "gọi 113": the person wants the emergency numbers."""
    folded = fold(text).removeprefix("goi ").strip()
    return folded in words.EMERGENCY_NUMBERS


def _starts_with(text: str, openings: Iterable[str]) -> bool:
    folded = fold(text)
    if not 0 < len(folded.split()) <= SHORT_WORDS:
        return False
    return any(folded == opening or folded.startswith(opening + " ") for opening in openings)


def greeting(text: str) -> bool:
    return _starts_with(text, words.GREETING_WORDS)


def thanks(text: str) -> bool:
    """Thanks, an "ok", or a message of emoji alone (👍)."""
    if text.strip() and not fold(text):
        return True
    return _starts_with(text, words.THANKS_WORDS)


def story(text: str) -> bool:
    return len(text.split()) >= STORY_WORDS


def typo_of(typed: str, keys: Iterable[str]) -> str | None:
    """The one key `typed` is a slip away from (squashed, so diacritics and spaces do not
    count): a letter wrong, missing, extra or two swapped; two such slips in a long key.
    None when none is close, or several are."""
    typed = squash(typed)
    if len(typed) < MIN_TYPO_LENGTH:
        return None
    close = {key for key in keys
             if key != typed and _distance(typed, key) <= (1 if len(key) <= 5 else 2)}
    return close.pop() if len(close) == 1 else None


def contained(text: str, keys: Iterable[str]) -> str | None:
    """A key written inside a short message ("làm sao để báo tin?"): the longest such key."""
    squashed = squash(text)
    found = [key for key in keys if len(key) >= 6 and key in squashed]
    return max(found, key=len) if found else None


def _distance(a: str, b: str) -> int:
    """Edits from `a` to `b` (a letter changed, added, removed, or two neighbours swapped)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
