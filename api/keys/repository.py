"""All SQL of API keys."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from prisma.models import api_key as ApiKey

Executor = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy

# last_used_at is refreshed at most once a minute per key: a lookup stays one round trip and
# rarely writes.
_LOOKUP = """
WITH found AS (
    SELECT id, organization_id, all_organizations, last_used_at FROM api_key
    WHERE key_hash = $1 AND revoked_at IS NULL
), touched AS (
    UPDATE api_key SET last_used_at = now()
    FROM found
    WHERE api_key.id = found.id
      AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '60 seconds')
)
SELECT id, organization_id, all_organizations FROM found
"""


async def find_active_key(executor: Executor, key_hash: str) -> asyncpg.Record | None:
    """The unrevoked key with that hash (id, organization_id, all_organizations), or None."""
    record: asyncpg.Record | None = await executor.fetchrow(_LOOKUP, key_hash)
    return record


async def insert_key(
    executor: Executor, *, key_hash: str, organization_id: str | None, name: str | None
) -> ApiKey:
    record = await executor.fetchrow(
        """
        INSERT INTO api_key (key_hash, organization_id, all_organizations, name)
        VALUES ($1, $2, $3, $4)
        RETURNING *
        """,
        key_hash,
        organization_id,
        organization_id is None,
        name,
    )
    assert record is not None
    return _key(record)


async def list_keys(executor: Executor) -> list[ApiKey]:
    records = await executor.fetch("SELECT * FROM api_key ORDER BY created_at, id")
    return [_key(record) for record in records]


async def revoke_key(executor: Executor, key_id: str) -> ApiKey | None:
    """Revokes the key (revoking twice keeps the first time); None when there is no such key."""
    record = await executor.fetchrow(
        "UPDATE api_key SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *", key_id
    )
    return _key(record) if record else None


async def organization_exists(executor: Executor, organization_id: str) -> bool:
    return bool(
        await executor.fetchval("SELECT EXISTS (SELECT 1 FROM organization WHERE id = $1)", organization_id)
    )


def _key(record: asyncpg.Record) -> ApiKey:
    # UUIDs as strings whether or not the connection has the pool's text codec (the CLI's has not).
    values: dict[str, Any] = {
        name: str(value) if isinstance(value, uuid.UUID) else value for name, value in record.items()
    }
    return ApiKey.model_validate(values)
