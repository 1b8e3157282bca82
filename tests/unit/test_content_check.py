"""`binhyen content check`: no sentence in content/ is used nowhere, no name used is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.content_check import check

REPO = Path(__file__).resolve().parents[2]


def test_the_product_uses_every_sentence_of_its_catalogues_and_no_missing_one() -> None:
    assert [str(problem) for problem in check(REPO)] == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for top in ("bot", "handlers", "scheduler", "content"):
        (root / top).mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_an_unused_entry_and_a_missing_name_are_named_with_file_and_line(tmp_path: Path
                                                                          ) -> None:
    root = _tree(tmp_path, {
        "content/__init__.py": "",
        "content/greetings.py": 'HELLO = "Chào bạn"\nBYE = "Tạm biệt"\nFULL = HELLO + "!"\n',
        "content/other.py": 'THANKS = "Cảm ơn"\n',
        "handlers/start.py": "from content import greetings as words\n"
                             "from content.other import THANKS\n\n"
                             "def f() -> str:\n    return words.FULL + words.HELO + THANKS\n",
    })
    assert [str(p) for p in check(root)] == [
        "content/greetings.py:2: BYE is used nowhere in the product",
        "handlers/start.py:5: content.greetings.HELO does not exist",
    ]


def test_the_command_says_so_when_all_is_well(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "content", "check"], cwd=REPO,
                          capture_output=True, text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "Nội dung hợp lệ."
