"""The official list of provinces and communes (`binhyen areas seed --province …`), from the
maintained package FACTS.md names: `vietnam-provinces` (2025.10.1), the list after the July
2025 reorganisation — 34 provinces and cities, 3,321 communes, wards and special zones, two
levels, no districts.

Codes: an area's code is its official statistical code, zero-padded to the width the list
uses (provinces two digits, «08»; communes five, «02269»), because that is the code written
on official reports and the one a commune's own file gives as the parent of its villages
(`binhyen areas import`); the widths differ, so a province and a commune never share one.
Names: a commune keeps its official name («Phường Hoàn Kiếm»); a province gets its unit word
(«Tỉnh Tuyên Quang»; a city is already «Thành phố Hà Nội»), like the rest of the tree, with
its bare name as an alias. The package carries no former names, so none are added here; a
commune's old names come with its own file (`aliases`).

Idempotent: seeding again adds nothing and renames what the list renamed; a local setting
(police phone, remote) is kept. A code the tree already uses for an area of another level is
refused whole: nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.models import Area
from bot.services import areas
from bot.services.errors import InvalidInput, NotFound
from bot.text import fold
from content import areas as words

PROVINCE, COMMUNE = "province", "commune"
PROVINCE_WIDTH, COMMUNE_WIDTH = 2, 5


@dataclass(frozen=True)
class Official:
    code: str
    name: str
    level: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfficialProvince:
    province: Official
    communes: tuple[Official, ...]


@cache
def official_list() -> tuple[OfficialProvince, ...]:
    """Every province with its communes, as the package gives them (read once)."""
    from vietnam_provinces import Province, VietNamDivisionType, Ward

    found = []
    for province in Province.iter_all():
        city = province.division_type is VietNamDivisionType.THANH_PHO_TRUNG_UONG
        name = province.name if city else f"{words.PROVINCE_WORD} {province.name}"
        bare = province.name.removeprefix(words.CITY_WORD + " ")
        communes = tuple(
            Official(f"{int(ward.code):0{COMMUNE_WIDTH}d}", ward.name, COMMUNE)
            for ward in sorted(Ward.iter_by_province(province.code), key=lambda w: int(w.code)))
        found.append(OfficialProvince(
            Official(f"{int(province.code):0{PROVINCE_WIDTH}d}", name, PROVINCE,
                     (bare,) if bare != name else ()), communes))
    return tuple(found)


def find_province(typed: str) -> OfficialProvince:
    """A province by its code («08», «8») or its name with or without diacritics, case or
    unit word («Tuyên Quang», «tuyen quang», «Tỉnh Tuyên Quang», «TP Hồ Chí Minh»)."""
    wanted = fold(typed)
    for entry in official_list():
        province = entry.province
        if wanted.isdigit() and int(wanted) == int(province.code):
            return entry
        names = {fold(province.name), *(fold(alias) for alias in province.aliases)}
        if wanted in names or wanted.removeprefix("tp ") in names:
            return entry
    raise NotFound(words.NO_SUCH_PROVINCE.format(typed=typed))


@dataclass(frozen=True)
class Seeded:
    province: Official
    communes: int
    added: int
    renamed: int


async def seed(session: AsyncSession, clock: Clock, entry: OfficialProvince) -> Seeded:
    """Insert or update the province and its communes (see the module's docstring)."""
    wanted = [entry.province, *entry.communes]
    existing = {area.code: area for area in (await session.scalars(
        select(Area).where(Area.code.in_([item.code for item in wanted])))).all()}
    clashes = [words.SEED_CLASH.format(code=item.code, name=existing[item.code].name,
                                       level=existing[item.code].level)
               for item in wanted
               if item.code in existing and existing[item.code].level != item.level]
    if clashes:
        raise InvalidInput("\n".join([words.SEED_REFUSED, *clashes]))
    now = clock.now()
    added = renamed = 0
    parent_id: int | None = None
    for item in wanted:
        area = existing.get(item.code)
        if area is None:
            area = Area(code=item.code, name=item.name, level=item.level, created_at=now,
                        parent_id=parent_id)
            session.add(area)
            added += 1
        elif area.name != item.name:
            area.name = item.name
            renamed += 1
        if item.level == COMMUNE:
            area.parent_id = parent_id
        await session.flush()
        if item.level == PROVINCE:
            parent_id = area.id
        if item.aliases:
            await areas.add_aliases(session, area, list(item.aliases))
    areas.forget_cached()
    return Seeded(entry.province, len(entry.communes), added, renamed)
