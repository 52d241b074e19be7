"""`python -m api.batches`: create a batch of an organization's charges and follow it to the end.

    python -m api.batches create --org ORG_ID --from 2024-05-01 --to 2024-05-31 [--send-email] [--follow]
    python -m api.batches show BATCH_ID [--follow]
    python -m api.batches cancel BATCH_ID

Works on DATABASE_URL's database directly, as an operator (every organization); the batch is run by
the workers (the API's own, WORKERS_IN_PROCESS, or `python -m api.worker`). `--follow` prints a
progress line (counts, rate, ETA) every `--interval` seconds and a summary at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
from collections import Counter
from typing import TextIO

import asyncpg
from pydantic import ValidationError

from api.batches.schemas import CreateBatchRequest, InvoiceBatch
from api.batches.service import BatchService
from api.config import get_settings
from api.db.pool import create_pool
from api.errors import ServiceError

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _uuid(value: str) -> str:
    if not _UUID.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a UUID")
    return value.lower()


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m api.batches",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="invoice an organization's charges issued in a date range")
    create.add_argument("--org", type=_uuid, required=True, metavar="ORG_ID")
    create.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    create.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    create.add_argument("--send-email", action="store_true", default=None, help="email every invoice")
    for command in (create, show := commands.add_parser("show", help="a batch's counts")):
        command.add_argument("--follow", action="store_true", help="follow the batch to its end")
        command.add_argument("--interval", type=float, default=2.0, help="seconds between progress lines")
    show.add_argument("batch_id", type=_uuid, metavar="BATCH_ID")
    cancel = commands.add_parser("cancel", help="skip the charges not started")
    cancel.add_argument("batch_id", type=_uuid, metavar="BATCH_ID")
    return parser


def _duration(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    )


def progress_line(batch: InvoiceBatch) -> str:
    """`batch … RUNNING | 270/1500 done (266 completed, 4 failed, 0 skipped), 16 running, 1214 queued
    | 6.6/s | ETA 3m05s`: charges finished per second since the first started, and the time left
    at that rate."""
    c = batch.counts
    done = c.completed + c.failed + c.skipped
    rate = done / batch.elapsed_s if batch.elapsed_s else 0.0
    left = c.queued + c.running
    eta = _duration(left / rate) if rate > 0 and left else "-" if left else "0s"
    return (
        f"batch {batch.id} {batch.status} | {done}/{c.total} done ({c.completed} completed, "
        f"{c.failed} failed, {c.skipped} skipped), {c.running} running, {c.queued} queued "
        f"| {rate:.1f}/s | ETA {eta}"
    )


async def summary(service: BatchService, batch: InvoiceBatch) -> list[str]:
    c = batch.counts
    took = _duration(batch.elapsed_s or 0.0)
    rate = (c.completed + c.failed + c.skipped) / batch.elapsed_s if batch.elapsed_s else 0.0
    lines = [
        f"batch {batch.id} {batch.status} in {took}: {c.completed} completed, {c.failed} failed, "
        f"{c.skipped} skipped of {c.total} ({rate:.1f} charges/s)"
    ]
    codes: Counter[str] = Counter()
    cursor = -1
    while True:
        page = await service.page(batch.id, cursor=cursor, limit=1000, status="FAILED")
        codes.update(str((item.outcome or {}).get("error", {}).get("code")) for item in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    if codes:
        lines.append("failed: " + ", ".join(f"{code} {count}" for code, count in codes.most_common()))
    return lines


async def follow(service: BatchService, batch_id: str, interval_s: float, out: TextIO) -> InvoiceBatch:
    while True:
        batch = await service.get(batch_id)
        print(progress_line(batch), file=out, flush=True)
        if batch.status == "COMPLETED" or (batch.status == "CANCELLED" and batch.counts.running == 0):
            return batch
        await asyncio.sleep(interval_s)


async def _run(args: argparse.Namespace, dsn: str, out: TextIO, queue_dsn: str | None = None) -> int:
    settings = get_settings()
    pool = await create_pool(
        dsn, min_size=1, max_size=2, statement_cache_size=settings.db_statement_cache_size
    )
    try:
        service = BatchService(pool, queue_dsn or dsn, organization_id=None)
        if args.command == "create":
            try:
                body = CreateBatchRequest(
                    organization_id=args.org,
                    issue_date_from=args.date_from,
                    issue_date_to=args.date_to,
                    send_email=args.send_email,
                )
            except ValidationError as exc:
                print(f"error: {exc.errors()[0]['msg']}", file=sys.stderr)
                return 2
            batch, _ = await service.create(body, None)
            print(f"created batch {batch.id}: {batch.counts.total} charges", file=out, flush=True)
        elif args.command == "cancel":
            batch = await service.cancel(args.batch_id)
            print(progress_line(batch), file=out)
            return 0
        else:
            batch = await service.get(args.batch_id)
        if args.follow:
            batch = await follow(service, batch.id, args.interval, out)
            for line in await summary(service, batch):
                print(line, file=out)
        elif args.command == "show":
            print(progress_line(batch), file=out)
        return 0
    except ServiceError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await pool.close()


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    dsn = settings.database_url
    if not dsn:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, dsn, out, settings.queue_database_url))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


async def run_async(argv: list[str], dsn: str, out: TextIO) -> int:
    """The CLI inside a running event loop (tests)."""
    return await _run(_parser().parse_args(argv), dsn, out)


if __name__ == "__main__":
    sys.exit(main())
