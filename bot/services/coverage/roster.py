"""Reading a group leader's roster file: bytes in, household rows out, or a refusal that says
what is wrong — with the file as a whole (not a spreadsheet, an encoding we cannot read, no
header, too big) or row by row (`RowProblems`: every wrong row, its number and why), so a
file is imported whole or not at all.

Vietnamese offices write CSV in UTF-8 (with or without a BOM), in Windows-1258 (whose tone
marks are combining characters: normalised to NFC here), in Excel's "Unicode text" (UTF-16,
tab-separated), with commas or semicolons; or keep an XLSX, often with a title above the
header row and an STT column. All of those are read; the header's words are matched folded
(`content.households.HEADER_*`), so «Mã hộ», «MA HO» and «mã hộ (*)» are one column.

Pure: no database, no messenger. Never logs a cell (names, addresses and phones are
personal data).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.services.errors import InvalidInput
from bot.text import fold, thousands
from content import households as words

MAX_ROWS = 2000  # households in one group's file (a group is a few dozen households)
MAX_BYTES = 5 * 1024 * 1024  # a roster of 2,000 households is a few hundred KB at most
MAX_UNZIPPED = 50 * 1024 * 1024  # what an XLSX may unpack to (a zip bomb stops here)
HEADER_SEARCH = 20  # rows looked at for the header (titles and blank lines above it)
MAX_COLUMNS = 40
CODE_LIMIT = 32  # `Household.code`
TEXT_LIMIT = 300  # a head's name, an address
MAX_MEMBERS = 99
PHONE_DIGITS = (8, 15)
SHOWN_PROBLEMS = 10
REQUIRED = ("code", "head", "address", "members")
OPTIONAL = ("phone",)
DELIMITERS = (",", ";", "\t")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or an XLSX with a password
NOT_TEXT_MAGIC = (b"%PDF", b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"\x1f\x8b", b"Rar!",
                  b"7z\xbc\xaf", b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x00")
ALLOWED_CONTROLS = frozenset("\t\n\r\x1a")  # \x1a: the end-of-file mark of old DOS tools


@dataclass(frozen=True)
class RosterRow:
    """One household as the file gives it; `line` is its row number in the file."""

    line: int
    code: str
    head: str
    address: str
    members: int
    phone: str | None


class RowProblems(InvalidInput):
    """Rows that cannot be imported: (row number, what is wrong with it), every one; the
    message shows the first `SHOWN_PROBLEMS`."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = [words.ROWS_REFUSED.format(count=thousands(len(problems)))]
        lines += [words.ROW_LINE.format(line=line, reason=reason)
                  for line, reason in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(words.ROWS_MORE.format(count=thousands(len(problems) - SHOWN_PROBLEMS)))
        super().__init__("\n".join(lines))


def parse(data: bytes) -> list[RosterRow]:
    """The households of a roster file (CSV or XLSX, told apart by their bytes, not by name).
    `InvalidInput` for a file that cannot be read, `RowProblems` for wrong rows."""
    if not data.strip():
        raise InvalidInput(words.FILE_EMPTY)
    if len(data) > MAX_BYTES:
        raise InvalidInput(words.FILE_TOO_BIG.format(size=_megabytes(len(data)),
                                                     limit=_megabytes(MAX_BYTES)))
    if data.startswith(ZIP_MAGIC):
        return _rows_from(_xlsx_rows(data), guessed=False)
    if data.startswith(OLE_MAGIC):
        raise InvalidInput(words.FILE_OLD_EXCEL)
    text, guessed = _decode(data)
    return _rows_from(_csv_rows(text), guessed=guessed)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").replace(",0", "")


# ---- CSV ---------------------------------------------------------------------------------------

def _decode(data: bytes) -> tuple[str, bool]:
    """The file's text, NFC, and whether its encoding was a guess (Windows-1258: any bytes
    decode, so a file in another legacy encoding comes out wrong rather than failing)."""
    guessed = False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInput(words.FILE_ENCODING) from exc
    elif data.startswith(NOT_TEXT_MAGIC) or b"\x00" in data:
        raise InvalidInput(words.FILE_NOT_A_SPREADSHEET)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text, guessed = data.decode("cp1258"), True
            except UnicodeDecodeError as exc:
                raise InvalidInput(words.FILE_ENCODING) from exc
    if any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROLS for ch in text):
        raise InvalidInput(words.FILE_NOT_A_SPREADSHEET)
    return unicodedata.normalize("NFC", text), guessed


def _csv_rows(text: str) -> Iterator[tuple[int, Sequence[Any]]]:
    lines = text.splitlines()[:HEADER_SEARCH]
    delimiter = max(DELIMITERS, key=lambda d: sum(line.count(d) for line in lines))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise InvalidInput(words.FILE_NOT_A_SPREADSHEET) from exc


# ---- XLSX --------------------------------------------------------------------------------------

def _xlsx_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    """The rows of the first sheet that has a header row (read-only, cached values of
    formulas), each with its row number in the sheet."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidInput(words.FILE_NOT_A_SPREADSHEET) from exc
    if "xl/workbook.xml" not in names:
        raise InvalidInput(words.FILE_OPEN_DOCUMENT if "content.xml" in names
                           else words.FILE_NOT_A_SPREADSHEET)
    if unpacked > MAX_UNZIPPED:
        raise InvalidInput(words.FILE_TOO_BIG.format(size=_megabytes(unpacked),
                                                     limit=_megabytes(MAX_UNZIPPED)))
    from openpyxl import load_workbook  # here: only an XLSX needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a damaged file fails in whatever part of openpyxl it breaks
        raise InvalidInput(words.FILE_BAD_XLSX) from exc
    try:
        sheets = list(book.worksheets)
        for index, sheet in enumerate(sheets):
            rows = _sheet_rows(sheet)
            if index == len(sheets) - 1 or _header_in(rows):
                yield from _sheet_rows(sheet)
                return
    except InvalidInput:
        raise
    except Exception as exc:  # as above, while reading the rows
        raise InvalidInput(words.FILE_BAD_XLSX) from exc
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, Sequence[Any]]]:
    yield from enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1)


def _header_in(rows: Iterator[tuple[int, Sequence[Any]]]) -> bool:
    for count, (_number, row) in enumerate(rows):
        if count >= HEADER_SEARCH:
            return False
        if _header(row) is not None:
            return True
    return False


# ---- rows --------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as dd/mm/yyyy, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    text = unicodedata.normalize("NFC", str(value))
    return " ".join(text.split())


def _column_of(header: str) -> str | None:
    folded = fold(header)
    if not folded:
        return None
    padded = f" {folded} "
    for column in words.HEADER_ORDER:
        if folded in words.HEADER_EXACT[column] or any(
                f" {phrase} " in padded for phrase in words.HEADER_PHRASES[column]):
            return column
    return None


def _header(row: Sequence[Any]) -> dict[str, int] | None:
    """The columns a header row names (column → index), when it names at least two of the
    required ones; None for a row that is no header. A column named twice is refused."""
    named = [(column, index) for index, value in enumerate(row)
             if (column := _column_of(_cell(value))) is not None]
    if len({column for column, _ in named} & set(REQUIRED)) < 2:
        return None
    found: dict[str, int] = {}
    for column, index in named:
        if column in found:
            raise InvalidInput(words.FILE_COLUMN_TWICE.format(
                column=words.COLUMN_NAMES[column], first=found[column] + 1, second=index + 1))
        found[column] = index
    return found


def _rows_from(rows: Iterable[tuple[int, Sequence[Any]]], *, guessed: bool) -> list[RosterRow]:
    columns: dict[str, int] | None = None
    seen_any = False
    result: list[RosterRow] = []
    problems: list[tuple[int, str]] = []
    first_of: dict[str, int] = {}
    households = 0
    for line, row in rows:
        if columns is None:
            seen_any = seen_any or any(_cell(value) for value in row)
            if line > HEADER_SEARCH:
                break
            columns = _header(row)
            if columns is not None:
                missing = [words.COLUMN_NAMES[c] for c in REQUIRED if c not in columns]
                if missing:
                    raise InvalidInput(_with_hint(words.FILE_COLUMNS_MISSING.format(
                        columns=words.COLUMNS_AND.join(missing)), guessed))
            continue
        cells = {column: _cell(row[index]) if index < len(row) else ""
                 for column, index in columns.items()}
        if not any(cells.values()):
            continue  # a blank row (Excel keeps a few at the end)
        households += 1
        if households > MAX_ROWS:
            raise InvalidInput(words.FILE_TOO_MANY_ROWS.format(limit=thousands(MAX_ROWS)))
        raw_members = row[columns["members"]] if columns["members"] < len(row) else None
        raw_phone = row[columns["phone"]] if "phone" in columns and columns["phone"] < len(
            row) else None
        parsed, why = _row(line, cells, raw_members, raw_phone, first_of)
        if parsed is not None:
            result.append(parsed)
        if why:
            problems.append((line, words.REASONS_AND.join(why)))
    if columns is None:
        if not seen_any:
            raise InvalidInput(words.FILE_EMPTY)
        raise InvalidInput(_with_hint(words.FILE_NO_HEADER, guessed))
    if problems:
        raise RowProblems(problems)
    if not result:
        raise InvalidInput(words.FILE_NO_ROWS)
    return result


def _with_hint(problem: str, guessed: bool) -> str:
    """A header not found in a file read as Windows-1258 may be the encoding's fault."""
    parts = [problem, words.COLUMNS_HELP.format(limit=thousands(MAX_ROWS))]
    if guessed:
        parts.append(words.FILE_ENCODING_HINT)
    return "\n\n".join(parts)


def _row(line: int, cells: dict[str, str], raw_members: Any, raw_phone: Any,
         first_of: dict[str, int]) -> tuple[RosterRow | None, list[str]]:
    """One household, or why not (every reason in the row)."""
    why: list[str] = []
    code = cells["code"].upper()
    if not code:
        why.append(words.ROW_NO_CODE)
    elif len(code) > CODE_LIMIT:
        why.append(words.ROW_CODE_TOO_LONG.format(limit=CODE_LIMIT))
    elif code in first_of:
        why.append(words.ROW_CODE_TWICE.format(code=code, first=first_of[code]))
    else:
        first_of[code] = line
    head, address = cells["head"], cells["address"]
    if not head:
        why.append(words.ROW_NO_HEAD)
    for column, value in (("head", head), ("address", address)):
        if len(value) > TEXT_LIMIT:
            why.append(words.ROW_TOO_LONG.format(column=words.COLUMN_NAMES[column],
                                                 limit=TEXT_LIMIT))
    members = _members(raw_members, cells["members"])
    if not cells["members"]:
        why.append(words.ROW_NO_MEMBERS)
    elif members is None:
        why.append(words.ROW_BAD_MEMBERS.format(value=cells["members"][:20], high=MAX_MEMBERS))
    phone = _phone(raw_phone, cells.get("phone", ""))
    if phone is False:
        why.append(words.ROW_BAD_PHONE.format(value=cells["phone"][:20]))
    if why or members is None or phone is False:
        return None, why
    return RosterRow(line, code, head, address, members, phone or None), []


def _members(raw: Any, text: str) -> int | None:
    """A whole number of people, 1 to `MAX_MEMBERS`: 4, 4.0 (how Excel keeps it), «4», «04»."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
        number = int(value) if value.is_integer() else None
    else:
        number = int(text) if text.isascii() and text.isdigit() else None
    return number if number is not None and 1 <= number <= MAX_MEMBERS else None


def _phone(raw: Any, text: str) -> str | bool:
    """A phone number as written (spaces, dots, dashes, +84 allowed), "" when there is none,
    False when it is not one. A number cell of nine digits lost its leading 0 in Excel."""
    if not text:
        return ""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and len(text) == 9:
        text = "0" + text
    digits = [ch for ch in text if ch.isdigit()]
    allowed = all(ch.isdigit() or ch in " .-+()" for ch in text)
    low, high = PHONE_DIGITS
    return text if allowed and low <= len(digits) <= high else False
