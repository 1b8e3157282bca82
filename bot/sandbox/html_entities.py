"""Telegram's HTML parse mode, as the sandbox applies it to message text.

`parse_html` turns HTML-formatted text into the plain text Telegram stores plus a list of
MessageEntity dicts (offsets and lengths in UTF-16 code units, like Telegram). It accepts
exactly Telegram's tag set and fails on what Telegram fails on: an unsupported tag, an
unescaped `<`, a mismatched or missing end tag. The error texts follow Telegram's (they
come after "Bad Request: can't parse entities: "). `finish_text` applies the trimming
Telegram does to every message text and moves the entities accordingly.
"""

import re
from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]

_TAG_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHAR_REF_RE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z]{2,8}));")
_SPACES = " \t\r\n\f"
_TG_USER_RE = re.compile(r"tg://user\?id=(\d+)")


class HtmlParseError(ValueError):
    """Text that Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    start: int
    attributes: dict[str, str]
    pre_language: str | None = None


@dataclass
class _HtmlParser:
    source: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    out_len: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    def parse(self) -> tuple[str, list[Entity]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "<":
                self._tag()
            elif char == "&":
                self._char_reference()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            name = self.stack[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        return "".join(self.out), self.entities

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += utf16_len(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def _char(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else ""

    def _char_reference(self) -> None:
        decoded, length = decode_char_reference(self.source, self.pos)
        self._emit(decoded)
        self.pos += length

    def _tag(self) -> None:
        if self._char(self.pos + 1) == "/":
            self._end_tag()
        else:
            self._start_tag()

    def _start_tag(self) -> None:
        begin = self.pos
        i = begin + 1
        while self._char(i) and self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        if not self._char(i):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        name = self.source[begin + 1 : i].lower()
        if name not in _TAG_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset(begin)}'
            )
        attributes, self.pos = self._attributes(name, begin, i)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name, self.out_len, attributes))

    def _attributes(self, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        """Attributes of a start tag whose name ends at `i`; returns them and the end."""
        attributes: dict[str, str] = {}
        while True:
            while self._char(i) and self._char(i) in _SPACES:
                i += 1
            if not self._char(i):
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {self._byte_offset(begin)}"
                )
            if self._char(i) == ">":
                return attributes, i + 1
            name_start = i
            while self._char(i) and self._char(i) not in _SPACES and self._char(i) not in "=>":
                i += 1
            name = self.source[name_start:i].lower()
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self._byte_offset(begin)}'
                )
            while self._char(i) and self._char(i) in _SPACES:
                i += 1
            if self._char(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    attributes[name] = ""
                    continue
                raise HtmlParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self._byte_offset(begin)}"
                )
            value, i = self._attribute_value(begin, i + 1)
            attributes[name] = value

    def _attribute_value(self, begin: int, i: int) -> tuple[str, int]:
        while self._char(i) and self._char(i) in _SPACES:
            i += 1
        quote = self._char(i)
        if not quote:
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        if quote not in "\"'":
            start = i
            while self._char(i) and (self._char(i).isalnum() or self._char(i) in ".-"):
                i += 1
            if self._char(i) not in _SPACES and self._char(i) != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self._byte_offset(start)}"
                )
            return self.source[start:i].lower(), i
        i += 1
        parts: list[str] = []
        while self._char(i) and self._char(i) != quote:
            if self._char(i) == "&":
                decoded, length = decode_char_reference(self.source, i)
                parts.append(decoded)
                i += length
            else:
                parts.append(self._char(i))
                i += 1
        if not self._char(i):
            raise HtmlParseError(f"Unclosed start tag at byte offset {self._byte_offset(begin)}")
        return "".join(parts), i + 1

    def _end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self._byte_offset(begin)}")
        i = begin + 2
        while self._char(i) and self._char(i) not in _SPACES and self._char(i) != ">":
            i += 1
        name = self.source[begin + 2 : i].lower()
        while self._char(i) and self._char(i) in _SPACES:
            i += 1
        if self._char(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self._byte_offset(begin)}")
        expected = self.stack[-1].name
        if name and name != expected:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{expected}>", found "</{name}>"'
            )
        self.pos = i + 1
        self._close(self.stack.pop())

    def _close(self, tag: _OpenTag) -> None:
        length = self.out_len - tag.start
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            language = tag.attributes.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].pre_language = language.removeprefix("language-")
            return
        entity = _entity_for(tag, length)
        if entity is not None and length > 0:
            self.entities.append(entity)


def _entity_for(tag: _OpenTag, length: int) -> Entity | None:
    """The MessageEntity a closed tag produces, or None when it produces none."""
    entity: Entity = {"type": _TAG_TYPES[tag.name], "offset": tag.start, "length": length}
    attributes = tag.attributes
    if tag.name == "a":
        return _link_entity(entity, attributes.get("href", ""))
    if tag.name == "pre" and tag.pre_language:
        entity["language"] = tag.pre_language
    elif tag.name == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        emoji_id = attributes.get("emoji-id", "")
        if not emoji_id:
            return None
        entity["custom_emoji_id"] = emoji_id
    elif tag.name == "tg-time":
        return _date_time_entity(entity, attributes)
    return entity


def _link_entity(entity: Entity, href: str) -> Entity | None:
    if not href:
        return None
    mention = _TG_USER_RE.fullmatch(href)
    if mention:
        entity["type"] = "text_mention"
        entity["user"] = {"id": int(mention.group(1)), "is_bot": False, "first_name": ""}
        return entity
    entity["url"] = href
    return entity


def _date_time_entity(entity: Entity, attributes: dict[str, str]) -> Entity | None:
    unix = attributes.get("unix", "")
    if not unix.isdigit():
        return None
    entity["unix_time"] = int(unix)
    if attributes.get("format"):
        entity["date_time_format"] = attributes["format"]
    return entity


def decode_char_reference(source: str, index: int) -> tuple[str, int]:
    """The character a `&...;` reference at `index` stands for, and how long it is.

    Only numeric references and &lt; &gt; &amp; &quot; are references for Telegram; any
    other `&` is an ordinary character.
    """
    match = _CHAR_REF_RE.match(source, index)
    if match is None:
        return "&", 1
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        decoded = _NAMED_REFERENCES.get(name.lower())
        return (decoded, match.end() - index) if decoded else ("&", 1)
    code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return "&", 1
    return chr(code_point), match.end() - index


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of Telegram-HTML `source`; raises `HtmlParseError`."""
    text, entities = _HtmlParser(source).parse()
    return text, sort_entities(entities)


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Entities in Telegram's order: by offset, enclosing ones first."""
    return sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def finish_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    new_length = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, new_length)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, sort_entities(kept)
