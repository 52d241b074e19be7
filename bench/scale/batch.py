"""The batch run: `charges` charges of one organization as one batch, created through the first
replica and followed to the end; optionally one worker process SIGKILLed part-way (and another
started in its place), and `POST /invoices` for other charges of the same organization sent while
the batch runs, timed."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.scale.cluster import Cluster, StandIn, running_cluster
from bench.scale.report import BatchReport, Interactive, InteractiveCall, WorkerKill
from devkit.client import bearer
from devkit.service import ServiceProcess

POLL_S = 0.5  # how often the batch is read (a kill or a call lands within this of its mark)
PRINT_S = 2.0  # how often its progress is printed (stderr)
CALL_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class BatchScenario:
    charges: int
    replicas: int
    workers: int
    kill_worker_at: float | None = None  # share of the charges done when a worker is SIGKILLed
    replace_worker: bool = False
    interactive: int = 0  # POST /invoices sent during the batch, spaced evenly over its progress


async def run_batch(
    scenario: BatchScenario,
    stand_in: StandIn,
    *,
    server_dsn: str,
    log_dir: Path,
    settings: dict[str, object] | None = None,
) -> BatchReport:
    started = time.monotonic()
    async with running_cluster(
        server_dsn=server_dsn,
        log_dir=log_dir,
        charges=scenario.charges + scenario.interactive,
        stand_in=stand_in,
        settings=settings,
    ) as cluster:
        await cluster.start_replicas(scenario.replicas)
        await cluster.start_workers(scenario.workers)
        batch_charges = [charge["id"] for charge in cluster.charges[: scenario.charges]]
        run = _BatchRun(cluster, scenario, outside=[c["id"] for c in cluster.charges[scenario.charges :]])
        async with aiohttp.ClientSession() as http:
            batch = await run.follow(http, await run.create(http, batch_charges))
            calls = list(await asyncio.gather(*run.calls))
        counts = batch["counts"]
        if run.kill is not None:
            run.kill.rerun = await _rerun_items(cluster.dsn, batch["id"])
        return BatchReport(
            charges=scenario.charges,
            rate_limit=stand_in.rate_limit,
            window_s=stand_in.window_s,
            replicas=scenario.replicas,
            workers=scenario.workers,
            wall_s=time.monotonic() - started,
            batch_s=float(batch["elapsed_s"] or 0.0),
            completed=counts["completed"],
            failed=counts["failed"],
            outcome=await cluster.outcome(batch_charges),
            kill=run.kill,
            interactive=Interactive(calls, stand_in.job_latency_s) if scenario.interactive else None,
        )


class _BatchRun:
    """Follows one batch, and does what the scenario asks for at its marks."""

    def __init__(self, cluster: Cluster, scenario: BatchScenario, outside: list[str]) -> None:
        self.cluster = cluster
        self.scenario = scenario
        self.outside = outside  # charges for the interactive calls, not in the batch
        self.kill: WorkerKill | None = None
        self.calls: list[asyncio.Task[InteractiveCall]] = []

    async def create(self, http: aiohttp.ClientSession, charge_ids: list[str]) -> str:
        async with http.post(
            f"{self.cluster.replicas[0].url}/invoice-batches",
            json={"charge_ids": charge_ids},
            headers=self.cluster.headers(),
        ) as response:
            assert response.status == 202, await response.text()
            batch_id: str = (await response.json())["id"]
        return batch_id

    async def follow(self, http: aiohttp.ClientSession, batch_id: str) -> dict[str, Any]:
        """Reads the batch every POLL_S until it is COMPLETED; returns it as last read."""
        printed_at = 0.0
        while True:
            async with http.get(
                f"{self.cluster.replicas[-1].url}/invoice-batches/{batch_id}?limit=1",
                headers=self.cluster.headers(),
            ) as response:
                batch: dict[str, Any] = await response.json()
            counts = batch["counts"]
            done = counts["completed"] + counts["failed"] + counts["skipped"]
            if time.monotonic() - printed_at >= PRINT_S:
                print(f"  {batch['status']}: {counts}", file=sys.stderr, flush=True)
                printed_at = time.monotonic()
            await self._at_marks(http, batch, done)
            if batch["status"] == "COMPLETED":
                return batch
            await asyncio.sleep(POLL_S)

    async def _at_marks(self, http: aiohttp.ClientSession, batch: dict[str, Any], done: int) -> None:
        total = batch["counts"]["total"]
        kill_at = self.scenario.kill_worker_at
        if kill_at is not None and self.kill is None and done >= kill_at * total:
            await self._kill_worker(batch, done)
        # The k-th of n calls goes when k / (n + 1) of the batch is done.
        while len(self.calls) < len(self.outside) and done >= (len(self.calls) + 1) * total / (
            len(self.outside) + 1
        ):
            k = len(self.calls)
            replica = self.cluster.replicas[k % len(self.cluster.replicas)]
            self.calls.append(asyncio.create_task(_post_invoice(http, replica, self.outside[k], done)))

    async def _kill_worker(self, batch: dict[str, Any], done: int) -> None:
        victim = self.cluster.workers[0]
        await victim.kill()
        print(f"  SIGKILLed {victim.name} at {done} done", file=sys.stderr, flush=True)
        replacement = None
        if self.scenario.replace_worker:
            [replacement] = await self.cluster.start_workers(1)
        self.kill = WorkerKill(
            name=victim.name,
            done=done,
            total=batch["counts"]["total"],
            at_s=float(batch["elapsed_s"] or 0.0),
            running=batch["counts"]["running"],
            replacement=replacement.name if replacement else None,
        )


async def _post_invoice(
    http: aiohttp.ClientSession, replica: ServiceProcess, charge_id: str, done: int
) -> InteractiveCall:
    """One interactive POST /invoices, timed from sending to the whole answer read (0: no answer)."""
    began = time.monotonic()
    try:
        async with http.post(
            f"{replica.url}/invoices",
            json={"charge_id": charge_id},
            headers=bearer(replica.api_key),
            timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
        ) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    return InteractiveCall(done=done, status=status, latency_s=time.monotonic() - began)


async def _rerun_items(dsn: str, batch_id: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        rerun: int = await connection.fetchval(
            "SELECT count(*) FROM invoice_batch_item WHERE batch_id = $1::uuid AND attempts > 1", batch_id
        )
    finally:
        await connection.close()
    return rerun
