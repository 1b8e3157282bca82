"""The area tree: provinces, (old) districts, communes, villages, groups — levels are data.

Imports are all or nothing: every row is checked first, and the first problems are reported
with their row numbers; nothing is written unless the whole file is good. The problems are
worded in `content.areas`.
"""

from __future__ import annotations

import csv
import io
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.models import Area, AreaAlias, AreaLevel
from bot.services.errors import InvalidInput, NotFound
from bot.text import fold
from content import areas as words

ALIAS_SEPARATORS = (";", "|")


def in_sentence(name: str) -> str:
    """An area's name as Vietnamese writes it inside a sentence, its unit word in lower case:
    «Xã Bình Yên» → «xã Bình Yên» (as in «Công an xã Bình Yên», «Thôn Đông, xã Bình Yên»)."""
    for word in words.UNIT_WORDS:
        if name.startswith(word + " "):
            return word.lower() + name[len(word):]
    return name


def police_of(name: str) -> str:
    """The police of a commune or ward by its area's name: «Xã Bình Yên» → «Công an xã Bình
    Yên», «Phường Bến Thành» → «Công an phường Bến Thành»."""
    return words.POLICE_OF.format(place=in_sentence(name))


async def police_for(session: AsyncSession, area_id: int | None) -> str:
    """`police_of` the area with this id («Công an xã» when there is none)."""
    found = await info(session, area_id) if area_id is not None else None
    return police_of(found.name if found else words.UNKNOWN_UNIT)

TRUE_WORDS = {"1", "true", "yes", "co", "x"}


@dataclass
class AreaRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str | None
    aliases: list[str] = field(default_factory=list)
    police_phone: str | None = None
    is_remote: bool = False


SHOWN_PROBLEMS = 20  # an import's refusal names this many, then counts the rest


class ImportProblems(InvalidInput):
    """Rows that cannot be imported; `problems` holds (row number, reason)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = [words.IMPORT_REFUSED]
        lines += [words.IMPORT_LINE.format(line=line, reason=reason)
                  for line, reason in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(words.IMPORT_MORE.format(count=len(problems) - SHOWN_PROBLEMS))
        super().__init__("\n".join(lines))


def _split_aliases(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(item).strip() for item in raw if str(item).strip()]
    text = str(raw)
    for separator in ALIAS_SEPARATORS[1:]:
        text = text.replace(separator, ALIAS_SEPARATORS[0])
    return [part.strip() for part in text.split(ALIAS_SEPARATORS[0]) if part.strip()]


def _clean(value: object) -> str:
    return "" if value is None else str(value).strip()


def parse_area_file(path: Path) -> list[AreaRow]:
    """Read CSV (header: code,name,level,parent,aliases[,police_phone,remote]) or YAML (a list)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(words.UNREADABLE.format(path=path, error=exc)) from exc
    if path.suffix.lower() in {".yaml", ".yml"}:
        try:
            records = yaml.safe_load(text) or []
        except yaml.YAMLError as exc:
            raise InvalidInput(words.BAD_YAML.format(error=exc)) from exc
        if isinstance(records, dict):
            records = records.get("areas", [])
        if not isinstance(records, list):
            raise InvalidInput(words.YAML_NOT_A_LIST)
        numbered = list(enumerate(records, start=1))
    else:
        reader = csv.DictReader(io.StringIO(text))
        numbered = list(enumerate(reader, start=2))
    rows: list[AreaRow] = []
    problems: list[tuple[int, str]] = []
    for line, record in numbered:
        if not isinstance(record, dict):
            problems.append((line, words.NOT_AN_AREA))
            continue
        parent = _clean(record.get("parent") or record.get("parent_code")) or None
        rows.append(
            AreaRow(
                line=line,
                code=_clean(record.get("code")),
                name=_clean(record.get("name")),
                level=_clean(record.get("level")).lower(),
                parent_code=parent,
                aliases=_split_aliases(record.get("aliases")),
                police_phone=_clean(record.get("police_phone")) or None,
                is_remote=fold(_clean(record.get("remote"))) in TRUE_WORDS,
            )
        )
    if problems:
        raise ImportProblems(problems)
    return rows


OFFICIAL_WIDTHS = (5, 2)  # a commune's official code, a province's (`area_seed`)


def _official_width(code: str, *known: dict[str, str]) -> str:
    """A parent given as an official code that a spreadsheet stripped of its leading zeros
    («2269» for «02269»): the padded code when only that one exists."""
    if not code.isdigit() or any(code in found for found in known):
        return code
    for width in OFFICIAL_WIDTHS:
        padded = code.zfill(width)
        if any(padded in found for found in known):
            return padded
    return code


async def import_areas(session: AsyncSession, rows: list[AreaRow], clock: Clock) -> int:
    """Check every row, then insert or update them all; returns how many rows were applied."""
    levels = {lvl.code: lvl.rank for lvl in (await session.scalars(select(AreaLevel))).all()}
    existing = {a.code: a for a in (await session.scalars(select(Area))).all()}
    existing_levels = {code: area.level for code, area in existing.items()}
    file_levels: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    for row in rows:
        if not row.code:
            problems.append((row.line, words.NO_CODE))
        elif row.code in file_levels:
            problems.append((row.line, words.CODE_TWICE.format(code=row.code)))
        if not row.name:
            problems.append((row.line, words.NO_NAME))
        if row.level not in levels:
            known = ", ".join(sorted(levels, key=levels.__getitem__))
            problems.append((row.line, words.UNKNOWN_LEVEL.format(level=row.level, known=known)))
        if row.code:
            file_levels.setdefault(row.code, row.level)
    for row in rows:
        area = existing.get(row.code)
        if area is not None and row.level in levels and area.level != row.level:
            problems.append((row.line, words.LEVEL_CHANGE.format(
                code=row.code, name=area.name, level=area.level)))
        if row.parent_code is None:
            continue
        row.parent_code = _official_width(row.parent_code, file_levels, existing_levels)
        if row.parent_code == row.code:
            problems.append((row.line, words.OWN_PARENT))
            continue
        parent_level = file_levels.get(row.parent_code) or existing_levels.get(row.parent_code)
        if parent_level is None:
            problems.append((row.line, words.NO_PARENT.format(parent=row.parent_code)))
        elif row.level in levels and levels.get(parent_level, 0) >= levels[row.level]:
            problems.append((row.line, words.LEVEL_UNDER.format(level=row.level,
                                                                parent_level=parent_level)))
    if problems:
        raise ImportProblems(sorted(problems))

    now = clock.now()
    by_code = dict(existing)
    for row in rows:
        area = by_code.get(row.code)
        if area is None:
            area = Area(code=row.code, name=row.name, level=row.level, created_at=now)
            session.add(area)
            by_code[row.code] = area
        area.name, area.level = row.name, row.level
        area.police_phone = row.police_phone or area.police_phone
        area.is_remote = row.is_remote
    await session.flush()
    for row in rows:
        area = by_code[row.code]
        area.parent_id = by_code[row.parent_code].id if row.parent_code else None
        await add_aliases(session, area, row.aliases)
    await session.flush()
    forget_cached()
    return len(rows)


# ---- a small read cache: the area tree changes rarely and is read on every tip -------------

@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    is_remote: bool
    police_phone: str | None


CACHE_SECONDS = 60.0
_caches: weakref.WeakKeyDictionary[Any, dict[int, tuple[float, AreaInfo]]] = (
    weakref.WeakKeyDictionary())


def _cache(session: AsyncSession) -> dict[int, tuple[float, AreaInfo]]:
    """One cache per database (engine), so two databases in one process never mix."""
    return _caches.setdefault(session.get_bind(), {})


def forget_cached() -> None:
    for cache in _caches.values():
        cache.clear()


async def info(session: AsyncSession, area_id: int) -> AreaInfo | None:
    """An area's facts, from a per-process cache that lives a minute (imports clear it)."""
    cache = _cache(session)
    hit = cache.get(area_id)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    area = await session.get(Area, area_id)
    if area is None:
        return None
    facts = AreaInfo(area.id, area.code, area.name, area.level, area.parent_id, area.is_remote,
                     area.police_phone)
    cache[area_id] = (time.monotonic(), facts)
    return facts


async def chain(session: AsyncSession, area_id: int) -> list[AreaInfo]:
    """The area, its parent, … up to the root (from the cache)."""
    found: list[AreaInfo] = []
    current: int | None = area_id
    while current is not None and all(a.id != current for a in found):
        facts = await info(session, current)
        if facts is None:
            break
        found.append(facts)
        current = facts.parent_id
    return found


async def place_name(session: AsyncSession, area_id: int) -> str:
    """How a place is named to people: the area and those above it, without the province
    (everyone here knows it): "Thôn Đông, xã Bình Yên"."""
    names = [a.name for a in await chain(session, area_id) if a.level != "province"]
    return ", ".join(names[:1] + [in_sentence(name) for name in names[1:]])


async def enclosing_info(session: AsyncSession, area_id: int, level: str) -> AreaInfo | None:
    return next((a for a in await chain(session, area_id) if a.level == level), None)


async def add_aliases(session: AsyncSession, area: Area, aliases: list[str]) -> None:
    known = set(
        (await session.scalars(select(AreaAlias.folded).where(AreaAlias.area_id == area.id))).all()
    )
    for alias in aliases:
        folded = fold(alias)
        if folded and folded not in known and folded != fold(area.name):
            session.add(AreaAlias(area_id=area.id, alias=alias, folded=folded))
            known.add(folded)


async def by_code(session: AsyncSession, code: str) -> Area:
    area = await session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(words.NO_SUCH_CODE.format(code=code))
    return area


async def find_areas(
    session: AsyncSession, typed: str, *, level: str | None = None, within: int | None = None
) -> list[Area]:
    """Areas whose name or alias matches what a person typed, diacritics optional."""
    folded = fold(typed)
    if not folded:
        return []
    query = (
        select(Area)
        .outerjoin(AreaAlias, AreaAlias.area_id == Area.id)
        .where(or_(AreaAlias.folded == folded, Area.code == typed.strip()))
    )
    if level:
        query = query.where(Area.level == level)
    if within is not None:
        query = query.where(Area.parent_id == within)
    found = {a.id: a for a in (await session.scalars(query)).all()}
    candidates = select(Area)
    if level:
        candidates = candidates.where(Area.level == level)
    if within is not None:
        candidates = candidates.where(Area.parent_id == within)
    for area in (await session.scalars(candidates)).all():
        if fold(area.name) == folded or fold(area.name).endswith(" " + folded):
            found.setdefault(area.id, area)
    return sorted(found.values(), key=lambda a: a.name)


async def ancestors(session: AsyncSession, area: Area) -> list[Area]:
    """The area itself, then its parent, up to the root."""
    chain = [area]
    seen = {area.id}
    while chain[-1].parent_id is not None and chain[-1].parent_id not in seen:
        parent = await session.get(Area, chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
    return chain


async def enclosing(session: AsyncSession, area: Area, level: str) -> Area | None:
    for candidate in await ancestors(session, area):
        if candidate.level == level:
            return candidate
    return None


async def children(session: AsyncSession, area_id: int) -> list[Area]:
    return list(
        await session.scalars(select(Area).where(Area.parent_id == area_id).order_by(Area.name))
    )
