"""Batches as the endpoints see them: create (with Idempotency-Key), read with a page of items, cancel.

A batch is visible to the API key that could invoice its charges: an organization's key sees the
batches it created, an all-organizations key every batch; anything else is 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import asyncpg

from api.batches import queue
from api.batches import repository as repo
from api.batches.schemas import (
    MAX_CHARGES,
    BatchCounts,
    BatchItem,
    CreateBatchRequest,
    InvoiceBatch,
    InvoiceBatchPage,
)
from api.errors import NotFound, RequestValidationFailed
from api.invoices.errors import IdempotencyKeyReused


def batch_url(batch_id: str) -> str:
    return f"/invoice-batches/{batch_id}"


class BatchNotFound(NotFound):
    pass


class BatchService:
    def __init__(self, pool: asyncpg.Pool, dsn: str, *, organization_id: str | None) -> None:
        self.pool = pool
        self.dsn = dsn
        # The one organization the caller may see (its API key's), or None for every organization.
        self.organization_id = organization_id

    def _client_key(self, key: str) -> str:
        """Keys are per organization for organization keys, as for POST /invoices."""
        return key if self.organization_id is None else f"org:{self.organization_id}:{key}"

    async def create(
        self, body: CreateBatchRequest, idempotency_key: str | None
    ) -> tuple[InvoiceBatch, bool]:
        """POST /invoice-batches; returns the batch and whether it was an earlier one (replayed)."""
        fingerprint = hashlib.sha256(
            json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()
        key = self._client_key(idempotency_key) if idempotency_key is not None else None
        if key is not None and (earlier := await self._by_key(key, fingerprint)) is not None:
            return earlier, True
        charge_ids = await self._charges(body)
        await queue.ensure_schema(self.dsn)
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                batch_id = await repo.insert_batch(
                    connection,
                    scope_organization_id=self.organization_id,
                    organization_id=str(body.organization_id) if body.organization_id else None,
                    issue_date_from=body.issue_date_from,
                    issue_date_to=body.issue_date_to,
                    send_email=body.send_email,
                    charge_ids=charge_ids,
                    client_idempotency_key=key,
                    request_fingerprint=fingerprint if key else None,
                )
                await queue.enqueue_items(connection, batch_id, len(charge_ids))
        except asyncpg.UniqueViolationError:
            # The same key, at the same moment, from another call: answer its batch.
            assert key is not None
            if (earlier := await self._by_key(key, fingerprint)) is not None:
                return earlier, True
            raise
        return await self.get(batch_id), False

    async def _by_key(self, key: str, fingerprint: str) -> InvoiceBatch | None:
        row = await repo.get_batch_by_key(self.pool, key)
        if row is None:
            return None
        if row["request_fingerprint"] != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used before with a different request body.", {"batch_id": row["id"]}
            )
        return await self._describe(row)

    async def _charges(self, body: CreateBatchRequest) -> list[str]:
        if body.charge_ids is not None:
            return [str(charge_id).lower() for charge_id in body.charge_ids]
        assert body.organization_id and body.issue_date_from and body.issue_date_to
        organization_id = str(body.organization_id).lower()
        if (self.organization_id is not None and organization_id != self.organization_id) or not (
            await repo.organization_exists(self.pool, organization_id)
        ):
            raise NotFound(
                f"No organization with id {organization_id}.", {"organization_id": organization_id}
            )
        found = await repo.select_uninvoiced(
            self.pool, organization_id, body.issue_date_from, body.issue_date_to, MAX_CHARGES + 1
        )
        if len(found) > MAX_CHARGES:
            raise RequestValidationFailed(
                f"More than {MAX_CHARGES:,} charges not invoiced yet in this range; narrow the dates.",
                {"fields": [{"field": "issue_date_to", "message": f"more than {MAX_CHARGES:,} charges"}]},
            )
        return found

    async def _visible(self, batch_id: str) -> asyncpg.Record:
        row = await repo.get_batch(self.pool, batch_id)
        if row is None or (
            self.organization_id is not None and row["scope_organization_id"] != self.organization_id
        ):
            raise BatchNotFound(f"No invoice batch with id {batch_id}.", {"batch_id": batch_id})
        return row

    async def get(self, batch_id: str) -> InvoiceBatch:
        return await self._describe(await self._visible(batch_id))

    async def page(self, batch_id: str, *, cursor: int, limit: int, status: str | None) -> InvoiceBatchPage:
        """GET /invoice-batches/{id}: the batch and the items after position `cursor`."""
        batch = await self.get(batch_id)
        rows = await repo.items(self.pool, batch_id, after=cursor, limit=limit + 1, status=status)
        items = [BatchItem.model_validate(row) for row in rows[:limit]]
        next_cursor = items[-1].position if len(rows) > limit else None
        return InvoiceBatchPage(**batch.model_dump(), items=items, next_cursor=next_cursor)

    async def cancel(self, batch_id: str) -> InvoiceBatch:
        """POST /invoice-batches/{id}/cancel: charges not started are skipped; running ones finish.
        Cancelling a finished or cancelled batch changes nothing and answers it as it is."""
        await self._visible(batch_id)
        await repo.cancel(self.pool, batch_id)
        return await self.get(batch_id)

    async def _describe(self, row: asyncpg.Record) -> InvoiceBatch:
        by_status = await repo.counts(self.pool, row["id"])
        counts = BatchCounts(total=row["total"], **{k.lower(): v for k, v in by_status.items()})
        return InvoiceBatch(
            id=row["id"],
            status=row["status"],
            status_url=batch_url(row["id"]),
            organization_id=row["organization_id"],
            issue_date_from=row["issue_date_from"],
            issue_date_to=row["issue_date_to"],
            send_email=row["send_email"],
            counts=counts,
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            cancelled_at=row["cancelled_at"],
            elapsed_s=_elapsed(row),
        )


def _elapsed(row: Any) -> float | None:
    started: dt.datetime | None = row["started_at"]
    if started is None:
        return None
    end: dt.datetime = row["finished_at"] or row["now"]
    return round((end - started).total_seconds(), 3)
