"""Backups that restore: `binhyen backup FILE` and `binhyen restore FILE`.

A backup file is an uncompressed tar of two members. First `binhyen-backup.json`: what it
holds (SQLite or PostgreSQL), when it was made, the schema revision, the key fingerprint and
key ids from the `meta` table, the size and SHA-256 of the second member. Then the database:
- SQLite, `database.sqlite3`: made with SQLite's online backup API while the bot runs. The
  copy is one step under one read transaction, so it is a consistent snapshot, and in WAL mode
  the bot goes on writing meanwhile (a plain file copy would miss what is still in the WAL).
  The copy is switched to a rollback journal (one self-contained file) and checked.
- PostgreSQL, `database.pgdump`: `pg_dump --format=custom` of the deployment's schema, itself
  one consistent snapshot.

Restoring reads the header first and refuses at once — before it looks at the target — a
backup whose key fingerprint is not the configured key file's, or whose data used a key the
file lacks. Then it refuses a target that holds data (a row in one of our tables beyond the
bookkeeping ones, or a table not ours) unless forced, and checks the member's checksum. The
data goes in in one transaction: SQLite through the backup API into the target file;
PostgreSQL as one psql session that drops the target schema, replays the dump and renames the
backup's schema to the target's, with the COMMIT written only once pg_restore has finished
well. Then the database is migrated to head (an older backup is upgraded), the key is checked
as start-up checks it, and every lease is released: no process of the backed-up bot runs here,
so the next bot takes over at once (rows left in flight are sent again, as after a crash).

Never: put the key into a backup file; pass a password on a command line; touch the target
before the key matched; overwrite a file that is not a backup, or a key file of another
database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.crypto import KeyFileError, Keyring, load_keyring, write_keyring
from bot.db import Database, alembic_config
from bot.models import Base, Lease, OutboxMessage, OutboxStatus, Person, Tip
from bot.services import meta
from bot.services.errors import DomainError
from bot.services.keys import FINGERPRINT, KEY_IDS, open_keyring
from content import backup as words

FORMAT = "binhyen-backup"
VERSION = 1
HEADER = "binhyen-backup.json"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
OURS = frozenset(Base.metadata.tables) | {"alembic_version"}
# tables a migrated database, or a bot started once with nobody using it, fills by itself
BOOKKEEPING = frozenset({"alembic_version", "area_levels", "meta", "leases"})
RELEASED = datetime(2000, 1, 1, tzinfo=UTC)  # a lease that expired long ago: free to take
WAITING = (OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT, OutboxStatus.WAITING)
CHUNK = 1 << 20
HEADER_LIMIT = 1 << 16


class BackupError(DomainError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass(frozen=True)
class Header:
    """What a backup file holds, read before anything else is touched."""

    database: str  # "sqlite" or "postgresql"
    created_at: str  # ISO 8601, UTC
    revision: str | None  # the Alembic revision of the data
    key_fingerprint: str | None
    key_ids: list[str]
    size: int  # of the database member
    sha256: str
    schema: str | None = None  # PostgreSQL: the schema dumped
    server_version: str | None = None

    def dumps(self) -> bytes:
        body = {"format": FORMAT, "version": VERSION, **asdict(self)}
        return json.dumps(body, ensure_ascii=False, indent=2).encode()

    @classmethod
    def loads(cls, data: bytes, path: Path) -> Header:
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise ValueError
            if int(body["version"]) > VERSION:
                raise BackupError(words.NEWER_FORMAT.format(path=path, version=body["version"]))
            header = cls(**{name: body[name] for name in cls.__dataclass_fields__
                            if name in body})
        except (ValueError, TypeError, KeyError, AttributeError):
            raise BackupError(words.NOT_A_BACKUP.format(path=path)) from None
        if header.database not in MEMBERS:
            raise BackupError(words.NOT_A_BACKUP.format(path=path))
        return header

    @property
    def made_at(self) -> datetime:
        return datetime.fromisoformat(self.created_at)


@dataclass(frozen=True)
class Made:
    path: Path
    header: Header
    key_copy: Path | None


@dataclass(frozen=True)
class Restored:
    header: Header
    where: str
    tips: int
    persons: int
    queued: int


@dataclass
class _Facts:
    """What the header says about the data, read from the copy (SQLite) or the server."""

    revision: str | None = None
    key_fingerprint: str | None = None
    key_ids: list[str] = field(default_factory=list)
    schema: str | None = None
    server_version: str | None = None


def kind_of(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


@contextlib.contextmanager
def _said_plainly() -> Iterator[None]:
    """A folder that cannot be written, a disk full, SQLite's own refusal: one line for the
    operator, never a traceback."""
    try:
        yield
    except OSError as problem:
        where = problem.filename or "?"
        raise BackupError(words.UNREADABLE.format(
            path=where, reason=problem.strerror or problem)) from None
    except sqlite3.Error as problem:
        raise BackupError(words.TOOL_FAILED.format(tool="SQLite", reason=problem)) from None


# ---- backup ------------------------------------------------------------------------------

async def backup(settings: Settings, out: Path, *, now: datetime,
                 key_out: Path | None = None) -> Made:
    """Write a backup of the configured database to `out` (atomically, mode 0600) while the
    bot may run; with `key_out`, a copy of the key file there too — never inside `out`."""
    with _said_plainly():
        return await _backup(settings, out, now, key_out)


async def _backup(settings: Settings, out: Path, now: datetime, key_out: Path | None) -> Made:
    if key_out is not None and key_out.resolve() == out.resolve():
        raise BackupError(words.KEY_OUT_IS_BACKUP)
    keyring = None if key_out is None else _key_to_copy(settings.key_file, key_out)
    _may_replace(out)
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    kind = kind_of(settings)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".binhyen-backup-") as work:
        data = Path(work) / MEMBERS[kind]
        if kind == "sqlite":
            facts = await asyncio.to_thread(_copy_sqlite_out, settings, data)
        else:
            facts = await _dump_postgres(settings, data)
        digest, size = await asyncio.to_thread(_sha256, data)
        header = Header(kind, now.astimezone(UTC).isoformat(), facts.revision,
                        facts.key_fingerprint, facts.key_ids, size, digest, facts.schema,
                        facts.server_version)
        await asyncio.to_thread(_write_tar, out, Path(work) / "backup.tar", header, data)
    if key_out is None or keyring is None:
        return Made(out, header, None)
    if header.key_fingerprint is not None and keyring.fingerprint != header.key_fingerprint:
        raise BackupError(words.KEY_NOT_OF_DATABASE.format(path=settings.key_file))
    write_keyring(key_out, keyring)
    return Made(out, header, key_out)


def _key_to_copy(key_file: Path, key_out: Path) -> Keyring:
    """The key file to copy out, checked before the backup starts; `key_out` may replace only
    an earlier copy of the same key (never another deployment's key)."""
    try:
        keyring = load_keyring(key_file)
    except KeyFileError as problem:
        raise BackupError(str(problem)) from None
    if key_out.exists():
        try:
            taken = load_keyring(key_out).fingerprint != keyring.fingerprint
        except KeyFileError:
            taken = True
        if taken:
            raise BackupError(words.KEY_OUT_TAKEN.format(path=key_out))
    return keyring


def _may_replace(out: Path) -> None:
    """A name already taken may be reused only by a backup (a timer's fixed name); anything
    else there — the database itself, a key file — is never overwritten."""
    if not out.exists() and not out.is_symlink():
        return
    try:
        read_header(out)
    except BackupError:
        raise BackupError(words.WONT_OVERWRITE.format(path=out)) from None


def _copy_sqlite_out(settings: Settings, copy: Path) -> _Facts:
    source = _sqlite_path(settings.db_url)
    if not source.is_file():
        raise BackupError(words.NOTHING_TO_BACK_UP.format(where=source))
    src = sqlite3.connect(source, timeout=settings.sqlite_busy_timeout)
    try:
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)  # pages=-1: one step, one read transaction, one snapshot
        finally:
            dst.close()
    finally:
        src.close()
    conn = sqlite3.connect(copy)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # the copy is one file, not a WAL pair
        checked = conn.execute("PRAGMA quick_check").fetchone()[0]
        if checked != "ok":
            raise BackupError(words.COPY_DAMAGED.format(reason=checked))
        try:
            found = dict(conn.execute("SELECT key, value FROM meta WHERE key IN (?, ?)",
                                      (FINGERPRINT, KEY_IDS)).fetchall())
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            raise BackupError(words.NOT_OURS.format(where=source)) from None
    finally:
        conn.close()
    return _Facts(revision[0] if revision else None, found.get(FINGERPRINT),
                  json.loads(found.get(KEY_IDS) or "[]"))


async def _dump_postgres(settings: Settings, dump: Path) -> _Facts:
    pg_dump = _tool("pg_dump")
    db = Database(settings.db_url, schema=settings.database_schema)
    try:
        await db.probe()
        async with db.reading() as session:
            schema = settings.database_schema or await session.scalar(
                text("SELECT current_schema()"))
            version = await session.scalar(text("SHOW server_version"))
            try:
                facts = await _database_facts(session)
            except DBAPIError:
                facts = None
    finally:
        await db.dispose()
    if facts is None or schema is None:
        raise BackupError(words.NOT_OURS.format(where=_pg_where(settings.db_url, schema)))
    facts.schema, facts.server_version = schema, version
    await _run("pg_dump", [pg_dump, "--format=custom", f"--schema={_quoted(schema)}",
                           f"--file={dump}"], _libpq_env(settings.db_url))
    return facts


async def _database_facts(session: AsyncSession) -> _Facts:
    revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
    key_ids = json.loads(await meta.get(session, KEY_IDS) or "[]")
    return _Facts(revision, await meta.get(session, FINGERPRINT), key_ids)


def _write_tar(out: Path, partial: Path, header: Header, data: Path) -> None:
    """The header first (so a restore reads it without reading the rest), then the data;
    written beside `out`, synced, then renamed over it: never a half backup under its name."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            body = header.dumps()
            info = tarfile.TarInfo(HEADER)
            info.size, info.mode, info.mtime = len(body), 0o600, int(header.made_at.timestamp())
            tar.addfile(info, io.BytesIO(body))
            info = tarfile.TarInfo(MEMBERS[header.database])
            info.size, info.mode, info.mtime = header.size, 0o600, int(header.made_at.timestamp())
            with data.open("rb") as handle:
                tar.addfile(info, handle)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, out)
    _sync_dir(out.parent)


def _sync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem syncs a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# ---- restore -----------------------------------------------------------------------------

def read_header(path: Path) -> Header:
    """The header of a backup file (reads only the start of it)."""
    try:
        with tarfile.open(path, "r:") as tar:
            first = tar.next()
            if (first is None or first.name != HEADER or not first.isfile()
                    or first.size > HEADER_LIMIT):
                raise BackupError(words.NOT_A_BACKUP.format(path=path))
            handle = tar.extractfile(first)
            assert handle is not None
            header = Header.loads(handle.read(), path)
            second = tar.next()
            if second is None or second.name != MEMBERS[header.database]:
                raise BackupError(words.NOT_A_BACKUP.format(path=path))
    except tarfile.TarError:
        raise BackupError(words.NOT_A_BACKUP.format(path=path)) from None
    except OSError as problem:
        raise BackupError(words.UNREADABLE.format(
            path=path, reason=problem.strerror or problem)) from None
    return header


def check_key(header: Header, key_file: Path) -> Keyring:
    """The configured key file must be the backup's: same fingerprint, every key id the data
    used. Said at once, before the target is looked at."""
    if not key_file.exists():
        raise BackupError(words.KEY_MISSING.format(path=key_file))
    try:
        keyring = load_keyring(key_file)
    except KeyFileError as problem:
        raise BackupError(words.KEY_UNUSABLE.format(reason=problem)) from None
    if header.key_fingerprint is not None and keyring.fingerprint != header.key_fingerprint:
        raise BackupError(words.WRONG_KEY.format(path=key_file, have=keyring.fingerprint[:8],
                                                 want=header.key_fingerprint[:8]))
    missing = [key_id for key_id in header.key_ids if key_id not in keyring.key_ids]
    if missing:
        raise BackupError(words.KEYS_SHORT.format(path=key_file, count=len(missing)))
    return keyring


async def restore(settings: Settings, path: Path, *, force: bool = False) -> Restored:
    """Put a backup into the configured database (see the module's docstring for the order
    of the checks), migrate it to head and release its leases."""
    with _said_plainly():
        return await _restore(settings, path, force)


async def _restore(settings: Settings, path: Path, force: bool) -> Restored:
    header = read_header(path)
    kind = kind_of(settings)
    if header.database != kind:
        raise BackupError(words.KIND_MISMATCH.format(backup=words.KINDS[header.database],
                                                     target=words.KINDS[kind]))
    check_key(header, settings.key_file)
    _known_revision(header)
    if kind == "sqlite":
        where = await asyncio.to_thread(_restore_sqlite, settings, path, header, force)
    else:
        where = await _restore_postgres(settings, path, header, force)
    return await _after_restore(settings, header, where)


def _known_revision(header: Header) -> None:
    """A backup from a newer Bình Yên cannot be migrated by this one: said before anything."""
    if header.revision is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(header.revision)
    except CommandError:
        raise BackupError(words.NEWER_SCHEMA.format(revision=header.revision)) from None


def _restore_sqlite(settings: Settings, path: Path, header: Header, force: bool) -> str:
    target = _sqlite_path(settings.db_url)
    if target.exists():
        held = _sqlite_held(target)
        if held and not force:
            raise BackupError(words.HOLDS_DATA.format(where=target, tables=", ".join(held[:5])))
    made = not target.parent.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".binhyen-restore-") as work:
            copy = Path(work) / MEMBERS["sqlite"]
            _extract(path, header, copy)
            src = sqlite3.connect(copy)
            try:
                if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise BackupError(words.DAMAGED.format(path=path))
                dst = sqlite3.connect(target, timeout=settings.sqlite_busy_timeout)
                try:
                    src.backup(dst)  # one transaction on the target: all of it or nothing
                finally:
                    dst.close()
            finally:
                src.close()
    except BaseException:
        if made:  # a damaged backup leaves not even the folder behind
            with contextlib.suppress(OSError):
                target.parent.rmdir()
        raise
    return str(target)


def _sqlite_held(target: Path) -> list[str]:
    """The tables that make the target worth keeping (see `BOOKKEEPING`)."""
    try:
        conn = sqlite3.connect(target)
        try:
            tables = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return [name for name in tables if name not in OURS or (
                name not in BOOKKEEPING
                and conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_quoted(name)})").fetchone()[0])]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise BackupError(words.NOT_SQLITE.format(path=target)) from None


async def _restore_postgres(settings: Settings, path: Path, header: Header,
                            force: bool) -> str:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    source = header.schema or "public"
    db = Database(settings.db_url)
    try:
        await db.probe()
        async with db.reading() as session:
            target = settings.database_schema or await session.scalar(
                text("SELECT current_schema()")) or "public"
            schemas = set((await session.scalars(text("SELECT nspname FROM pg_namespace"))).all())
            held = await _pg_held(session, target) if target in schemas else []
    finally:
        await db.dispose()
    where = _pg_where(settings.db_url, target)
    if held and not force:
        raise BackupError(words.HOLDS_DATA.format(where=where, tables=", ".join(held[:5])))
    if source != target and source in schemas:
        raise BackupError(words.SCHEMA_TAKEN.format(schema=source, target=target))
    with tempfile.TemporaryDirectory(prefix="binhyen-restore-") as work:
        dump = Path(work) / MEMBERS["postgresql"]
        await asyncio.to_thread(_extract, path, header, dump)
        await _replay(pg_restore, psql, dump, source, target, _libpq_env(settings.db_url))
    return where


async def _pg_held(session: AsyncSession, schema: str) -> list[str]:
    tables = (await session.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
        {"s": schema})).all()
    held = []
    for name in tables:
        if name in BOOKKEEPING:
            continue
        if name not in OURS or await session.scalar(text(
                f"SELECT EXISTS (SELECT 1 FROM {_quoted(schema)}.{_quoted(name)})")):
            held.append(name)
    return held


async def _replay(pg_restore: str, psql: str, dump: Path, source: str, target: str,
                  env: dict[str, str]) -> None:
    """pg_restore's SQL into psql inside one transaction we open and close ourselves: the
    target schema dropped, the dump replayed, the backup's schema renamed to the target's.
    COMMIT is written only after pg_restore has ended well; any failure before leaves psql
    without it, and PostgreSQL rolls everything back."""
    prelude = f"BEGIN;\nDROP SCHEMA IF EXISTS {_quoted(target)} CASCADE;\n"
    rename = (f"ALTER SCHEMA {_quoted(source)} RENAME TO {_quoted(target)};\n"
              if source != target else "")
    dumper = await asyncio.create_subprocess_exec(
        pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump), env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    loader = await asyncio.create_subprocess_exec(
        psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-", env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    assert dumper.stdout and dumper.stderr and loader.stdin and loader.stderr

    async def relay() -> None:
        assert dumper.stdout and loader.stdin
        try:
            loader.stdin.write(prelude.encode())
            while chunk := await dumper.stdout.read(CHUNK):
                loader.stdin.write(chunk)
                await loader.stdin.drain()
            if await dumper.wait() == 0:
                loader.stdin.write(f"{rename}COMMIT;\n".encode())
                await loader.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):  # psql stopped at an error
            if dumper.returncode is None:
                dumper.kill()
        finally:
            loader.stdin.close()

    _, dump_errors, load_errors = await asyncio.gather(
        relay(), dumper.stderr.read(), loader.stderr.read())
    await asyncio.gather(dumper.wait(), loader.wait())
    if loader.returncode != 0:
        raise BackupError(words.TOOL_FAILED.format(tool="psql", reason=_reason(load_errors)))
    if dumper.returncode != 0:
        raise BackupError(words.TOOL_FAILED.format(tool="pg_restore",
                                                   reason=_reason(dump_errors)))


def _extract(path: Path, header: Header, dest: Path) -> None:
    """The database member into `dest` (mode 0600), its size and checksum checked."""
    digest, size = hashlib.sha256(), 0
    try:
        with tarfile.open(path, "r:") as tar:
            tar.next()
            member = tar.next()
            source = tar.extractfile(member) if member is not None else None
            if source is None:
                raise BackupError(words.DAMAGED.format(path=path))
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
    except (tarfile.TarError, EOFError):
        raise BackupError(words.DAMAGED.format(path=path)) from None
    if size != header.size or digest.hexdigest() != header.sha256:
        raise BackupError(words.DAMAGED.format(path=path))


async def _after_restore(settings: Settings, header: Header, where: str) -> Restored:
    db = Database(settings.db_url, schema=settings.database_schema,
                  busy_timeout_s=settings.sqlite_busy_timeout)
    try:
        await db.migrate()
        await open_keyring(db, settings.key_file)
        async with db.transaction() as session:
            await session.execute(update(Lease).values(expires_at=RELEASED))
            tips = await session.scalar(select(func.count()).select_from(Tip))
            persons = await session.scalar(select(func.count()).select_from(Person))
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.status.in_(WAITING)))
    finally:
        await db.dispose()
    return Restored(header, where, int(tips or 0), int(persons or 0), int(queued or 0))


# ---- PostgreSQL's and SQLite's details -------------------------------------------------------

def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(words.MEMORY_DATABASE)
    return Path(database)


def _pg_where(url: str, schema: str | None) -> str:
    parsed = make_url(url)
    where = f"PostgreSQL {parsed.host or 'localhost'}/{parsed.database}"
    return f"{where}, schema «{schema}»" if schema else where


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(words.TOOL_MISSING.format(tool=name))
    return found


def _libpq_env(url: str) -> dict[str, str]:
    """Where pg_dump, pg_restore and psql connect, as libpq's environment: the password is
    never on a command line, where other users of the machine could read it."""
    parsed = make_url(url)
    query: dict[str, Any] = {key: value if isinstance(value, str) else value[-1]
                             for key, value in parsed.query.items()}
    env = dict(os.environ)
    host = parsed.host or query.get("host")
    port = parsed.port or query.get("port")
    values = {"PGHOST": host, "PGPORT": port, "PGUSER": parsed.username,
              "PGPASSWORD": parsed.password, "PGDATABASE": parsed.database}
    env.update({name: str(value) for name, value in values.items() if value is not None})
    ssl = query.get("sslmode") or query.get("ssl")
    if ssl:
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl.lower(), ssl)
    env["PGOPTIONS"] = "-c client_min_messages=warning"
    env["PGAPPNAME"] = "binhyen-backup"
    return env


def _quoted(name: str) -> str:
    """An identifier as SQL (and pg_dump's --schema pattern) reads it literally."""
    return '"' + name.replace('"', '""') + '"'


async def _run(tool: str, command: list[str], env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupError(words.TOOL_FAILED.format(tool=tool, reason=_reason(errors)))


def _reason(errors: bytes) -> str:
    """The line of a tool's stderr that says what went wrong (its first error, else its last
    line)."""
    lines = [line.strip() for line in errors.decode(errors="replace").splitlines()
             if line.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else "?"
