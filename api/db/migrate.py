"""Applies prisma/migrations to a database and records them in `_prisma_migrations` exactly as
`prisma migrate deploy` does (same table, names and checksums), so either tool can follow the other."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from api.paths import MIGRATIONS_DIR

logger = logging.getLogger("api.db.migrate")

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


def read_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations on disk, oldest first (Prisma orders them by folder name)."""
    folders = sorted(p for p in directory.iterdir() if p.is_dir() and (p / "migration.sql").is_file())
    return [
        Migration(folder.name, (folder / "migration.sql").read_bytes().decode("utf-8")) for folder in folders
    ]


async def apply_migrations(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Applies every migration not yet recorded as finished; returns the names it applied."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", PRISMA_ADVISORY_LOCK)
        try:
            return await _apply_pending(connection, read_migrations(directory))
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", PRISMA_ADVISORY_LOCK)
    finally:
        await connection.close()


async def _apply_pending(connection: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    await connection.execute(CREATE_MIGRATIONS_TABLE)
    rows = await connection.fetch(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"'
    )
    failed = [r["migration_name"] for r in rows if r["finished_at"] is None and r["rolled_back_at"] is None]
    if failed:
        raise MigrationError(
            f"migration(s) {', '.join(failed)} failed earlier; resolve them "
            "(`npx prisma migrate resolve`) before applying new ones"
        )
    finished = {r["migration_name"]: r["checksum"] for r in rows if r["finished_at"] is not None}
    applied: list[str] = []
    for migration in migrations:
        if migration.name in finished:
            if finished[migration.name] != migration.checksum:
                logger.warning("migration_checksum_mismatch", extra={"migration": migration.name})
            continue
        await _apply_one(connection, migration)
        applied.append(migration.name)
    return applied


async def _apply_one(connection: asyncpg.Connection, migration: Migration) -> None:
    row_id = str(uuid.uuid4())
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
