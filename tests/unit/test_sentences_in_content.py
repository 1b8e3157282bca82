"""Every sentence a person reads lives in `content/`: handlers, services, channels, the flow
engine and the scheduler hold none (STYLE.md; `binhyen content check` then sees them all).

A sentence here is a string literal with a Vietnamese letter in it, docstrings aside. Command
aliases are words people type, not words they read, and stay with their command.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCANNED = ("handlers", "bot/services", "bot/channels", "scheduler", "bot/flows.py")
VIETNAMESE = re.compile(r"[À-ỹĐđ]")
# not sentences: the demo commune's place and persona names (data, like an area file), and
# the key checks' start-up errors, for the operator like those of bot/crypto.py and config.py
EXEMPT = {"bot/services/demo.py", "bot/services/keys.py"}
# still being moved on other branches of issue 15 (the tip-offs) and by the campaigns' work
PENDING: set[str] = set()


def _files() -> Iterator[Path]:
    for name in SCANNED:
        path = REPO / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _sentences(tree: ast.Module) -> Iterator[ast.Constant]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.keyword) and node.arg == "aliases":
            skipped.update(id(inner) for inner in ast.walk(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in skipped and VIETNAMESE.search(node.value):
            yield node


def test_no_sentence_outside_content() -> None:
    found = []
    for path in _files():
        where = str(path.relative_to(REPO))
        if where in EXEMPT | PENDING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), where)
        found += [f"{where}:{node.lineno}: {node.value[:50]!r}" for node in _sentences(tree)]
    assert found == [], "sentences to move to content/:\n" + "\n".join(found)


def test_the_scan_finds_a_sentence_and_spares_aliases_and_docstrings() -> None:
    tree = ast.parse('"""Mô-đun."""\nCommand("x", f, "Hướng dẫn", aliases=("bắt đầu",))\n')
    assert [node.value for node in _sentences(tree)] == ["Hướng dẫn"]


def test_every_exempt_or_pending_file_exists() -> None:
    """A file renamed or split must not keep its exemption under its old name."""
    assert [name for name in sorted(EXEMPT | PENDING) if not (REPO / name).exists()] == []
