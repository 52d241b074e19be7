"""The benchmark suite: `python -m bench` (full, minutes) or `python -m bench --quick` (smoke, seconds).

It starts everything it measures as separate processes on this machine: PostgreSQL (a fresh
database on the DATABASE_URL server, dropped at the end, or the embedded server), the Rutter
sandbox (`python -m sandbox`, zero job latency, rate limit raised) and the service under uvicorn as
deployed (one worker, asyncio loop and h11 as in the Dockerfile; `--no-access-log` and LOG_LEVEL=WARNING
so logging does not dominate). It seeds charges shaped like demo charge 1 (devkit.charges) and runs
six sections, writing `results.json`, `summary.md` and three PNG plots to the output folder:

1. throughput: invoices/s and POST /invoices latency at each concurrency, end to end;
2. overhead: the same work by a minimal script (bench.baseline), service / baseline throughput
   (three rounds per concurrency, service and baseline alternated; the median's pair is reported);
3. cost: service CPU s per invoice (/proc/<pid>/stat), SQL round trips per invoice for 1- and
   25-line charges (counted on the wire by a proxy in front of PostgreSQL), Rutter calls per
   invoice (the sandbox's /_sandbox/requests);
4. waiting: 1,000 invoices at concurrency 200 with a 1 s job latency, wall time against the ideal;
5. polling: polls per job for job durations of 1, 5 and 30 s;
6. memory: the service's RSS sampled over 10,000 invoices, peak (VmHWM) and growth.

Before the sections, a history of charges (2,000; quick 200) is invoiced once by the baseline and
kept: the tables hold invoices as in a used database. Between runs every other invoice, its lines
and its request row are deleted (and the sandbox reset) so the same seeded charges are invoiced
again: every run, service or baseline, gets the same workload. (Without the history each rewind
emptied the tables, and backends planned their foreign-key checks on an empty table: sequential
scans they kept while the table filled, 30-40 us per line item on both sides.)
Linux only (it reads /proc).

    pip install -e '.[dev,bench]'                      # matplotlib for the plots
    DATABASE_URL=postgresql://... python -m bench      # full run (about 8 minutes on 2 cores)
    python -m bench --quick                            # smoke run, ~25 s (tests/bench runs it)
    python -m bench --help                             # sizes, concurrency levels, sections
    python -m bench.report bench/results/results.json  # redraw the plots and tables of a run

Results: bench/results/{results.json,summary.md,throughput.png,latency.png,rss.png} (full) or
bench/results/quick.tmp/ (quick, git-ignored).

The modules: `config` (presets), `suite` (the run, its processes and the baseline), `sections/` (one
module a section), `load` (the load generator), `measure` (/proc and latency statistics),
`database` (the run's database and the SQL-counting proxy), `goals`, `report` (tables and plots).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvloop

from bench import report
from bench.config import SANDBOX_RATE_LIMIT, SECTIONS, BenchConfig, say
from bench.database import BenchDatabase
from bench.suite import Bench
from devkit.sandbox import SandboxProcess


@contextlib.asynccontextmanager
async def bench_environment(config: BenchConfig) -> AsyncIterator[Bench]:
    """The database (created, dropped after), the sandbox and a work folder for logs and id files."""
    database = await BenchDatabase.create()
    say(f"PostgreSQL: {database.source}; created database {database.name}")
    bench: Bench | None = None
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        # Zero job latency, the rate limit raised; its log line per request goes nowhere (the
        # stand-in's logging is not what is measured).
        sandbox = SandboxProcess("sandbox", Path(work))
        try:
            await sandbox.start(job_latency=0, rate_limit=SANDBOX_RATE_LIMIT, quiet=True)
            say(f"sandbox: {sandbox.rutter_url}")
            bench = Bench(config, database, sandbox, Path(work))
            yield bench
        finally:
            if bench is not None:
                await bench.close()
            await sandbox.stop()
            await database.drop()
            say(f"dropped database {database.name}")


async def run_suite(config: BenchConfig) -> dict[str, Any]:
    """Runs the benchmark and writes results.json, summary.md and the plots to `config.out_dir`."""
    async with bench_environment(config) as bench:
        results = await bench.run()
    config.out_dir.mkdir(parents=True, exist_ok=True)
    (config.out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plots = report.draw(results, config.out_dir)
    (config.out_dir / "summary.md").write_text(report.markdown(results, plots, config.out_dir) + "\n")
    return results


def parse_args(argv: list[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the invoice service against the Rutter sandbox (see bench/run.py).",
    )
    parser.add_argument("--quick", action="store_true", help="the smoke run: small N, seconds")
    parser.add_argument("--charges", type=int, help="charges per run (full 2000, quick 64)")
    parser.add_argument("--concurrency", help="comma-separated levels (default 1,16,64)")
    parser.add_argument(
        "--db-pool-size", type=int, help="DB_POOL_MAX_SIZE of the service and the baseline (20)"
    )
    parser.add_argument("--memory-invoices", type=int, help="invoices of the memory section (full 10000)")
    parser.add_argument(
        "--poll-initial-s",
        type=float,
        help="RUTTER_POLL_INITIAL_S for throughput/cost/memory (0.001; the deployed 0.5 adds 0.5 s to each)",
    )
    parser.add_argument("--sections", help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument(
        "--out", type=Path, help="output folder (full: bench/results, quick: bench/results/quick.tmp)"
    )
    parser.add_argument("--seed", type=int, help="random seed of the generated charges")
    parser.add_argument(
        "--rounds", type=int, help="service and baseline runs per concurrency, median kept (full 3, quick 1)"
    )
    parser.add_argument(
        "--history",
        type=int,
        help="charges invoiced before the sections and kept by every rewind (full 2000, quick 200)",
    )
    args = parser.parse_args(argv)
    config = BenchConfig.quick() if args.quick else BenchConfig.full()
    changes: dict[str, Any] = {}
    if args.charges is not None:
        changes["charges"] = args.charges
    if args.concurrency:
        changes["concurrency"] = tuple(int(level) for level in args.concurrency.split(","))
    if args.db_pool_size is not None:
        changes["db_pool_max_size"] = args.db_pool_size
    if args.memory_invoices is not None:
        changes["memory_invoices"] = args.memory_invoices
    if args.poll_initial_s is not None:
        changes["throughput_poll_initial_s"] = args.poll_initial_s
    if args.sections:
        sections = tuple(section.strip() for section in args.sections.split(","))
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
        changes["sections"] = sections
    if args.out is not None:
        changes["out_dir"] = args.out
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.history is not None:
        changes["history_charges"] = args.history
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error("--rounds must be at least 1")
        changes["throughput_rounds"] = args.rounds
    return replace(config, **changes)


def main(argv: list[str] | None = None) -> None:
    if not Path("/proc/self/stat").exists():
        raise SystemExit("the benchmark reads /proc: it runs on Linux only")
    config = parse_args(argv)
    started = time.monotonic()
    # On uvloop, as the service and the baseline: the load generator shares the cores it measures.
    results = uvloop.run(run_suite(config))
    print(report.markdown(results, report.plot_paths(config.out_dir), config.out_dir))
    say(f"done in {time.monotonic() - started:.0f} s; results in {config.out_dir}")
