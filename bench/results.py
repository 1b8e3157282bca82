"""`bench/RESULTS.md`: the latest run of each benchmark, one table, with the machine and date.

Written by the benchmarks themselves when run with `--record` (e.g. `make bench-tips
BENCH_ARGS=--record`), never by hand: each run replaces its own rows and leaves the others.
A run with `--quick` or `--only` is not the benchmark and is refused (a partial run would sit
in the table as if it were the whole one). The history of earlier runs lives in git, not here.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = """# Benchmark results

The latest complete run of each benchmark, written by the benchmark itself
(`make bench-<name> BENCH_ARGS=--record`; see `bench/results.py`). Do not edit by hand.
Figures depend on the machine: compare runs on the same one.

| benchmark | date | machine | figures | targets | met |
| --- | --- | --- | --- | --- | --- |
"""
_ROW = re.compile(r"^\| (?P<name>[^|]+?) \|")


@dataclass(frozen=True)
class Row:
    """One row: `name` is the benchmark (and variant, e.g. "tips (sqlite)")."""

    name: str
    figures: str
    targets: str
    met: bool


def machine() -> str:
    """Cores, CPU model and Python, as read off the machine running the benchmark."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def record(results: list[Row], today: date | None = None, path: Path = RESULTS) -> None:
    """Replace these benchmarks' rows (adding them if new), keep the others, sorted by name."""
    rows: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            found = _ROW.match(line)
            if found and not line.startswith(("| benchmark |", "| --- |")):
                rows[found.group("name")] = line
    when = (today or date.today()).isoformat()
    where = machine()
    for result in results:
        rows[result.name] = (f"| {_cell(result.name)} | {when} | {_cell(where)} | "
                             f"{_cell(result.figures)} | {_cell(result.targets)} | "
                             f"{'yes' if result.met else 'NO'} |")
    path.write_text(HEADER + "\n".join(rows[name] for name in sorted(rows)) + "\n",
                    encoding="utf-8")
    print(f"Recorded in {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}.")
