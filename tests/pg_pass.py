"""The PostgreSQL pass of `make test`: the service tests and a small end-to-end subset (tests
marked `pg`) against PostgreSQL, each run in its own schema. Skipped, with one line saying so,
when no server is reachable (BINHYEN_TEST_DATABASE_URL, or 127.0.0.1:5432 database `test`)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.conftest import PG_DEFAULT, PG_ENV


async def _reachable(url: str) -> str | None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), timeout=5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


def main() -> int:
    url = os.environ.get(PG_ENV, PG_DEFAULT)
    problem = asyncio.run(_reachable(url))
    if problem is not None:
        print(f"PostgreSQL pass skipped: no server reachable at {url.split('@')[-1]} ({problem})")
        return 0
    print(f"PostgreSQL pass: {url.split('@')[-1]}")
    workers = os.environ.get("TEST_WORKERS", "4")  # the Makefile's TEST_WORKERS
    return int(pytest.main(["-q", "-n", workers, "-p", "no:cacheprovider", "--db", "postgres",
                            "-m", "pg"]))


if __name__ == "__main__":
    sys.exit(main())
