"""API keys' data access, on the Prisma client (`prisma`); the look-up of a key by its hash is
the one statement written by hand (see `_LOOKUP`). Each function takes the client, or a pool or
connection to run one on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from prisma import Prisma
from prisma.models import api_key as ApiKey
from prisma_asyncpg.client import Executor

__all__ = [
    "ApiKey",
    "Executor",
    "client_for",
    "find_active_key",
    "insert_key",
    "list_keys",
    "organization_exists",
    "revoke_key",
]


def client_for(executor: Executor | Prisma) -> Prisma:
    """The Prisma client running on `executor` (a pool, or one connection such as the CLI's)."""
    return executor if isinstance(executor, Prisma) else Prisma(pool=executor)


# By hand, as a Prisma Client Python user would write it: the look-up is on every request without
# a cached key, so it finds the key and refreshes last_used_at (at most once a minute per key, on
# the database's clock) in one round trip; the client would need a find and a conditional update.
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


async def find_active_key(db: Executor | Prisma, key_hash: str) -> dict[str, Any] | None:
    """The unrevoked key with that hash (id, organization_id, all_organizations, ids as text), or None."""
    row = await client_for(db).query_first(_LOOKUP, key_hash)
    if row is None:
        return None
    # UUIDs as strings whether or not the pool has a text codec for them.
    return {name: str(value) if isinstance(value, uuid.UUID) else value for name, value in row.items()}


async def insert_key(
    db: Executor | Prisma, *, key_hash: str, organization_id: str | None, name: str | None
) -> ApiKey:
    return await client_for(db).api_key.create(
        data={
            "key_hash": key_hash,
            "organization_id": organization_id,
            "all_organizations": organization_id is None,
            "name": name,
        }
    )


async def list_keys(db: Executor | Prisma) -> list[ApiKey]:
    return await client_for(db).api_key.find_many(order=[{"created_at": "asc"}, {"id": "asc"}])


async def revoke_key(db: Executor | Prisma, key_id: str) -> ApiKey | None:
    """Revokes the key (revoking twice keeps the first time); None when there is no such key."""
    db = client_for(db)
    await db.api_key.update_many(
        where={"id": key_id, "revoked_at": None}, data={"revoked_at": datetime.now(UTC)}
    )
    return await db.api_key.find_unique(where={"id": key_id})


async def organization_exists(db: Executor | Prisma, organization_id: str) -> bool:
    return await client_for(db).organization.count(where={"id": organization_id}) > 0
