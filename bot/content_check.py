"""`binhyen content check`: every sentence in `content/` is used, and every one used exists;
the campaign calendar is well formed and its messages fit every messenger.

Every user-facing sentence lives in a catalogue module under `content/` (one per feature), so a
reviewer reads them together. A catalogue entry nothing uses is a sentence nobody will ever
see, and usually a sign that a second copy lives somewhere else; a name used but missing fails
only when that line runs, in front of a resident. Both are found here by reading the source
(the `ast` of every module of the product, never by running it): a use is an attribute of an
imported catalogue (`words.RECEIPT`), a name imported from one (`from content.texts import
CANCELLED`), or a name one catalogue entry builds on inside its own module.

The calendar (`content/calendar.yaml`) is read with its pydantic schema
(`bot.services.campaigns.calendar`), then each message is checked as residents will read it:
Unicode NFC; only the placeholders the code fills (and those of its rule); no abbreviation
residents should not have to decode (ANTT, CQĐT, BLTTHS…); and, filled with long but real
values, short enough for Zalo (2,000 characters) with room for the footer the code adds.

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
CALENDAR = Path("content") / "calendar.yaml"


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
    """Every problem of the catalogues and the calendar under `root` (the repository)."""
    problems = check_catalogues(root)
    if (root / CALENDAR).exists():
        problems += check_calendar(root, root / CALENDAR)
    return sorted(problems)


def check_calendar(root: Path, path: Path) -> list[Problem]:
    """The calendar's schema, then every message as residents will read it."""
    from bot.services.campaigns import calendar

    shown = str(path.relative_to(root))
    try:
        found, tree = calendar.read(path)
    except calendar.CalendarError as error:
        return [Problem(shown, p.line, p.message) for p in error.problems]
    problems: list[Problem] = []
    for d, day in enumerate(found.days):
        allowed = calendar.placeholders(day.rule)
        for m, message in enumerate(day.messages):
            line = calendar.line_of(tree, "days", d, "messages", m, "text")
            where = f"{day.id}/{message.key}"
            for problem in _message_problems(message.text, allowed):
                problems.append(Problem(shown, line, f"{where}: {problem}"))
    return problems


def _message_problems(text: str, allowed: frozenset[str]) -> list[str]:
    """For whoever edits the calendar: in English, like every other line of this check."""
    from bot.services.campaigns.calendar import MAX_TEXT, text_problems

    words = {
        "nfc": "not in Unicode NFC (write it again with a Vietnamese keyboard)",
        "brace": "a brace that is not a placeholder ({detail}); write {{{{ or }}}}",
        "placeholder": "unknown placeholder(s) {detail}; allowed: " + ", ".join(sorted(allowed)),
        "abbreviation": "abbreviation «{detail}»: residents read it in full",
        "length": "{detail} characters once filled: at most " + str(MAX_TEXT)
                  + ", so it fits Zalo with its footer",
    }
    return [words[p.kind].format(detail=p.detail) for p in text_problems(text, allowed)]


def check_catalogues(root: Path) -> list[Problem]:
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
    return problems


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
