"""What stops start-up is one line on stderr that says what to do, and exit code 2 — never a
traceback: a key file that is not text, a key file others may read, a PostgreSQL server that
is not there or a database it does not have, a port already taken. Real `binhyen` processes."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_DEFAULT, PG_ENV

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`binhyen …`; `run` logs what it does at INFO, so it logs warnings only here."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BINHYEN_")}
    base.update(BINHYEN_DATA_DIR=str(tmp_path / "data"), BINHYEN_KEY_FILE=str(tmp_path / "keys"),
                BINHYEN_WEB_PORT="0", BINHYEN_SANDBOX_PORT="0", BINHYEN_LOG_LEVEL="WARNING")
    base.update(env)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, env=base,
                          capture_output=True, text=True, timeout=60, check=False)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The only line on stderr, which must be the refusal (exit code 2)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and lines[0].startswith("Không khởi động: ")
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_url() -> str:
    return os.environ.get(PG_ENV, PG_DEFAULT)


def postgres_reachable() -> bool:
    from bot.db import Database

    async def probe() -> bool:
        db = Database(postgres_url())
        try:
            async with db.writer.connect():
                return True
        except Exception:
            return False
        finally:
            await db.dispose()

    return asyncio.run(probe())


def test_a_key_file_that_is_not_text_is_one_line(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_bytes(bytes(range(256)))
    keys.chmod(0o600)
    line = one_line(run(tmp_path, "migrate"))
    assert str(keys) in line and "không phải tệp văn bản" in line


def test_a_key_file_others_can_read_is_refused_with_how_to_fix_it(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    keys = tmp_path / "keys"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    for mode, command in ((0o644, "migrate"), (0o640, "run")):
        keys.chmod(mode)
        line = one_line(run(tmp_path, command))
        assert line.endswith(f"Hãy chạy: chmod 600 {keys}"), line
    keys.chmod(0o600)
    assert run(tmp_path, "roles", "list").returncode == 0


@pytest.mark.parametrize("command", ["migrate", "run"])
def test_postgresql_on_a_wrong_port_is_one_line(tmp_path: Path, command: str) -> None:
    url = f"postgresql+asyncpg://postgres:mật-khẩu@127.0.0.1:{free_port()}/test"
    line = one_line(run(tmp_path, command, BINHYEN_DATABASE_URL=url))
    assert "BINHYEN_DATABASE_URL" in line and "từ chối kết nối" in line
    assert "mật-khẩu" not in line  # the password is never shown


@pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL server to ask")
def test_a_database_postgresql_does_not_have_is_one_line(tmp_path: Path) -> None:
    url = postgres_url().rsplit("/", 1)[0] + "/binhyen_khong_co"
    line = one_line(run(tmp_path, "migrate", BINHYEN_DATABASE_URL=url))
    assert "BINHYEN_DATABASE_URL" in line and "createdb binhyen_khong_co" in line


def test_a_port_already_taken_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(run(tmp_path, "run", BINHYEN_WEB_PORT=str(port)))
    assert f"127.0.0.1:{port}" in line and "BINHYEN_WEB_PORT" in line
