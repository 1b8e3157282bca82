"""`binhyen areas seed` and `binhyen report` as an operator runs them: a province seeded (twice,
villages under it: tests/services/test_coverage_report.py), the report of one of its communes
written as XLSX, and a period nobody can read refused in one line."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from tests.unit.test_cli import run


def test_seed_and_report(tmp_path: Path) -> None:
    seeded = run(tmp_path, "areas", "seed", "--province", "tuyen quang")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith("Tỉnh Tuyên Quang (08): 124 xã, phường, đặc khu; "
                                    "thêm mới 125 khu vực")
    made = run(tmp_path, "report", "--area", "02269", "--period", "2026H1")
    assert made.returncode == 0, made.stderr
    book = load_workbook(tmp_path / "bao-cao-do-phu-02269-2026H1.xlsx")
    assert book["Độ phủ"]["A6"].value == "Xã Thượng Lâm"
    wrong = run(tmp_path, "report", "--area", "02269", "--period", "năm ngoái")
    assert wrong.returncode == 1 and len(wrong.stderr.strip().splitlines()) == 1
