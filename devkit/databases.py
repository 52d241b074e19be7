"""Creating and dropping whole databases on a server (tests, checks, benchmarks, the dev runner)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from api.db.migrate import apply_migrations


def with_database(dsn: str, database: str) -> str:
    """The same server DSN pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


async def create_database(server_dsn: str, prefix: str) -> str:
    """Creates an empty database with a unique name (`prefix`, pid, random) and returns its DSN."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_dsn, name)


async def ensure_database(server_dsn: str, name: str, *, fresh: bool = False) -> str:
    """The DSN of database `name` on the server, created when missing (recreated with `fresh`)."""
    admin = await asyncpg.connect(server_dsn)
    try:
        if fresh:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_dsn, name)


async def drop_database(server_dsn: str, dsn: str) -> None:
    """Drops the database of `dsn`, closing its connections first."""
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database_name(dsn)}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def temporary_database(server_dsn: str, prefix: str, *, migrated: bool = False) -> AsyncIterator[str]:
    """A new empty database of its own (migrated to the current schema with `migrated`): its DSN,
    dropped on the way out whatever happened."""
    dsn = await create_database(server_dsn, prefix)
    try:
        if migrated:
            await apply_migrations(dsn)
        yield dsn
    finally:
        await drop_database(server_dsn, dsn)
