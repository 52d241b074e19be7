"""`python -m bench.scale`: the command (see the package's docstring)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import bench.scale
from api.paths import PROJECT_ROOT
from bench.scale.abandoned import run_abandoned
from bench.scale.batch import BatchScenario, run_batch
from bench.scale.cluster import StandIn
from bench.scale.report import AbandonedReport, BatchReport
from devkit import embedded


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share of the charges, from 0 to 1")
    return value


def parser() -> argparse.ArgumentParser:
    doc = bench.scale.__doc__ or ""
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=doc.splitlines()[0],
        epilog=doc.split("\n\n", 1)[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--charges", type=int, default=1500, help="charges in the batch")
    parser.add_argument("--rate-limit", type=int, default=100, help="the stand-in's requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="the stand-in's window (seconds)")
    parser.add_argument("--replicas", type=int, default=2, help="API processes (with in-process workers)")
    parser.add_argument("--workers", type=int, default=2, help="python -m api.worker processes")
    parser.add_argument("--job-latency", type=float, default=0.2, help="the stand-in's Rutter job time")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    batch = parser.add_argument_group("the batch run")
    batch.add_argument(
        "--kill-worker-at",
        type=_share,
        metavar="SHARE",
        help="SIGKILL the first worker process once this share of the charges is done",
    )
    batch.add_argument(
        "--replace-worker", action="store_true", help="start a new worker process in the killed one's place"
    )
    batch.add_argument(
        "--interactive",
        type=int,
        default=0,
        metavar="N",
        help="POST /invoices for N other charges of the organization, spaced over the batch, timed",
    )
    batch.add_argument(
        "--job-heartbeat",
        type=float,
        metavar="S",
        help="BATCH_JOB_HEARTBEAT_S: a dead worker's jobs run again after this (default: the service's)",
    )
    abandoned = parser.add_argument_group("the abandoned-requests run (instead of a batch)")
    abandoned.add_argument(
        "--abandoned",
        type=int,
        metavar="N",
        help="N POST /invoices recorded by a replica that is then SIGKILLed; the --replicas others' "
        "recovery sweeps finish them (no worker process runs)",
    )
    abandoned.add_argument(
        "--lease", type=float, default=10.0, help="INVOICE_LEASE_S of every replica (default: 10)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.replicas < 1 or args.charges < 1:
        parser().error("--replicas and --charges must be at least 1")
    if args.kill_worker_at is not None and args.workers < 1:
        parser().error("--kill-worker-at needs a worker process (--workers 1 or more)")
    stand_in = StandIn(rate_limit=args.rate_limit, window_s=args.window, job_latency_s=args.job_latency)
    server_dsn = embedded.server_dsn(args.database_url, PROJECT_ROOT / ".data" / "bench-postgres")
    log_dir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    report: BatchReport | AbandonedReport
    if args.abandoned is not None:
        report = asyncio.run(
            run_abandoned(
                requests=args.abandoned,
                replicas=args.replicas,
                lease_s=args.lease,
                stand_in=stand_in,
                server_dsn=server_dsn,
                log_dir=log_dir,
            )
        )
    else:
        scenario = BatchScenario(
            charges=args.charges,
            replicas=args.replicas,
            workers=args.workers,
            kill_worker_at=args.kill_worker_at,
            replace_worker=args.replace_worker,
            interactive=args.interactive,
        )
        settings = {} if args.job_heartbeat is None else {"batch_job_heartbeat_s": args.job_heartbeat}
        report = asyncio.run(
            run_batch(scenario, stand_in, server_dsn=server_dsn, log_dir=log_dir, settings=settings)
        )
    print(report.table())
    return 0 if report.sound else 1


if __name__ == "__main__":
    sys.exit(main())
