"""The one asyncpg pool (the Prisma client runs on it): UUIDs as strings.

No JSON codec: the client encodes and decodes JSON itself, and one on the pool would encode its
parameters twice."""

from __future__ import annotations

import asyncpg


async def _init_connection(connection: asyncpg.Connection) -> None:
    # UUIDs travel as canonical lower-case strings, as in Prisma's clients and the generated models.
    await connection.set_type_codec("uuid", encoder=str, decoder=str, schema="pg_catalog", format="text")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's RESET ALL round trip: the service sets no session state,
    takes no advisory locks on pool connections, and asyncpg still rolls back an open transaction."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Opens the pool."""
    pool = await asyncpg.create_pool(
        dsn=dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=30,
    )
    assert pool is not None
    return pool
