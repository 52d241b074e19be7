"""The limit: the service's work done by a minimal script, no framework (asyncpg + aiohttp + json).

Per charge, the same reads (the charge with its organization and customers, its billable lines with
their products, accounting items and latest adjustment; the live-request check; the document-number
check), the same Rutter calls (create in async mode, then poll the job on the same schedule as the
service) and the same writes (the invoice_request row before the create; acc_uac_invoice, its
uac_line_item rows and the request's completion in one transaction afterwards). What it leaves out
is everything that makes the service a service: HTTP server and routing, validation models, error
mapping, recovery points (attempt counter and job id written before polling), lease renewal,
retries, logging and the response body.

The request row is written with a lease (owner and expiry, in the same INSERT, as the service writes
its own), never renewed, and cleared on completion. Without it the row looks abandoned (PENDING, no
lease) to the service under test, which stays up during the baseline's run: its recovery sweep
(every RECOVERY_INTERVAL_S) would claim the row and create the invoice again with the row's Rutter
idempotency key, the stand-in would replay the same job and invoice, and the service would store
that invoice before the baseline does (a unique violation on acc_uac_invoice.provider_entity_id
for the baseline).

Run by `python -m bench` as its own process:

    python -m bench.baseline --dsn DSN --rutter-url URL --ids FILE --concurrency N [--pool-size N]
                             [--warmup-ids FILE] [--poll-initial-s S]

It opens its pool, invoices the warm-up charges (if any), prints `ready`, waits for `go` on stdin,
invoices every charge of FILE (a JSON list of ids) with N workers, prints one JSON line (latencies,
wall time, its own CPU seconds), then waits for a line on stdin before it closes its connections
and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import resource
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

HEAD_SQL = """
SELECT i.organization_id, i.stream_customer_id, i.issue_date, i.due_date, i.currency_code AS charge_currency,
       i.document_number, i.memo, o.uac_access_token, uc.id AS uac_customer_id,
       uc.provider_entity_id AS rutter_customer_id, uc.currency_code::text AS customer_currency
FROM uac_invoice i
JOIN organization o ON o.id = i.organization_id
LEFT JOIN customer c ON c.customer_id = i.stream_customer_id
LEFT JOIN uac_customer uc ON uc.id = c.uac_customer_id
WHERE i.id = $1
"""

LINES_SQL = """
SELECT li.description, li.quantity, li.unit_amount, li.total_amount, ui.provider_entity_id AS rutter_item_id,
       adj.quantity AS adj_quantity, adj.unit_price AS adj_unit_price, adj.total_amount AS adj_total
FROM uac_line_item li
JOIN product p ON p.product_id = li.product_id
JOIN uac_item ui ON ui.id = p.uac_item_id
LEFT JOIN LATERAL (
    SELECT al.quantity, al.unit_price, al.total_amount FROM invoice_adjustment_line_item al
    WHERE al.invoice_line_item_id = li.id
    ORDER BY al.created_at DESC NULLS LAST, al.date_created DESC NULLS LAST,
             al.invoice_adjustment_line_item_id DESC
    LIMIT 1
) adj ON true
WHERE li.uac_invoice_id = $1 AND li.suppress_line_item IS FALSE
ORDER BY li.sort_order, li.created_at, li.id
"""

LIVE_SQL = "SELECT 1 FROM invoice_request WHERE active_charge_id = $1"
DOCUMENT_SQL = "SELECT 1 FROM acc_uac_invoice WHERE organization_id = $1 AND document_number = $2 LIMIT 1"

INSERT_REQUEST_SQL = """
INSERT INTO invoice_request (id, charge_id, organization_id, active_charge_id, status, send_email,
                             rutter_idempotency_key, rutter_version, rutter_request_body,
                             lease_owner, lease_expires_at)
VALUES ($1, $2, $3, $2, 'PENDING', false, $4, $5, $6::jsonb, $7, now() + make_interval(secs => $8))
"""

INSERT_INVOICE_SQL = """
INSERT INTO acc_uac_invoice (
    organization_id, provider_entity_id, platform_id, account_id, customer_id, stream_customer_id,
    subsidiary_id, issue_date, due_date, status, memo, document_number, currency_code, amount_due,
    total_amount, sub_total, tax_amount, total_discount, platform_url
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uac_bill_status, $11, $12, $13, $14, $15, $16, $17, $18,
          $19)
RETURNING id
"""

INSERT_LINE_SQL = """
INSERT INTO uac_line_item (
    acc_uac_invoice_id, provider_entity_id, platform_id, account_id, item_id, tax_rate_id, description,
    quantity, unit_amount, total_amount, sub_total, tax_amount, discount_amount, discount_percentage,
    sort_order
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
"""

COMPLETE_SQL = """
UPDATE invoice_request
SET status = 'COMPLETED', acc_uac_invoice_id = $2, rutter_invoice_id = $3, rutter_job_id = $4,
    lease_owner = NULL, lease_expires_at = NULL, completed_at = now(), updated_at = now()
WHERE id = $1
"""

FINISHED = frozenset({"success", "partial_success", "failure"})
# The lease on the baseline's own requests: not renewed, so long enough for any one invoice.
LEASE_OWNER = "bench-baseline"
LEASE_S = 3600.0
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Settings:
    rutter_url: str  # without /versioned
    client_id: str
    client_secret: str
    version: str
    poll_initial_s: float
    poll_factor: float
    poll_max_s: float


class BaselineError(Exception):
    """One charge could not be invoiced."""


def _number(value: Decimal | float | None) -> int | float | None:
    if value is None:
        return None
    decimal = value if isinstance(value, Decimal) else Decimal(str(value))
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def _timestamp(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def build_invoice(head: asyncpg.Record, lines: list[asyncpg.Record]) -> dict[str, Any]:
    """The `invoice` object of Rutter's create body, as the service builds it for 2023-03-14."""
    if not lines:
        raise BaselineError("no billable line items")
    body: dict[str, Any] = {
        "customer_id": head["rutter_customer_id"],
        "issue_date": _timestamp(head["issue_date"]),
        "due_date": _timestamp(head["due_date"]),
        "currency_code": head["customer_currency"] or head["charge_currency"],
    }
    if head["document_number"]:
        body["document_number"] = head["document_number"]
    if head["memo"]:
        body["memo"] = head["memo"]
    rutter_lines = []
    for line in lines:
        adjusted = line["adj_total"] is not None
        quantity = line["adj_quantity"] if adjusted else line["quantity"]
        unit = line["adj_unit_price"] if adjusted else line["unit_amount"]
        total = Decimal(str(line["adj_total"])) if adjusted else line["total_amount"]
        item: dict[str, Any] = {"id": line["rutter_item_id"]}
        if quantity is not None:
            item["quantity"] = _number(quantity)
        if unit is not None:
            item["unit_amount"] = _number(unit)
        rutter_line: dict[str, Any] = {"total_amount": _number(total.quantize(_CENT, ROUND_HALF_UP))}
        if line["description"] is not None:
            rutter_line["description"] = line["description"]
        rutter_line["item"] = item
        rutter_lines.append(rutter_line)
    body["line_items"] = rutter_lines
    return body


class Baseline:
    def __init__(self, pool: asyncpg.Pool, http: aiohttp.ClientSession, settings: Settings) -> None:
        self.pool = pool
        self.http = http
        self.settings = settings
        credentials = f"{settings.client_id}:{settings.client_secret}".encode()
        self.headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "X-Rutter-Version": settings.version,
            "Accept": "application/json",
        }

    async def invoice(self, charge_id: str) -> None:
        """Reads, creates and polls, writes back: one charge, end to end."""
        request_id = str(uuid.uuid4())
        rutter_key = str(uuid.uuid4())
        async with self.pool.acquire() as connection:
            head = await connection.fetchrow(HEAD_SQL, charge_id)
            if head is None:
                raise BaselineError(f"no charge {charge_id}")
            lines = await connection.fetch(LINES_SQL, charge_id)
            if await connection.fetchval(LIVE_SQL, charge_id):
                raise BaselineError(f"charge {charge_id} is already being invoiced")
            if head["document_number"] and await connection.fetchval(
                DOCUMENT_SQL, head["organization_id"], head["document_number"]
            ):
                raise BaselineError(f"document number {head['document_number']} is taken")
            payload = {"response_mode": "async", "invoice": build_invoice(head, lines)}
            await connection.execute(
                INSERT_REQUEST_SQL,
                request_id,
                charge_id,
                head["organization_id"],
                rutter_key,
                self.settings.version,
                json.dumps(payload),
                LEASE_OWNER,
                LEASE_S,
            )

        job_id = await self._create(payload, head["uac_access_token"], rutter_key)
        invoice = await self._wait(job_id)

        async with self.pool.acquire() as connection, connection.transaction():
            invoice_id = await connection.fetchval(
                INSERT_INVOICE_SQL,
                head["organization_id"],
                invoice["id"],
                invoice.get("platform_id"),
                invoice.get("account_id"),
                head["uac_customer_id"],
                head["stream_customer_id"],
                invoice.get("subsidiary_id"),
                _datetime(invoice.get("issue_date")),
                _datetime(invoice.get("due_date")),
                invoice.get("status"),
                invoice.get("memo"),
                invoice.get("document_number"),
                invoice.get("currency_code"),
                _decimal(invoice.get("amount_due")),
                _decimal(invoice.get("total_amount")),
                _decimal(invoice.get("sub_total")),
                _decimal(invoice.get("tax_amount")),
                _decimal(invoice.get("total_discount")),
                invoice.get("platform_url"),
            )
            await connection.executemany(
                INSERT_LINE_SQL,
                [
                    (
                        invoice_id,
                        line.get("item_id"),
                        line.get("platform_id"),
                        line.get("account_id"),
                        line.get("item_id"),
                        line.get("tax_rate_id"),
                        line.get("description"),
                        _float(line.get("quantity")),
                        _float(line.get("unit_amount")),
                        _decimal(line.get("total_amount", line.get("amount"))),
                        _float(line.get("sub_total")),
                        _float(line.get("tax_amount")),
                        _float(line.get("discount_amount")),
                        _float(line.get("discount_percentage")),
                        position,
                    )
                    for position, line in enumerate(invoice.get("line_items") or [])
                ],
            )
            await connection.execute(COMPLETE_SQL, request_id, invoice_id, invoice["id"], job_id)

    async def _create(self, payload: dict[str, Any], access_token: str, key: str) -> str:
        async with self.http.post(
            f"{self.settings.rutter_url}/versioned/accounting/invoices",
            params={"access_token": access_token},
            data=json.dumps(payload).encode(),
            headers={**self.headers, "Content-Type": "application/json", "Idempotency-Key": key},
        ) as response:
            body = await response.json()
            if response.status != 200:
                raise BaselineError(f"create answered {response.status}: {body}")
        return str(body["async_response"]["id"])

    async def _wait(self, job_id: str) -> dict[str, Any]:
        wait = self.settings.poll_initial_s
        while True:
            await asyncio.sleep(wait)
            async with self.http.get(
                f"{self.settings.rutter_url}/versioned/jobs/{job_id}", headers=self.headers
            ) as response:
                job = await response.json()
                if response.status != 200:
                    raise BaselineError(f"job poll answered {response.status}: {job}")
            if job["status"] in FINISHED:
                result = job.get("response") or {}
                if job["status"] == "failure" or result.get("http_status", 500) >= 400:
                    raise BaselineError(f"job {job_id} failed: {result}")
                invoice: dict[str, Any] = result["body"]["invoice"]
                return invoice
            wait = min(wait * self.settings.poll_factor, self.settings.poll_max_s)


@dataclass
class RunResult:
    latencies_s: list[float]
    errors: list[str]
    wall_s: float


async def run(baseline: Baseline, charge_ids: list[str], concurrency: int) -> RunResult:
    """Invoices every charge with `concurrency` workers; each latency is one charge end to end."""
    pending = iter(charge_ids)
    latencies: list[float] = []
    errors: list[str] = []

    async def worker() -> None:
        for charge_id in pending:
            started = time.perf_counter()
            try:
                await baseline.invoice(charge_id)
            except (BaselineError, asyncpg.PostgresError, aiohttp.ClientError, KeyError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return RunResult(latencies_s=latencies, errors=errors, wall_s=time.perf_counter() - started)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _read_line() -> str:
    line: str = await asyncio.to_thread(sys.stdin.readline)
    return line.strip()


def _ids(path: str | None) -> list[str]:
    return [str(charge_id) for charge_id in json.loads(Path(path).read_text())] if path else []


async def main_async(args: argparse.Namespace, charge_ids: list[str], warmup: list[str]) -> None:
    settings = Settings(
        rutter_url=args.rutter_url.rstrip("/").removesuffix("/versioned"),
        client_id=args.client_id,
        client_secret=args.client_secret,
        version=args.version,
        poll_initial_s=args.poll_initial_s,
        poll_factor=args.poll_factor,
        poll_max_s=args.poll_max_s,
    )
    pool = await asyncpg.create_pool(args.dsn, min_size=args.pool_size, max_size=args.pool_size)
    assert pool is not None
    connector = aiohttp.TCPConnector(limit=max(100, args.concurrency))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        baseline = Baseline(pool, http, settings)
        if warmup:
            await run(baseline, warmup, args.concurrency)
        print("ready", flush=True)
        if await _read_line() != "go":
            return
        cpu_before = _cpu_seconds()
        result = await run(baseline, charge_ids, args.concurrency)
        report = {
            "invoices": len(charge_ids),
            "ok": len(result.latencies_s),
            "errors": len(result.errors),
            "error_samples": result.errors[:5],
            "wall_s": result.wall_s,
            "cpu_s": _cpu_seconds() - cpu_before,
            "latencies_s": result.latencies_s,
        }
        print(json.dumps(report), flush=True)
        await _read_line()  # the benchmark reads the server's counters before the connections go away
    await pool.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument(
        "--rutter-url", required=True, help="the sandbox's base URL (with or without /versioned)"
    )
    parser.add_argument("--ids", required=True, help="a JSON file holding the list of charge ids to invoice")
    parser.add_argument(
        "--warmup-ids", help="a JSON file of charge ids to invoice before 'ready' (not measured)"
    )
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument("--version", default="2023-03-14")
    parser.add_argument("--poll-initial-s", type=float, default=0.5)
    parser.add_argument("--poll-factor", type=float, default=1.5)
    parser.add_argument("--poll-max-s", type=float, default=5.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    # The same event loop as the service: uvicorn runs on uvloop (uvicorn[standard]).
    import uvloop

    uvloop.run(main_async(args, _ids(args.ids), _ids(args.warmup_ids)))


if __name__ == "__main__":
    main()
