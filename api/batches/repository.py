"""Data access of batches: hand-written SQL on asyncpg, because each step must be one atomic statement
(claim an item and start its batch; finish an item and, if it was the last, complete the batch) and
because a batch of 10,000 charges is written in one statement (`unnest`), in the same transaction
as its queued jobs."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection = asyncpg.Connection | PoolConnectionProxy
# Charges of an organization issued in a date range (both ends included) that no live request holds
# (a completed or running invoice request); one more than the limit, to tell the caller it is too many.
SELECT_UNINVOICED = """
SELECT c.id FROM uac_invoice c
WHERE c.organization_id = $1::uuid
  AND c.issue_date >= $2::date AND c.issue_date < $3::date + 1
  AND NOT EXISTS (SELECT 1 FROM invoice_request r WHERE r.active_charge_id = c.id)
ORDER BY c.issue_date, c.id
LIMIT $4
"""

INSERT_BATCH = """
INSERT INTO invoice_batch (scope_organization_id, organization_id, issue_date_from, issue_date_to, send_email,
                           status, total, remaining, client_idempotency_key, request_fingerprint, finished_at)
VALUES ($1::uuid, $2::uuid, $3::date, $4::date, $5,
        (CASE WHEN $6::int = 0 THEN 'COMPLETED' ELSE 'QUEUED' END)::invoice_batch_status,
        $6, $6, $7, $8, CASE WHEN $6::int = 0 THEN now() END)
RETURNING id
"""

INSERT_ITEMS = """
INSERT INTO invoice_batch_item (batch_id, position, charge_id)
SELECT $1::uuid, (ord - 1)::int, charge_id FROM unnest($2::uuid[]) WITH ORDINALITY AS t(charge_id, ord)
"""

# Takes an item for a run: a queued one of a live batch, or a running one whose worker died (its
# job came back); starts the batch on its first item.
CLAIM_ITEM = """
WITH item AS (
    UPDATE invoice_batch_item i
    SET status = 'RUNNING', attempts = i.attempts + 1, started_at = COALESCE(i.started_at, now())
    FROM invoice_batch b
    WHERE i.batch_id = $1::uuid AND i.position = $2 AND b.id = i.batch_id
      AND (i.status = 'RUNNING' OR (i.status = 'QUEUED' AND b.status IN ('QUEUED', 'RUNNING')))
    RETURNING i.charge_id, i.attempts, b.scope_organization_id, b.send_email
),
started AS (
    UPDATE invoice_batch SET status = 'RUNNING', started_at = COALESCE(started_at, now())
    WHERE id = $1::uuid AND status = 'QUEUED' AND EXISTS (SELECT 1 FROM item)
)
SELECT charge_id::text, attempts, scope_organization_id::text, send_email FROM item
"""

# Records an item's outcome; the batch row counts down, and its last item completes it (the batch
# row's lock orders concurrent finishes, so exactly one of them sees zero).
FINISH_ITEM = """
WITH done AS (
    UPDATE invoice_batch_item
    SET status = $3::invoice_batch_item_status, http_status = $4, outcome = $5::jsonb, finished_at = now()
    WHERE batch_id = $1::uuid AND position = $2 AND status = 'RUNNING'
    RETURNING batch_id
)
UPDATE invoice_batch b
SET remaining = b.remaining - 1,
    status = CASE WHEN b.remaining = 1 AND b.status = 'RUNNING' THEN 'COMPLETED' ELSE b.status END,
    finished_at = CASE WHEN b.remaining = 1 THEN now() ELSE b.finished_at END
FROM done WHERE b.id = done.batch_id
"""

CANCEL = """
WITH batch AS (
    SELECT id FROM invoice_batch WHERE id = $1::uuid AND status IN ('QUEUED', 'RUNNING') FOR UPDATE
),
skipped AS (
    UPDATE invoice_batch_item i SET status = 'SKIPPED', finished_at = now()
    FROM batch WHERE i.batch_id = batch.id AND i.status = 'QUEUED'
    RETURNING 1
)
UPDATE invoice_batch b
SET status = 'CANCELLED', cancelled_at = now(), remaining = b.remaining - (SELECT count(*) FROM skipped),
    finished_at = CASE WHEN b.remaining = (SELECT count(*) FROM skipped) THEN now() END
FROM batch WHERE b.id = batch.id
"""

BATCH_COLUMNS = """
id::text, scope_organization_id::text, organization_id::text, issue_date_from, issue_date_to, send_email,
status::text, total, remaining, request_fingerprint, created_at, started_at, finished_at, cancelled_at,
clock_timestamp() AS now
"""

COUNTS = """
SELECT status::text, count(*)::int AS n FROM invoice_batch_item WHERE batch_id = $1::uuid GROUP BY status
"""

ITEMS = """
SELECT position, charge_id::text, status::text, http_status, outcome::text, attempts, started_at, finished_at
FROM invoice_batch_item
WHERE batch_id = $1::uuid AND position > $2 AND ($3::text IS NULL OR status::text = $3)
ORDER BY position
LIMIT $4
"""


@dataclass(frozen=True)
class ClaimedItem:
    charge_id: str
    attempts: int
    scope_organization_id: str | None
    send_email: bool | None


async def select_uninvoiced(
    db: asyncpg.Pool | asyncpg.Connection, organization_id: str, first: dt.date, last: dt.date, limit: int
) -> list[str]:
    rows = await db.fetch(SELECT_UNINVOICED, organization_id, first, last, limit)
    return [str(row["id"]) for row in rows]


async def organization_exists(db: asyncpg.Pool | asyncpg.Connection, organization_id: str) -> bool:
    return bool(
        await db.fetchval("SELECT EXISTS (SELECT 1 FROM organization WHERE id = $1::uuid)", organization_id)
    )


async def insert_batch(
    connection: Connection,
    *,
    scope_organization_id: str | None,
    organization_id: str | None,
    issue_date_from: dt.date | None,
    issue_date_to: dt.date | None,
    send_email: bool | None,
    charge_ids: list[str],
    client_idempotency_key: str | None,
    request_fingerprint: str | None,
) -> str:
    """The batch and its items (call inside a transaction, with the jobs' enqueue)."""
    batch_id = str(
        await connection.fetchval(
            INSERT_BATCH,
            scope_organization_id,
            organization_id,
            issue_date_from,
            issue_date_to,
            send_email,
            len(charge_ids),
            client_idempotency_key,
            request_fingerprint,
        )
    )
    if charge_ids:
        await connection.execute(INSERT_ITEMS, batch_id, charge_ids)
    return batch_id


async def get_batch(db: asyncpg.Pool | asyncpg.Connection, batch_id: str) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {BATCH_COLUMNS} FROM invoice_batch WHERE id = $1::uuid", batch_id)  # noqa: S608


async def get_batch_by_key(db: asyncpg.Pool | asyncpg.Connection, key: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"SELECT {BATCH_COLUMNS} FROM invoice_batch WHERE client_idempotency_key = $1",  # noqa: S608
        key,
    )


async def counts(db: asyncpg.Pool | asyncpg.Connection, batch_id: str) -> dict[str, int]:
    return {row["status"]: row["n"] for row in await db.fetch(COUNTS, batch_id)}


async def items(
    db: asyncpg.Pool | asyncpg.Connection, batch_id: str, *, after: int, limit: int, status: str | None
) -> list[dict[str, Any]]:
    rows = await db.fetch(ITEMS, batch_id, after, status, limit)
    return [
        {**dict(row), "outcome": json.loads(row["outcome"]) if row["outcome"] is not None else None}
        for row in rows
    ]


async def claim_item(db: asyncpg.Pool, batch_id: str, position: int) -> ClaimedItem | None:
    row = await db.fetchrow(CLAIM_ITEM, batch_id, position)
    if row is None:
        return None
    return ClaimedItem(
        charge_id=row["charge_id"],
        attempts=row["attempts"],
        scope_organization_id=row["scope_organization_id"],
        send_email=row["send_email"],
    )


async def finish_item(
    db: asyncpg.Pool, batch_id: str, position: int, status: str, http_status: int, outcome: dict[str, Any]
) -> None:
    await db.execute(FINISH_ITEM, batch_id, position, status, http_status, json.dumps(outcome))


async def cancel(db: asyncpg.Pool, batch_id: str) -> None:
    await db.execute(CANCEL, batch_id)
