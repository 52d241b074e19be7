"""Attaching the service to a database that already holds streamOS's tables (`migrate --baseline`),
and the guard rails around it: each mix-up refused in one sentence, with nothing changed."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from api.db.migrate import BASELINE, MigrationError, apply_migrations, read_migrations
from devkit.databases import temporary_database
from devkit.schema_check import run_prisma
from tests.db.test_migrations import catalog, python_migrate
from tests.support.streamos_db import EXTRA_COLUMN, EXTRA_TABLE, build_streamos_database, snapshot

SERVICE_MIGRATIONS = [m.name for m in read_migrations() if m.name != BASELINE]


async def table_names(dsn: str) -> set[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


def test_baseline_comes_first_and_creates_73_streamos_tables() -> None:
    migrations = read_migrations()

    assert migrations[0].name == BASELINE
    assert len(migrations[0].tables) == 73
    assert "invoice_request" not in migrations[0].tables
    assert all("invoice_request" not in m.tables or m.name != BASELINE for m in migrations)


async def test_baseline_attaches_to_a_streamos_database_and_keeps_every_row(fresh_dsn: str) -> None:
    tables = await build_streamos_database(fresh_dsn)
    before = await snapshot(fresh_dsn, [*tables, EXTRA_TABLE])

    result = python_migrate(fresh_dsn, "--baseline")

    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[0]
        == f"recorded {BASELINE} as applied (streamOS's tables are already there)"
    )
    assert result.stdout.splitlines()[1:] == [f"applied {name}" for name in SERVICE_MIGRATIONS]
    assert await snapshot(fresh_dsn, [*tables, EXTRA_TABLE]) == before
    assert "invoice_request" in await table_names(fresh_dsn)
    connection = await asyncpg.connect(fresh_dsn)
    try:
        recorded = await connection.fetch(
            'SELECT migration_name, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name'
        )
        extra_columns = await connection.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE column_name = $1", EXTRA_COLUMN
        )
    finally:
        await connection.close()
    assert [(r["migration_name"], r["applied_steps_count"]) for r in recorded] == [
        (BASELINE, 0),
        *[(name, 1) for name in SERVICE_MIGRATIONS],
    ]
    assert extra_columns == len(tables)  # nothing of streamOS's was dropped or altered

    again = python_migrate(fresh_dsn, "--baseline")
    assert again.returncode == 0 and again.stdout.strip() == "No pending migrations."


async def test_plain_migrate_on_a_streamos_database_names_baseline_and_changes_nothing(
    fresh_dsn: str,
) -> None:
    tables = await build_streamos_database(fresh_dsn)
    before = await catalog_without_bookkeeping(fresh_dsn)

    result = python_migrate(fresh_dsn)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "python -m api.db migrate --baseline" in result.stderr
    assert await catalog_without_bookkeeping(fresh_dsn) == before
    assert "_prisma_migrations" not in await table_names(fresh_dsn)
    assert set(tables) <= await table_names(fresh_dsn)


async def test_baseline_on_an_empty_database_is_refused_and_changes_nothing(fresh_dsn: str) -> None:
    result = python_migrate(fresh_dsn, "--baseline")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "--baseline is for a database that already holds streamOS's tables" in result.stderr
    assert "uac_invoice" in result.stderr
    assert await table_names(fresh_dsn) == set()


async def test_database_set_up_by_db_push_is_refused(fresh_dsn: str, prisma_cli: Path) -> None:
    pushed = run_prisma(["db", "push", "--skip-generate"], fresh_dsn)
    assert pushed.returncode == 0, pushed.stderr
    before = await catalog_without_bookkeeping(fresh_dsn)

    for args in ((), ("--baseline",)):
        result = python_migrate(fresh_dsn, *args)
        assert result.returncode == 1
        assert "set up by `prisma db push`, which is for scratch databases only" in result.stderr
    assert await catalog_without_bookkeeping(fresh_dsn) == before


async def test_database_of_the_earlier_migration_layout_is_refused(fresh_dsn: str, tmp_path: Path) -> None:
    legacy = tmp_path / "20261126000000_init"
    legacy.mkdir()
    (legacy / "migration.sql").write_text("CREATE TABLE legacy_table (id integer);", encoding="utf-8")
    await apply_migrations(fresh_dsn, tmp_path)

    with pytest.raises(MigrationError, match=r"earlier layout of the migrations \(20261126000000_init\)"):
        await apply_migrations(fresh_dsn)


async def test_prisma_cli_route_records_the_same_as_python(
    fresh_dsn: str, server_dsn: str, prisma_cli: Path
) -> None:
    await build_streamos_database(fresh_dsn)
    resolved = run_prisma(["migrate", "resolve", "--applied", BASELINE], fresh_dsn)
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    deployed = run_prisma(["migrate", "deploy"], fresh_dsn)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    by_prisma = await catalog(fresh_dsn)

    # The same database attached the Python way gives the same tables, indexes, types and records.
    async with temporary_database(server_dsn, "db_test") as other:
        await build_streamos_database(other)
        await apply_migrations(other, baseline=True)
        by_python = await catalog(other)
    assert by_python == by_prisma
    assert python_migrate(fresh_dsn).stdout.strip() == "No pending migrations."


async def catalog_without_bookkeeping(dsn: str) -> dict[str, object]:
    """The catalog of `dsn` without `_prisma_migrations` (which may not exist)."""
    connection = await asyncpg.connect(dsn)
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name, data_type, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY 1, 2"
        )
        indexes = await connection.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        )
        enums = await connection.fetch("SELECT enumlabel FROM pg_enum ORDER BY enumtypid, enumsortorder")
    finally:
        await connection.close()
    return {
        "columns": [tuple(r) for r in columns],
        "indexes": [tuple(r) for r in indexes],
        "enums": [tuple(r) for r in enums],
    }
