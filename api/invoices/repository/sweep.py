"""The recovery sweep's claim: abandoned requests in small batches, skipping those another replica holds.

`FOR UPDATE SKIP LOCKED` lets several replicas sweep at once: each takes the next few requests
nobody has locked, leases them in the same statement, and never waits for (or takes) another's.
The lease is compared on the database's clock, like every other lease.
"""

from __future__ import annotations

from api.invoices.repository.requests import REQUEST_COLUMNS, request_from_json
from api.invoices.stored import RequestRow
from prisma import Prisma

# Requests one claim takes at most (recovery.py keeps up to SWEEP_IN_FLIGHT of them in flight).
SWEEP_BATCH = 8

_CLAIM_ABANDONED = f"""
WITH picked AS (
    SELECT id FROM invoice_request
    WHERE status = 'PENDING' AND (lease_expires_at IS NULL OR lease_expires_at < now())
      AND id <> ALL($4::uuid[])
    ORDER BY created_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE invoice_request r
    SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2), updated_at = now(),
        attempts = r.attempts + CASE WHEN r.rutter_job_id IS NULL THEN 1 ELSE 0 END
    FROM picked WHERE r.id = picked.id
    RETURNING {", ".join(f"r.{name}" for name in REQUEST_COLUMNS.split(", "))}
)
SELECT to_json(c)::text AS request FROM claimed c
"""  # noqa: S608


async def claim_abandoned(
    db: Prisma, owner: str, lease_s: float, *, limit: int = SWEEP_BATCH, skip: list[str] | None = None
) -> list[RequestRow]:
    """Leases up to `limit` pending requests whose lease is free or expired, oldest first, leaving
    out those in `skip` (already driven by this sweep) and those another transaction has locked."""
    rows = await db.query_raw(_CLAIM_ABANDONED, owner, lease_s, limit, skip or [])
    return [request for row in rows if (request := request_from_json(row["request"])) is not None]


async def confirm_lease(db: Prisma, request_id: str, owner: str, lease_s: float) -> bool:
    """Extends the owner's lease if it still holds the request: loading the charge between the claim
    and the drive may outlast a short lease, and another worker may have taken the request over."""
    renewed = await db.execute_raw(
        "UPDATE invoice_request SET lease_expires_at = now() + make_interval(secs => $3) "
        "WHERE id = $1::uuid AND lease_owner = $2 AND status = 'PENDING'",
        request_id,
        owner,
        lease_s,
    )
    return renewed == 1
