"""`python -m bench.faults`: the command (see the package's docstring)."""

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
from pathlib import Path

import aiohttp
import asyncpg

from api.db.migrate import apply_migrations
from api.paths import PROJECT_ROOT
from bench import faults
from bench.faults.driver import Bench
from bench.faults.plan import (
    BENCH_SERVICE_SETTINGS,
    CLIENT_TIMEOUT_S,
    FAST_JOB_LATENCY_S,
    SCENARIOS,
    RunResult,
    plan_run,
)
from bench.faults.verdict import Report, verify
from devkit import embedded
from devkit.charges import clone_charge, template_charge
from devkit.databases import create_database, drop_database
from devkit.sandbox import SandboxProcess
from devkit.service import ServiceProcess, create_api_key, service_env
from seed.loader import load_charges


async def run_bench(
    *, runs: int, seed: int, concurrency: int, server_dsn: str, log_dir: Path, keep_database: bool = False
) -> Report:
    started = time.monotonic()
    rng = random.Random(seed)
    dsn = await create_database(server_dsn, "invoice_faults")
    sandbox = SandboxProcess("sandbox", log_dir)
    service: ServiceProcess | None = None
    try:
        await apply_migrations(dsn)
        template = template_charge()
        charges = [clone_charge(template, document_number=f"FLT-{seed}-{i:04d}") for i in range(runs)]
        await load_charges(dsn, charges, progress=None)
        # The first runs get one fault scenario each for sure: even a short bench covers them all.
        forced = SCENARIOS[1:]
        plans = [
            plan_run(
                rng,
                i,
                charge["id"],
                charge["document_number"],
                forced=forced[i] if i < len(forced) else None,
            )
            for i, charge in enumerate(charges)
        ]

        await sandbox.start(job_latency=FAST_JOB_LATENCY_S)
        env = service_env(
            database_url=dsn,
            rutter_url=sandbox.rutter_url,
            email_url=sandbox.email_url,
            settings=BENCH_SERVICE_SETTINGS,
        )
        service = ServiceProcess("service", log_dir, env, api_key=await create_api_key(dsn, "bench.faults"))
        await service.start()
        timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
        async with (
            asyncpg.create_pool(dsn, min_size=1, max_size=4) as pool,
            aiohttp.ClientSession(timeout=timeout) as session,
        ):
            bench = Bench(sandbox, service, pool, session)
            results: list[RunResult] = []
            for start in range(0, runs, concurrency):
                results += await bench.run_wave(plans[start : start + concurrency], rng)
            await bench.control.clear_faults()
            await bench.control.configure(job_latency=FAST_JOB_LATENCY_S)
            await bench.settle()
            verdict = await verify(bench.control, pool, plans)
        answers: Counter[str] = Counter()
        for result in results:
            answers.update(result.answers)
        return Report(
            runs=runs,
            seed=seed,
            concurrency=concurrency,
            wall_s=time.monotonic() - started,
            scenarios=Counter(name for plan in plans for name in plan.scenarios),
            answers=answers,
            kills=service.kills,
            interrupted=bench.interrupted,
            verdict=verdict,
            anomalies=[anomaly for result in results for anomaly in result.anomalies],
            log_dir=str(log_dir),
        )
    finally:
        if service is not None:
            await service.stop()
        await sandbox.stop()
        if not keep_database:
            await drop_database(server_dsn, dsn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=(faults.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--concurrency", type=int, default=4, help="runs driven at the same time")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="a server to create the bench's database on (default DATABASE_URL, else an embedded one)",
    )
    parser.add_argument("--log-dir", type=Path, default=None, help="where process output goes")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.concurrency < 1:
        parser.error("--runs and --concurrency must be at least 1")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="bench-faults-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        report = asyncio.run(
            run_bench(
                runs=args.runs,
                seed=seed,
                concurrency=args.concurrency,
                server_dsn=embedded.server_dsn(args.database_url, PROJECT_ROOT / ".data" / "bench-postgres"),
                log_dir=log_dir,
                keep_database=args.keep_database,
            )
        )
    except Exception as exc:
        print(f"bench.faults: the bench itself failed: {exc!r} (process logs: {log_dir})", file=sys.stderr)
        return 2
    print(report.table(), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_json(), indent=2))
    return 0 if report.verdict.ok and not report.anomalies else 1


if __name__ == "__main__":
    sys.exit(main())
