"""Fixtures of the database-layer tests: fresh databases, the parsed schema and the Prisma CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.paths import PROJECT_ROOT, SCHEMA_PATH
from devkit.databases import temporary_database
from tests.db.prisma_schema import PrismaSchema, load_schema

PRISMA_BIN = PROJECT_ROOT / "node_modules" / ".bin" / "prisma"


@pytest.fixture
async def fresh_dsn(server_dsn: str) -> AsyncIterator[str]:
    """An empty database of its own for one test, dropped afterwards."""
    async with temporary_database(server_dsn, "db_test") as dsn:
        yield dsn


@pytest.fixture(scope="session")
def schema() -> PrismaSchema:
    return load_schema(SCHEMA_PATH)


@pytest.fixture
def prisma_cli() -> Path:
    """The project's Prisma CLI; skips where `npm install` has not been run (CI always installs it)."""
    if not PRISMA_BIN.exists():
        pytest.skip("node_modules/.bin/prisma is absent: run `npm install` to test against the Prisma CLI")
    return PRISMA_BIN
