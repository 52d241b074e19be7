"""The recovery sweep on several replicas: SKIP LOCKED batches split the backlog, none is driven twice."""

from __future__ import annotations

import asyncio
import json
import random
import uuid

import aiohttp

from api.invoices.repository import sweep
from api.invoices.service import RUTTER_KEY_NAMESPACE, InvoiceService
from devkit.charges import generate_charges
from prisma import Prisma
from seed.loader import load_charges
from tests.invoices.conftest import ORG_ID, Harness


async def _abandoned_requests(harness: Harness, count: int) -> list[str]:
    """`count` new charges, each with a request as a dead worker left it (lease expired, nothing sent)."""
    charges = generate_charges(count, tag=f"SWEEP-{uuid.uuid4().hex[:6]}", rng=random.Random(7), max_lines=2)
    await load_charges(harness.db, charges, progress=None)
    request_ids: list[str] = []
    for charge in charges:
        preview = await harness.client.get(f"/charges/{charge['id']}/invoice-preview")
        assert preview.status_code == 200, preview.text
        request_id = str(uuid.uuid4())
        await harness.db.execute(
            """
            INSERT INTO invoice_request (id, charge_id, organization_id, active_charge_id,
                                         rutter_idempotency_key, rutter_version, rutter_request_body,
                                         lease_owner, lease_expires_at, created_at)
            VALUES ($1, $2, $3, $2, $4, '2023-03-14', $5::jsonb, 'dead-worker', now() - interval '1 second',
                    now() - make_interval(secs => $6))
            """,
            request_id,
            charge["id"],
            ORG_ID,
            str(uuid.uuid5(RUTTER_KEY_NAMESPACE, request_id)),
            json.dumps(preview.json()["request_body"]),
            float(count - len(request_ids)),
        )
        request_ids.append(request_id)
    return request_ids


async def test_the_claim_skips_requests_another_replica_has_locked(harness: Harness) -> None:
    request_ids = await _abandoned_requests(harness, 5)
    db = Prisma(pool=harness.db)
    async with harness.db.acquire() as other, other.transaction():
        await other.execute(
            "SELECT 1 FROM invoice_request WHERE id = ANY($1::uuid[]) FOR UPDATE", request_ids[:3]
        )

        claimed = await asyncio.wait_for(sweep.claim_abandoned(db, "replica-b", 30.0, limit=5), 5)

    assert sorted(request.id for request in claimed) == sorted(request_ids[3:])
    assert all(request.lease_owner == "replica-b" for request in claimed)


async def test_claims_come_in_small_batches_oldest_first_and_skip_what_this_sweep_drove(
    harness: Harness,
) -> None:
    request_ids = await _abandoned_requests(harness, 5)
    db = Prisma(pool=harness.db)

    first = await sweep.claim_abandoned(db, "replica-a", 30.0, limit=2)
    await harness.db.execute("UPDATE invoice_request SET lease_expires_at = NULL")  # released again
    second = await sweep.claim_abandoned(db, "replica-a", 30.0, limit=2, skip=[r.id for r in first])

    assert [r.id for r in first] == request_ids[:2]
    assert [r.id for r in second] == request_ids[2:4]


async def test_two_replicas_sweeping_at_once_drive_each_request_once(harness: Harness) -> None:
    count = 2 * sweep.SWEEP_BATCH + 3
    request_ids = await _abandoned_requests(harness, count)

    async with aiohttp.ClientSession() as http:
        replicas = [InvoiceService.build(Prisma(pool=harness.db), harness.settings, http) for _ in range(2)]
        driven = await asyncio.gather(*(replica.recover_pending() for replica in replicas))

    assert sum(driven) == count
    assert (
        await harness.count("invoice_request", "status = 'COMPLETED' AND id = ANY($1::uuid[])", request_ids)
        == count
    )
    creates = [r["idempotency_key"] for r in harness.sandbox.rutter.requests if r["method"] == "POST"]
    assert len(creates) == len(set(creates)) == count  # one create per request, none repeated
    assert len(harness.sandbox.rutter.invoices) == count
