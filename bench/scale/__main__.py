"""`python -m bench.scale`: one organization's batch across API replicas and worker processes,
against a Rutter stand-in limited to N requests per 10 s.

    python -m bench.scale                       # 1,500 charges, 100 requests / 10 s, 2 replicas, 2 workers
    python -m bench.scale --charges 300 --replicas 1 --workers 3

It starts PostgreSQL's fresh database (DATABASE_URL's server, or the embedded one), the sandbox with
that rate limit, `--replicas` API processes (each with its in-process workers) and `--workers`
`python -m api.worker` processes, all with RUTTER_RATE_LIMIT set to the same limit; creates one
batch of every charge through the first replica; follows it to the end; and reports the share of
Rutter calls answered 429, duplicates (charges with more than one invoice in the stand-in), lost
charges (no stored invoice), and the wall time against the limit's ideal (every Rutter call the run
needed, at exactly the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from api.db.migrate import apply_migrations
from api.paths import PROJECT_ROOT
from devkit import embedded
from devkit.charges import generate_charges, seed_charges
from devkit.client import bearer
from devkit.databases import create_database, drop_database
from devkit.sandbox import SandboxProcess
from devkit.service import ServiceProcess, create_api_key, service_env
from devkit.worker import WorkerProcess

POLL_S = 2.0


@dataclass
class ScaleReport:
    charges: int
    rate_limit: int
    window_s: float
    replicas: int
    workers: int
    wall_s: float
    batch_s: float
    rutter_calls: int
    rate_limited: int
    duplicates: int
    lost: int
    completed: int
    failed: int

    @property
    def ideal_s(self) -> float:
        """Every call that was not refused, sent at exactly the limit."""
        return (self.rutter_calls - self.rate_limited) * self.window_s / self.rate_limit

    def table(self) -> str:
        share = self.rate_limited / self.rutter_calls if self.rutter_calls else 0.0
        return "\n".join(
            [
                f"scale: {self.charges} charges, one organization, stand-in limited to {self.rate_limit} "
                f"requests / {self.window_s:g} s; {self.replicas} API replica(s) + {self.workers} "
                "worker process(es)",
                f"batch: {self.completed} completed, {self.failed} failed in {self.batch_s:.1f} s "
                f"(wall {self.wall_s:.1f} s)",
                f"Rutter calls {self.rutter_calls} | answered 429: {self.rate_limited} ({share:.2%})",
                f"duplicates {self.duplicates} | lost {self.lost}",
                f"time vs the limit's ideal: {self.batch_s:.1f} s / {self.ideal_s:.1f} s = "
                f"{self.batch_s / self.ideal_s if self.ideal_s else 0:.2f}",
            ]
        )


def _rutter_calls(outputs: list[str]) -> Counter[int]:
    """HTTP statuses of every Rutter call the processes logged (one JSON line per call)."""
    statuses: Counter[int] = Counter()
    for output in outputs:
        for line in output.splitlines():
            if '"rutter.request"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            statuses[record.get("status") or 0] += 1
    return statuses


async def run_scale(
    *,
    charges: int,
    rate_limit: int,
    window_s: float,
    replicas: int,
    workers: int,
    job_latency: float,
    server_dsn: str,
    log_dir: Path,
) -> ScaleReport:
    started = time.monotonic()
    dsn = await create_database(server_dsn, "invoice_scale")
    sandbox = SandboxProcess("sandbox", log_dir)
    processes: list[ServiceProcess | WorkerProcess] = []
    try:
        await apply_migrations(dsn)
        generated = generate_charges(
            charges, tag=f"SCALE-{random.randrange(10**6)}", rng=random.Random(5), max_lines=3
        )
        await seed_charges(dsn, generated)
        await sandbox.start(job_latency=job_latency, rate_limit=rate_limit)
        settings = {
            "rutter_rate_limit": rate_limit,
            "rutter_rate_window_s": window_s,
            "log_level": "INFO",
            "rutter_job_timeout_s": 25,
            "rutter_poll_initial_s": 0.5,
        }
        env = service_env(
            database_url=dsn, rutter_url=sandbox.rutter_url, email_url=sandbox.email_url, settings=settings
        )
        api_key = await create_api_key(dsn, "bench.scale")
        services = [ServiceProcess(f"replica-{i}", log_dir, env, api_key=api_key) for i in range(replicas)]
        worker_processes = [WorkerProcess(f"worker-{i}", log_dir, env) for i in range(workers)]
        processes += [*services, *worker_processes]
        await asyncio.gather(*(service.start() for service in services))
        await asyncio.gather(*(worker.start() for worker in worker_processes))
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{services[0].url}/invoice-batches",
                json={"charge_ids": [charge["id"] for charge in generated]},
                headers=bearer(api_key),
            ) as response:
                assert response.status == 202, await response.text()
                batch_id = (await response.json())["id"]
            while True:
                async with http.get(
                    f"{services[-1].url}/invoice-batches/{batch_id}?limit=1", headers=bearer(api_key)
                ) as response:
                    batch = await response.json()
                counts = batch["counts"]
                print(f"  {batch['status']}: {counts}", file=sys.stderr, flush=True)
                if batch["status"] == "COMPLETED":
                    break
                await asyncio.sleep(POLL_S)
        pool = await asyncpg.connect(dsn)
        try:
            stored = await pool.fetchval(
                "SELECT count(DISTINCT r.charge_id) FROM invoice_request r WHERE r.status = 'COMPLETED' "
                "AND r.charge_id = ANY($1::uuid[])",
                [charge["id"] for charge in generated],
            )
        finally:
            await pool.close()
        async with aiohttp.ClientSession() as http:
            invoices = await sandbox.control(http).invoices()
        per_number = Counter(invoice["document_number"] for invoice in invoices)
        statuses = _rutter_calls([process.output() for process in processes])
        return ScaleReport(
            charges=charges,
            rate_limit=rate_limit,
            window_s=window_s,
            replicas=replicas,
            workers=workers,
            wall_s=time.monotonic() - started,
            batch_s=float(batch["elapsed_s"] or 0.0),
            rutter_calls=sum(statuses.values()),
            rate_limited=statuses[429],
            duplicates=sum(n - 1 for n in per_number.values() if n > 1),
            lost=charges - int(stored),
            completed=counts["completed"],
            failed=counts["failed"],
        )
    finally:
        for process in processes:
            await process.stop()
        await sandbox.stop()
        await drop_database(server_dsn, dsn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=1500)
    parser.add_argument("--rate-limit", type=int, default=100, help="the stand-in's requests per window")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="python -m api.worker processes")
    parser.add_argument("--job-latency", type=float, default=0.2)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if args.replicas < 1 or args.charges < 1:
        parser.error("--replicas and --charges must be at least 1")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    report = asyncio.run(
        run_scale(
            charges=args.charges,
            rate_limit=args.rate_limit,
            window_s=args.window,
            replicas=args.replicas,
            workers=args.workers,
            job_latency=args.job_latency,
            server_dsn=embedded.server_dsn(args.database_url, PROJECT_ROOT / ".data" / "bench-postgres"),
            log_dir=log_dir,
        )
    )
    print(report.table())
    return 0 if report.duplicates == 0 and report.lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
