"""The abandoned-requests run: `requests` POST /invoices sent at once to one replica, which is
SIGKILLed as soon as every request is recorded; the other replicas' recovery sweeps finish them.
Timed from the kill until every request is COMPLETED, against INVOICE_LEASE_S + 3 job times (the
dead replica's leases must run out first; then the sweeps drive the requests, several at once)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import asyncpg

from bench.scale.cluster import StandIn, request_counts, running_cluster
from bench.scale.report import AbandonedReport
from devkit.client import bearer
from devkit.service import ServiceProcess

POLL_S = 0.25
PRINT_S = 2.0
# How long the run waits for the requests to settle, in goals (lease + 3 job times).
PATIENCE_GOALS = 10
RECORD_TIMEOUT_S = 60.0

_RECOVERY_POINTS = """
SELECT CASE WHEN status <> 'PENDING' THEN lower(status::text)
            WHEN rutter_job_id IS NOT NULL THEN 'PENDING with a Rutter job'
            ELSE 'PENDING without a Rutter job id' END AS point,
       count(*) AS n,
       extract(epoch FROM max(lease_expires_at) - now())::float8 AS lease_left_s
FROM invoice_request WHERE charge_id = ANY($1::uuid[]) GROUP BY 1
"""


async def run_abandoned(
    *, requests: int, replicas: int, lease_s: float, stand_in: StandIn, server_dsn: str, log_dir: Path
) -> AbandonedReport:
    started = time.monotonic()
    async with running_cluster(
        server_dsn=server_dsn,
        log_dir=log_dir,
        charges=requests,
        stand_in=stand_in,
        settings={"invoice_lease_s": lease_s},
    ) as cluster:
        await cluster.start_replicas(replicas)  # sweeping all along; the dead replica's leases hold them off
        doomed = await cluster.start_replica("replica-doomed")
        charge_ids = [charge["id"] for charge in cluster.charges]
        connection = await asyncpg.connect(cluster.dsn)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                posts = [asyncio.create_task(_post_invoice(http, doomed, charge)) for charge in charge_ids]
                await _until_recorded(connection, charge_ids)
                await doomed.kill()
                killed_at = time.monotonic()
                await asyncio.gather(*posts)
            points, lease_left_s = await _recovery_points(connection, charge_ids)
            print(
                f"  SIGKILLed {doomed.name}: {dict(points)}; its leases run out within {lease_left_s:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            goal_s = lease_s + 3 * stand_in.job_latency_s
            counts = await _until_settled(connection, charge_ids, killed_at + PATIENCE_GOALS * goal_s)
            settled_at = time.monotonic()
        finally:
            await connection.close()
        completed = counts["COMPLETED"]
        return AbandonedReport(
            requests=requests,
            recovery_points=points,
            job_latency_s=stand_in.job_latency_s,
            lease_s=lease_s,
            lease_left_s=lease_left_s,
            rate_limit=stand_in.rate_limit,
            window_s=stand_in.window_s,
            replicas=replicas,
            settled_s=settled_at - killed_at if completed == requests else None,
            completed=completed,
            failed=counts["FAILED"],
            outcome=await cluster.outcome(charge_ids),
            wall_s=time.monotonic() - started,
        )


async def _post_invoice(http: aiohttp.ClientSession, replica: ServiceProcess, charge_id: str) -> None:
    """A POST the replica records and then dies on: its connection breaks, no answer comes."""
    try:
        async with http.post(
            f"{replica.url}/invoices", json={"charge_id": charge_id}, headers=bearer(replica.api_key)
        ) as response:
            await response.read()
    except aiohttp.ClientError:
        pass


async def _until_recorded(connection: asyncpg.Connection, charge_ids: Sequence[str]) -> None:
    deadline = time.monotonic() + RECORD_TIMEOUT_S
    while sum((await request_counts(connection, charge_ids)).values()) < len(charge_ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the requests were not all recorded within {RECORD_TIMEOUT_S:g} s")
        await asyncio.sleep(0.02)


async def _recovery_points(
    connection: asyncpg.Connection, charge_ids: Sequence[str]
) -> tuple[Counter[str], float]:
    """The requests by how far the dead replica took them, and how long until its last lease ends."""
    rows = await connection.fetch(_RECOVERY_POINTS, list(charge_ids))
    points = Counter({row["point"]: int(row["n"]) for row in rows})
    return points, max((row["lease_left_s"] or 0.0 for row in rows), default=0.0)


async def _until_settled(
    connection: asyncpg.Connection, charge_ids: Sequence[str], deadline: float
) -> Counter[str]:
    """Waits until no request is PENDING (or the deadline); returns the requests by status."""
    printed_at = 0.0
    while True:
        counts = await request_counts(connection, charge_ids)
        if time.monotonic() - printed_at >= PRINT_S:
            print(f"  requests: {dict(counts)}", file=sys.stderr, flush=True)
            printed_at = time.monotonic()
        if counts["PENDING"] == 0 or time.monotonic() >= deadline:
            return counts
        await asyncio.sleep(POLL_S)
