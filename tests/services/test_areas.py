"""Area imports: CSV and YAML, all or nothing, row numbers in every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.models import Area
from bot.runtime import Runtime
from bot.services import areas
from bot.services.areas import ImportProblems

pytestmark = pytest.mark.pg

CSV_OK = """code,name,level,parent,aliases,police_phone,remote
79,Thành phố Hồ Chí Minh,province,,TP HCM;Sài Gòn,,
79-X1,Phường Sài Gòn,commune,79,Phường Bến Nghé|Bến Nghé,028 3829 0000,
79-X1-KP1,Khu phố 1,village,79-X1,,,
79-X1-KP1-T1,Tổ dân cư số 1,group,79-X1-KP1,Tổ 1,,
"""


async def _count(rt: Runtime) -> int:
    async with rt.db.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(Area)) or 0)


async def test_csv_import_with_aliases(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "areas.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    async with rt.transaction() as session:
        assert await areas.import_areas(session, areas.parse_area_file(path), rt.clock) == 4
    async with rt.db.reading() as session:
        found = await areas.find_areas(session, "ben nghe")
        assert [a.code for a in found] == ["79-X1"]
        assert found[0].police_phone == "028 3829 0000"
        assert [a.code for a in await areas.find_areas(session, "Phường Sài Gòn")] == ["79-X1"]
        group = await areas.by_code(session, "79-X1-KP1-T1")
        commune = await areas.enclosing(session, group, "commune")
        assert commune is not None and commune.code == "79-X1"


async def test_yaml_import_and_update(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "areas.yaml"
    path.write_text(
        "areas:\n"
        "  - {code: P1, name: Tỉnh Một, level: province}\n"
        "  - {code: X1, name: Xã Một, level: commune, parent: P1, aliases: [Xã Cũ], remote: yes}\n",
        encoding="utf-8",
    )
    async with rt.transaction() as session:
        await areas.import_areas(session, areas.parse_area_file(path), rt.clock)
    path.write_text(
        "- {code: X1, name: Xã Một Mới, level: commune, parent: P1}\n", encoding="utf-8"
    )
    async with rt.transaction() as session:
        await areas.import_areas(session, areas.parse_area_file(path), rt.clock)
    async with rt.db.reading() as session:
        area = await areas.by_code(session, "X1")
        assert area.name == "Xã Một Mới"
        assert [a.code for a in await areas.find_areas(session, "xa cu")] == ["X1"]


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("code,name,level,parent\n,Xã A,commune,\n", 2, "thiếu mã"),
        ("code,name,level,parent\nA,,commune,\n", 2, "thiếu tên"),
        ("code,name,level,parent\nA,Xã A,huyen_moi,\n", 2, "cấp 'huyen_moi'"),
        ("code,name,level,parent\nA,Xã A,commune,\nA,Xã B,commune,\n", 3, "hai lần"),
        ("code,name,level,parent\nA,Xã A,commune,NOPE\n", 2, "khu vực cha NOPE"),
        ("code,name,level,parent\nG,Tổ,group,\nC,Xã,commune,G\n", 3, "không thể nằm dưới"),
    ],
)
async def test_bad_rows_import_nothing(
    rt: Runtime, tmp_path: Path, body: str, line: int, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    # a good row first: it must not be imported either
    path.write_text(body.replace("\n", "\nOK,Xã Tốt,commune,\n", 1), encoding="utf-8")
    with pytest.raises(ImportProblems) as caught:
        async with rt.transaction() as session:
            await areas.import_areas(session, areas.parse_area_file(path), rt.clock)
    problems = caught.value.problems
    assert any(number == line + 1 and reason in text for number, text in problems), problems
    assert f"Dòng {line + 1}" in str(caught.value)
    assert await _count(rt) == 0


def test_unreadable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("areas: [unclosed", encoding="utf-8")
    with pytest.raises(areas.InvalidInput, match="YAML"):
        areas.parse_area_file(path)
