"""Applies prisma/migrations to a database and records them in `_prisma_migrations` exactly as
`prisma migrate deploy` does (same table, names and checksums), so either tool can follow the other.

The first migration, `0_streamos_baseline`, creates streamOS's schema; every later one is the
service's own. On a database that already holds streamOS's tables the baseline is recorded as
applied without running it (`baseline=True`, what `prisma migrate resolve --applied` does), and
only the service's migrations run. Guard rails refuse the two mix-ups with one clear sentence,
before anything is written.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from api.db.problems import command
from api.paths import MIGRATIONS_DIR

logger = logging.getLogger("api.db.migrate")

# The migration that creates streamOS's schema; always the first folder.
BASELINE = "0_streamos_baseline"
# The tables the service reads and writes: `--baseline` needs them on the database it attaches to.
SERVICE_USES = (
    "organization",
    "uac_invoice",
    "uac_line_item",
    "customer",
    "uac_customer",
    "uac_address",
    "product",
    "uac_item",
    "acc_uac_invoice",
    "invoice_adjustment",
    "invoice_adjustment_line_item",
)
# Migrations of this project's first layout (before the baseline existed); such a database is rebuilt.
LEGACY_MIGRATIONS = ("20261126000000_init", "20261126072721_request_document_number")

_CREATE_TABLE = re.compile(r'^CREATE TABLE "(\w+)"', re.MULTILINE)

# The advisory lock key Prisma's schema engine takes around migrate commands.
PRISMA_ADVISORY_LOCK = 72707369

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)
"""


class MigrationError(RuntimeError):
    """A migration failed now or earlier; the database needs a person's attention."""


@dataclass(frozen=True)
class Migration:
    name: str
    script: str

    @property
    def checksum(self) -> str:
        """Prisma's checksum: SHA-256 of the script's bytes, lower-case hex."""
        return hashlib.sha256(self.script.encode("utf-8")).hexdigest()

    @property
    def tables(self) -> list[str]:
        """The tables the script creates."""
        return _CREATE_TABLE.findall(self.script)


def read_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations on disk, oldest first (Prisma orders them by folder name)."""
    folders = sorted(p for p in directory.iterdir() if p.is_dir() and (p / "migration.sql").is_file())
    return [
        Migration(folder.name, (folder / "migration.sql").read_bytes().decode("utf-8")) for folder in folders
    ]


async def apply_migrations(
    dsn: str, directory: Path = MIGRATIONS_DIR, *, baseline: bool = False
) -> list[str]:
    """Applies every migration not yet recorded as finished; returns what it did, one line each.

    With `baseline`, a database holding streamOS's tables gets the baseline recorded, not run.
    """
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", PRISMA_ADVISORY_LOCK)
        try:
            return await _apply_pending(connection, read_migrations(directory), baseline)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", PRISMA_ADVISORY_LOCK)
    finally:
        await connection.close()


async def _apply_pending(
    connection: asyncpg.Connection, migrations: list[Migration], baseline: bool
) -> list[str]:
    rows = await _recorded(connection)
    failed = [r["migration_name"] for r in rows if r["finished_at"] is None and r["rolled_back_at"] is None]
    if failed:
        raise MigrationError(
            f"migration(s) {', '.join(failed)} failed earlier; resolve them "
            "(`npx prisma migrate resolve`) before applying new ones"
        )
    finished = {r["migration_name"]: r["checksum"] for r in rows if r["finished_at"] is not None}
    legacy = [name for name in LEGACY_MIGRATIONS if name in finished]
    if legacy:
        raise MigrationError(
            f"this database was migrated with an earlier layout of the migrations ({', '.join(legacy)}); "
            f"it holds only demo data: recreate it (`{command('devrun --fresh')}` for the embedded one, "
            "or drop and create the database) and migrate again"
        )
    done: list[str] = []
    first = migrations[0] if migrations and migrations[0].name == BASELINE else None
    if first is not None and first.name not in finished:
        existing = await _existing_tables(connection, first.tables)
        own = await _existing_tables(connection, [t for m in migrations[1:] for t in m.tables])
        if own:
            raise MigrationError(
                f"this database already has the service's tables ({', '.join(own)}) but no recorded "
                "migrations: it was set up by `prisma db push`, which is for scratch databases only; "
                f"recreate it and run `{command('api.db migrate')}`"
            )
        if baseline:
            missing = [table for table in SERVICE_USES if table not in existing]
            if missing:
                raise MigrationError(
                    "--baseline is for a database that already holds streamOS's tables, and this one "
                    f"lacks {', '.join(missing)}; on an empty database run `{command('api.db migrate')}`"
                )
            await _record_applied(connection, first)
            done.append(f"recorded {first.name} as applied (streamOS's tables are already there)")
            absent = [table for table in first.tables if table not in existing]
            if absent:
                logger.warning("baseline_tables_absent", extra={"tables": absent})
                done.append(f"note: streamOS tables the service does not use are absent: {', '.join(absent)}")
            finished[first.name] = first.checksum
        elif existing:
            shown = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
            raise MigrationError(
                f"this database already holds streamOS's tables ({shown}) and no recorded baseline: "
                f"run `{command('api.db migrate --baseline')}` to record streamOS's schema as present "
                "and apply only the service's migrations"
            )
    for migration in migrations:
        if migration.name in finished:
            if finished[migration.name] != migration.checksum:
                logger.warning("migration_checksum_mismatch", extra={"migration": migration.name})
            continue
        await _apply_one(connection, migration)
        done.append(f"applied {migration.name}")
    return done


async def _recorded(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    """The rows of `_prisma_migrations` (none while the table does not exist)."""
    if await connection.fetchval("SELECT to_regclass('_prisma_migrations')") is None:
        return []
    return await connection.fetch(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"'
    )


async def _existing_tables(connection: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Those of `tables` that exist in the connection's current schema, in the order given."""
    rows = await connection.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
        tables,
    )
    present = {row["table_name"] for row in rows}
    return [table for table in tables if table in present]


async def _record_applied(connection: asyncpg.Connection, migration: Migration) -> None:
    """Records `migration` as applied without running it, as `prisma migrate resolve --applied` does."""
    await connection.execute(CREATE_MIGRATIONS_TABLE)
    await connection.execute(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, '
        "applied_steps_count) VALUES ($1, $2, $3, now(), now(), 0)",
        str(uuid.uuid4()),
        migration.checksum,
        migration.name,
    )
    logger.info("migration_recorded_as_applied", extra={"migration": migration.name})


async def _apply_one(connection: asyncpg.Connection, migration: Migration) -> None:
    row_id = str(uuid.uuid4())
    await connection.execute(CREATE_MIGRATIONS_TABLE)
    await connection.execute(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) '
        "VALUES ($1, $2, $3, now(), 0)",
        row_id,
        migration.checksum,
        migration.name,
    )
    try:
        async with connection.transaction():
            await connection.execute(migration.script)
    except asyncpg.PostgresError as exc:
        await connection.execute(
            'UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', row_id, f"{type(exc).__name__}: {exc}"
        )
        raise MigrationError(f"migration {migration.name} failed: {exc}") from exc
    await connection.execute(
        'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', row_id
    )
    logger.info("migration_applied", extra={"migration": migration.name})
