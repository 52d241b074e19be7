"""The client tests' own database: tests/client/schema.prisma pushed to a fresh database per run.

The schema's SQL comes from the real Prisma CLI (`migrate diff --from-empty ... --script`) and is
executed with asyncpg; the database is dropped at the end of the run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from api.paths import PROJECT_ROOT
from devkit.databases import temporary_database

from .generated.client_db import Prisma

SCHEMA = Path(__file__).with_name("schema.prisma")
PRISMA_CLI = PROJECT_ROOT / "prisma" / "tools" / "prisma.sh"
TABLES = (
    '"_CategoryToPost"',
    '"settings"',
    '"Comment"',
    '"Profile"',
    '"posts"',
    '"Category"',
    '"Node"',
    '"users"',
)


def prisma_cli(*args: str, database_url: str) -> str:
    """Runs the project's Prisma CLI; returns its standard output."""
    result = subprocess.run(
        [str(PRISMA_CLI), *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


async def push_schema(dsn: str, *then: str) -> None:
    """Creates the test schema's tables in the empty database `dsn` (Prisma's own script), then
    runs the statements `then`."""
    script = prisma_cli(
        "migrate", "diff", "--from-empty", "--to-schema-datamodel", str(SCHEMA), "--script", database_url=dsn
    )
    connection = await asyncpg.connect(dsn)
    try:
        for statement in (script, *then):
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def client_dsn(server_dsn: str) -> AsyncIterator[str]:
    async with temporary_database(server_dsn, "client_test") as dsn:
        await push_schema(dsn)
        yield dsn


@pytest.fixture(scope="session")
async def connected_client(client_dsn: str) -> AsyncIterator[Prisma]:
    client = Prisma(datasource={"url": client_dsn}, pool_options={"min_size": 1, "max_size": 4})
    await client.connect()
    yield client
    await client.disconnect()


@pytest.fixture
async def client(connected_client: Prisma) -> Prisma:
    """The connected client on emptied tables."""
    await connected_client.execute_raw(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    return connected_client
