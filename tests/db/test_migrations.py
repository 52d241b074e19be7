"""The migrator (api.db.migrate) against real PostgreSQL, alone and alongside `prisma migrate deploy`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from api.db.migrate import MigrationError, apply_migrations, read_migrations
from api.paths import PROJECT_ROOT
from devkit.schema_check import run_prisma
from prisma.models import MODELS
from tests.db.prisma_schema import PrismaSchema


async def catalog(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the migrations define in `public`, plus their bookkeeping, in a comparable form."""
    queries = {
        "columns": "SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 3",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
        "enums": "SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_enum e "
        "JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace = 'public'::regnamespace ORDER BY 1, 3",
        "migrations": "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at IS NULL, "
        'applied_steps_count FROM "_prisma_migrations" ORDER BY 1',
    }
    connection = await asyncpg.connect(dsn)
    try:
        return {name: [tuple(row) for row in await connection.fetch(sql)] for name, sql in queries.items()}
    finally:
        await connection.close()


def python_migrate(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m api.db migrate [args]` on `dsn`, as a developer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "api.db", "migrate", *args],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def prisma_deploy(dsn: str) -> subprocess.CompletedProcess[str]:
    return run_prisma(["migrate", "deploy"], dsn)


async def test_fresh_database_gets_every_table(fresh_dsn: str, schema: PrismaSchema) -> None:
    applied = await apply_migrations(fresh_dsn)

    assert applied == [f"applied {migration.name}" for migration in read_migrations()]
    tables = {row[0] for row in (await catalog(fresh_dsn))["columns"]}
    assert tables == {*schema.models, "_prisma_migrations"}
    assert set(MODELS) == set(schema.models) - schema.ignored


async def test_second_run_applies_and_changes_nothing(fresh_dsn: str) -> None:
    await apply_migrations(fresh_dsn)
    before = await catalog(fresh_dsn)

    assert await apply_migrations(fresh_dsn) == []
    assert await catalog(fresh_dsn) == before


async def test_failed_migration_is_reported_and_blocks_later_ones(fresh_dsn: str, tmp_path: Path) -> None:
    for name, script in [
        ("20260101000000_first", "CREATE TABLE first_table (id integer);"),
        ("20260102000000_broken", "CREATE TABLE broken_table (id integer);\nSELECT 1 / 0;"),
        ("20260103000000_later", "CREATE TABLE later_table (id integer);"),
    ]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "migration.sql").write_text(script, encoding="utf-8")

    with pytest.raises(MigrationError, match="20260102000000_broken failed: division by zero"):
        await apply_migrations(fresh_dsn, tmp_path)
    with pytest.raises(MigrationError, match=r"20260102000000_broken failed earlier.*migrate resolve"):
        await apply_migrations(fresh_dsn, tmp_path)

    connection = await asyncpg.connect(fresh_dsn)
    try:
        tables = {
            r[0]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        rows = await connection.fetch('SELECT migration_name, finished_at, logs FROM "_prisma_migrations"')
    finally:
        await connection.close()
    assert tables == {"_prisma_migrations", "first_table"}  # the broken script was rolled back as a whole
    recorded = {row["migration_name"]: row for row in rows}
    assert set(recorded) == {"20260101000000_first", "20260102000000_broken"}
    assert recorded["20260102000000_broken"]["finished_at"] is None
    assert "division by zero" in recorded["20260102000000_broken"]["logs"]


async def test_python_migrate_after_prisma_deploy_applies_nothing(
    fresh_dsn: str, database_dsn: str, prisma_cli: Path, tmp_path: Path
) -> None:
    deployed = prisma_deploy(fresh_dsn)
    assert deployed.returncode == 0, deployed.stderr
    after_prisma = await catalog(fresh_dsn)
    assert after_prisma == await catalog(database_dsn)  # the run's database, migrated by api.db.migrate

    result = python_migrate(fresh_dsn)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No pending migrations."
    assert await catalog(fresh_dsn) == after_prisma


async def test_prisma_deploy_after_python_migrate_applies_nothing(
    fresh_dsn: str, prisma_cli: Path, tmp_path: Path
) -> None:
    migrated = python_migrate(fresh_dsn)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.splitlines() == [f"applied {m.name}" for m in read_migrations()]
    after_python = await catalog(fresh_dsn)

    deployed = prisma_deploy(fresh_dsn)

    assert deployed.returncode == 0, deployed.stderr
    assert "No pending migrations to apply." in deployed.stdout
    assert await catalog(fresh_dsn) == after_python
