"""Issuing, listing and revoking keys; what the CLI and the test and bench tools call."""

from __future__ import annotations

from dataclasses import dataclass

from api.keys import repository
from api.keys.repository import Executor
from api.keys.tokens import hash_key, new_key
from prisma import Prisma
from prisma.models import api_key as ApiKey


@dataclass(frozen=True)
class IssuedKey:
    """A new key: its row and the key itself, shown this once."""

    row: ApiKey
    key: str


async def issue_key(
    executor: Executor | Prisma, *, organization_id: str | None, name: str | None = None
) -> IssuedKey:
    """Creates a key for one organization, or for all of them when `organization_id` is None
    (`executor`: the Prisma client, or a pool or connection to run one on)."""
    key = new_key()
    row = await repository.insert_key(
        executor, key_hash=hash_key(key), organization_id=organization_id, name=name
    )
    return IssuedKey(row=row, key=key)
