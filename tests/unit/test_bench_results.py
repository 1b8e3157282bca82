"""bench/RESULTS.md is one table of the latest run of each benchmark: a new run replaces its
own rows and keeps the others'."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bench import results


def test_a_run_replaces_its_own_rows_and_keeps_the_others(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    results.record([results.Row("tips (sqlite)", "59.8 tips/s", "≥ 50 tips/s", True),
                    results.Row("tips (postgresql)", "55.0 tips/s", "≥ 50 tips/s", True)],
                   date(2026, 12, 1), path)
    results.record([results.Row("delivery", "engine 3,000 msg/s | fast", "≥ 500", True)],
                   date(2026, 12, 2), path)
    results.record([results.Row("tips (sqlite)", "48.0 tips/s", "≥ 50 tips/s", False)],
                   date(2026, 12, 3), path)
    rows = [line for line in path.read_text().splitlines()
            if line.startswith("| ") and not line.startswith(("| benchmark", "| ---"))]
    assert [row.split(" | ")[0].lstrip("| ") for row in rows] == [
        "delivery", "tips (postgresql)", "tips (sqlite)"]
    delivery, postgresql, sqlite = rows
    assert "2026-12-02" in delivery and "engine 3,000 msg/s / fast" in delivery  # no stray |
    assert "2026-12-01" in postgresql and "55.0 tips/s" in postgresql
    assert "2026-12-03" in sqlite and "48.0 tips/s" in sqlite and sqlite.endswith("| NO |")
    assert "cores" in sqlite  # the machine it ran on
