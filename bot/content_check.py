"""`binhyen content check`: every sentence in `content/` is used, and every one used exists.

Every user-facing sentence lives in a catalogue module under `content/` (one per feature), so a
reviewer reads them together. A catalogue entry nothing uses is a sentence nobody will ever
see, and usually a sign that a second copy lives somewhere else; a name used but missing fails
only when that line runs, in front of a resident. Both are found here by reading the source
(the `ast` of every module of the product, never by running it): a use is an attribute of an
imported catalogue (`words.RECEIPT`), a name imported from one (`from content.texts import
CANCELLED`), or a name one catalogue entry builds on inside its own module.

Problems are reported as `file:line: what`, one per line, in file order. Never imports the
modules it checks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PRODUCT = ("bot", "handlers", "scheduler", "content")
CATALOGUES = "content"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Catalogue:
    """One module of `content/`: its entries (module-level constants) and where they stand."""

    module: str
    path: str
    entries: dict[str, int] = field(default_factory=dict)  # name → line
    used: set[str] = field(default_factory=set)


def _sources(root: Path) -> Iterator[Path]:
    for top in PRODUCT:
        yield from sorted((root / top).rglob("*.py"))


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _entries(tree: ast.Module) -> dict[str, int]:
    """Module-level constants: names in capitals assigned at the top of the module."""
    found: dict[str, int] = {}
    for node in tree.body:
        targets: Iterable[ast.expr] = ()
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = (node.target,)
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                found.setdefault(target.id, node.lineno)
    return found


def check(root: Path) -> list[Problem]:
    """Every problem of the catalogues under `root` (the repository)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path))
             for path in _sources(root)}
    catalogues: dict[str, Catalogue] = {}
    for path, tree in trees.items():
        module = _module_name(root, path)
        if module.startswith(CATALOGUES + ".") and path.name != "__init__.py":
            catalogues[module] = Catalogue(module, str(path.relative_to(root)), _entries(tree))
    problems: list[Problem] = []
    for path, tree in trees.items():
        problems += _uses(root, path, tree, catalogues)
    for catalogue in catalogues.values():
        for name, line in catalogue.entries.items():
            if name not in catalogue.used:
                problems.append(Problem(catalogue.path, line,
                                        f"{name} is used nowhere in the product"))
    return sorted(problems)


def _uses(root: Path, path: Path, tree: ast.Module, catalogues: dict[str, Catalogue]
          ) -> list[Problem]:
    """Record what this module uses of the catalogues; the problems of names it uses that do
    not exist."""
    where = str(path.relative_to(root))
    own = catalogues.get(_module_name(root, path))
    aliases: dict[str, Catalogue] = {}  # local name → catalogue
    problems: list[Problem] = []

    def use(catalogue: Catalogue, name: str, line: int) -> None:
        if name in catalogue.entries:
            catalogue.used.add(name)
        else:
            problems.append(Problem(where, line,
                                    f"{catalogue.module}.{name} does not exist"))

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                if whole in catalogues:  # from content import tips as words
                    aliases[alias.asname or alias.name] = catalogues[whole]
                elif node.module in catalogues:  # from content.texts import CANCELLED
                    use(catalogues[node.module], alias.name, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in catalogues and alias.asname:
                    aliases[alias.asname] = catalogues[alias.name]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            catalogue = aliases.get(node.value.id)
            if catalogue is not None:
                use(catalogue, node.attr, node.lineno)
        elif own is not None and isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                and node.id in own.entries:
            own.used.add(node.id)  # one entry built on another, inside its catalogue
    return problems
