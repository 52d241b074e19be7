"""The processes of a scale run: a fresh database holding generated charges of one organization, the
Rutter stand-in with its rate limit, API replicas and `python -m api.worker` processes, all sharing
one Rutter budget; and what the run reads back from them afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from api.db.migrate import apply_migrations
from bench.config import DEPLOYED_POLL_FACTOR, DEPLOYED_POLL_INITIAL_S, DEPLOYED_POLL_MAX_S
from bench.scale.report import Outcome, rutter_statuses
from devkit.charges import generate_charges, seed_charges
from devkit.client import bearer
from devkit.databases import create_database, drop_database
from devkit.processes import ManagedProcess
from devkit.sandbox import SandboxProcess
from devkit.service import ServiceProcess, create_api_key, service_env
from devkit.worker import WorkerProcess

# On top of devkit's quick test timings: Rutter jobs polled as deployed (a job of several seconds
# is not polled every 0.1 s), and a job deadline longer than any job of the runs.
SCALE_SETTINGS: dict[str, object] = {
    "log_level": "INFO",
    "rutter_job_timeout_s": 25,
    "rutter_poll_initial_s": DEPLOYED_POLL_INITIAL_S,
    "rutter_poll_factor": DEPLOYED_POLL_FACTOR,
    "rutter_poll_max_s": DEPLOYED_POLL_MAX_S,
}


@dataclass(frozen=True)
class StandIn:
    """The Rutter stand-in (and every process's shared budget): `rate_limit` requests per `window_s`."""

    rate_limit: int
    window_s: float
    job_latency_s: float


@dataclass
class Cluster:
    """The running processes; every replica and worker shares `env` (its settings)."""

    dsn: str
    log_dir: Path
    env: dict[str, str]
    api_key: str
    sandbox: SandboxProcess
    charges: list[dict[str, Any]]
    replicas: list[ServiceProcess] = field(default_factory=list)
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def processes(self) -> list[ManagedProcess]:
        """Every replica and worker ever started, killed ones included (their logs count)."""
        return [*self.replicas, *self.workers]

    def headers(self) -> dict[str, str]:
        return bearer(self.api_key)

    async def start_replica(self, name: str) -> ServiceProcess:
        replica = ServiceProcess(name, self.log_dir, self.env, api_key=self.api_key)
        self.replicas.append(replica)
        await replica.start()
        return replica

    async def start_replicas(self, count: int) -> list[ServiceProcess]:
        first = len(self.replicas)
        return list(await asyncio.gather(*(self.start_replica(f"replica-{first + i}") for i in range(count))))

    async def start_workers(self, count: int) -> list[WorkerProcess]:
        first = len(self.workers)
        started = [WorkerProcess(f"worker-{first + i}", self.log_dir, self.env) for i in range(count)]
        self.workers += started
        await asyncio.gather(*(worker.start() for worker in started))
        return started

    async def stop(self) -> None:
        for process in self.processes:
            await process.stop()

    async def outcome(self, charge_ids: Sequence[str]) -> Outcome:
        """Rutter calls from every process's log; duplicates: invoices in the stand-in beyond one per
        document number; lost: charges without a completed request."""
        connection = await asyncpg.connect(self.dsn)
        try:
            stored = await connection.fetchval(
                "SELECT count(DISTINCT charge_id) FROM invoice_request "
                "WHERE status = 'COMPLETED' AND charge_id = ANY($1::uuid[])",
                list(charge_ids),
            )
        finally:
            await connection.close()
        async with aiohttp.ClientSession() as http:
            invoices = await self.sandbox.control(http).invoices()
        per_number = Counter(invoice["document_number"] for invoice in invoices)
        statuses = rutter_statuses(process.output() for process in self.processes)
        return Outcome(
            rutter_calls=sum(statuses.values()),
            rate_limited=statuses[429],
            duplicates=sum(n - 1 for n in per_number.values() if n > 1),
            lost=len(charge_ids) - int(stored),
        )


@contextlib.asynccontextmanager
async def running_cluster(
    *,
    server_dsn: str,
    log_dir: Path,
    charges: int,
    stand_in: StandIn,
    settings: Mapping[str, object] | None = None,
) -> AsyncIterator[Cluster]:
    """A fresh database with `charges` generated charges, and the stand-in; the caller starts the
    replicas and workers it wants. Everything is stopped, and the database dropped, on the way out."""
    dsn = await create_database(server_dsn, "invoice_scale")
    sandbox = SandboxProcess("sandbox", log_dir)
    cluster: Cluster | None = None
    try:
        await apply_migrations(dsn)
        generated = generate_charges(
            charges, tag=f"SCALE-{random.randrange(10**6)}", rng=random.Random(5), max_lines=3
        )
        await seed_charges(dsn, generated)
        await sandbox.start(job_latency=stand_in.job_latency_s, rate_limit=stand_in.rate_limit)
        async with aiohttp.ClientSession() as http:
            await sandbox.control(http).configure(rate_window=stand_in.window_s)
        env = service_env(
            database_url=dsn,
            rutter_url=sandbox.rutter_url,
            email_url=sandbox.email_url,
            settings={
                **SCALE_SETTINGS,
                "rutter_rate_limit": stand_in.rate_limit,
                "rutter_rate_window_s": stand_in.window_s,
                **(settings or {}),
            },
        )
        api_key = await create_api_key(dsn, "bench.scale")
        cluster = Cluster(dsn, log_dir, env, api_key, sandbox, generated)
        yield cluster
    finally:
        if cluster is not None:
            await cluster.stop()
        await sandbox.stop()
        await drop_database(server_dsn, dsn)


async def request_counts(connection: asyncpg.Connection, charge_ids: Sequence[str]) -> Counter[str]:
    """Invoice requests of these charges by status."""
    rows = await connection.fetch(
        "SELECT status::text AS status, count(*) AS n FROM invoice_request "
        "WHERE charge_id = ANY($1::uuid[]) GROUP BY status",
        list(charge_ids),
    )
    return Counter({row["status"]: int(row["n"]) for row in rows})
