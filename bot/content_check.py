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
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PRODUCT = ("bot", "handlers", "scheduler", "content")
CATALOGUES = "content"
CALENDAR = Path("content") / "calendar.yaml"
# Zalo's limit, less the room the code's footer takes (how to acknowledge, the bot's link)
ZALO_LIMIT = 2000
FOOTER_ROOM = 300
# long but real values, so a message that fits with them fits with any commune's
FILLED = {
    "group": "Tổ dân cư tự quản số 15 khu phố Hòa Bình Đông",
    "commune": "phường Hòa Bình Đông",
    "police_contact": "Công an phường Hòa Bình Đông (☎️ 0258 3812 345)",
    "report_hint": "nhắn riêng cho Bình Yên chữ «báo tin» (có thể giấu tên)",
    "festival_date": "sáng Chủ nhật 17/8, từ 7 giờ 30",
    "festival_place": "nhà văn hóa khu phố Hòa Bình Đông",
    "tet_date": "17/02/2026",
}
EVERY_MESSAGE = frozenset({"group", "commune", "police_contact", "report_hint"})
BY_RULE = {"local": frozenset({"festival_date", "festival_place"}),
           "lunar_new_year": frozenset({"tet_date"})}
ABBREVIATIONS = ("ANTT", "ANTQ", "CQĐT", "CQDT", "BLTTHS", "BLHS", "PCCC", "CNCH", "ATGT",
                 "TNGT", "UBND", "MTTQ", "CAND", "CAX")
_ABBREVIATION = re.compile(r"(?<!\w)(" + "|".join(ABBREVIATIONS) + r")(?!\w)")


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
        allowed = EVERY_MESSAGE | BY_RULE.get(day.rule.kind, frozenset())
        for m, message in enumerate(day.messages):
            line = calendar.line_of(tree, "days", d, "messages", m, "text")
            where = f"{day.id}/{message.key}"
            for problem in _message_problems(message.text, allowed):
                problems.append(Problem(shown, line, f"{where}: {problem}"))
    return problems


def _message_problems(text: str, allowed: frozenset[str]) -> list[str]:
    problems = []
    if unicodedata.normalize("NFC", text) != text:
        problems.append("not in Unicode NFC (write it again with a Vietnamese keyboard)")
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        return [*problems, f"a brace that is not a placeholder ({exc}); write {{{{ or }}}}"]
    unknown = sorted(names - allowed)
    if unknown:
        problems.append(f"unknown placeholder(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(sorted(allowed))}")
        return problems
    for found in sorted(set(_ABBREVIATION.findall(text))):
        problems.append(f"abbreviation «{found}»: residents read it in full")
    filled = text.format(**FILLED)
    if len(filled) > ZALO_LIMIT - FOOTER_ROOM:
        problems.append(f"{len(filled)} characters once filled: at most "
                        f"{ZALO_LIMIT - FOOTER_ROOM}, so it fits Zalo with its footer")
    return problems


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
