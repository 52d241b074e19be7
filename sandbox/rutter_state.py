"""The Rutter sandbox's configuration and in-memory state: connections, jobs, invoices,
idempotency records, rate-limit windows, scripted faults and the request log.

Tests running the sandbox in-process may use `RutterState` directly (it is what the `/_sandbox/...`
control endpoints call); everything here runs on the event loop of the app, without locks.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web

from sandbox.money import money_string
from sandbox.rutter_schema import CreateInvoiceRequest

# Stable ids for connections and organizations derived from an access token.
_NAMESPACE = uuid.UUID("6f1c1f5e-2d0c-4a47-9f51-6a1f3f1e0b7d")

CreateFaultKind = Literal["rate_limit", "platform_rate_limit", "server_error", "drop_connection"]
CREATE_FAULT_KINDS: tuple[CreateFaultKind, ...] = (
    "rate_limit",
    "platform_rate_limit",
    "server_error",
    "drop_connection",
)
DEFAULT_FAULT_STATUS: dict[str, int] = {
    "rate_limit": 429,
    "platform_rate_limit": 452,
    "server_error": 500,
    "drop_connection": 0,  # no status: the connection is closed
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Rutter's timestamp format, e.g. 2023-01-02T02:34:56.000Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ConnectionConfig:
    """An access token the sandbox accepts, and the connection it stands for."""

    access_token: str
    platform: str = "QUICKBOOKS"
    connection_id: str | None = None
    org_id: str | None = None  # give several tokens the same org_id to share a rate-limit window


@dataclass
class RutterConfig:
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"  # noqa: S105 - a sandbox default, not a secret
    # Any token starting with this prefix is a connection of its own; None accepts listed tokens only.
    access_token_prefix: str | None = "access-sandbox-"  # noqa: S105
    connections: list[ConnectionConfig] = field(default_factory=list)
    default_platform: str = "QUICKBOOKS"
    job_latency: float = 0.2  # seconds from job creation to success/failure
    prefer_sync_timeout: float = 30.0  # prefer_sync waits this long for the job, then answers async
    rate_limit: int = 500  # requests per organization ...
    rate_window: float = 10.0  # ... per this many seconds
    not_found_status: int = 404  # Rutter answers 404 or 410 for an unknown id
    public_url: str | None = None  # base of response_url / pdf_link; default: the request's own host
    request_log_size: int = 1000


@dataclass(frozen=True)
class Connection:
    id: str
    org_id: str
    platform: str
    access_token: str = field(repr=False)

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "orgId": self.org_id, "platform": self.platform}


@dataclass
class StoredLine:
    platform_id: str
    rutter_id: str
    total_amount: Decimal
    description: str | None
    account_id: str | None
    class_id: str | None
    location_id: str | None
    tax_rate_id: str | None
    item_id: str | None
    has_item: bool
    quantity: Decimal
    unit_amount: Decimal
    discount_amount: Decimal | None
    tax_amount: Decimal
    additional_fields: dict[str, Any] | None


@dataclass
class StoredInvoice:
    """A created invoice, version-neutral; `sandbox.rutter_render` shapes it per version."""

    id: str
    platform_id: str
    connection: Connection
    created_version: str
    customer_id: str
    account_id: str
    class_id: str | None
    payment_terms_id: str | None
    subsidiary_id: str | None
    issue_date: str
    due_date: str | None
    status: str
    currency_code: str
    document_number: str
    memo: str | None
    lines: list[StoredLine]
    addresses: list[dict[str, Any]]
    discount_amount: Decimal
    internal_memo: str | None
    po_number: str | None
    shipping_amount: Decimal | None
    billing_email: str | None
    created_at: datetime
    idempotency_key: str | None
    job_id: str

    @property
    def sub_total(self) -> Decimal:
        return sum((line.total_amount for line in self.lines), Decimal(0))

    @property
    def tax_amount(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), Decimal(0))

    @property
    def total_amount(self) -> Decimal:
        return self.sub_total + self.tax_amount


@dataclass(frozen=True)
class JobFailure:
    http_status: int = 450
    error_type: str = "PLATFORM_ERROR"
    error_code: str = "PLATFORM_BAD_REQUEST"
    error_message: str = "The accounting platform rejected the invoice (sandbox-injected failure)."

    def body(self) -> dict[str, str]:
        return {
            "error_type": self.error_type,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }


@dataclass(frozen=True)
class CreateFault:
    """What the next create answers. `drop_connection` and an accepted `server_error` happen after
    the create was accepted (invoice and job exist); the others instead of accepting it."""

    kind: CreateFaultKind
    status: int
    retry_after: int | None = None
    accept: bool = False
    error_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def after_accept(self) -> bool:
        return self.kind == "drop_connection" or (self.kind == "server_error" and self.accept)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "retry_after": self.retry_after,
            "accept": self.accept,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }


@dataclass
class Job:
    id: str
    connection: Connection
    version: str
    request: dict[str, Any]
    parsed: CreateInvoiceRequest
    idempotency_key: str | None
    failure: JobFailure | None
    created_at: datetime
    status: str = "prequeued"
    response: dict[str, Any] | None = None
    finished_at: datetime | None = None
    invoice_id: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "status": self.status, "request": self.request}
        if self.response is not None:
            body["response"] = self.response
        return body


@dataclass
class IdempotencyRecord:
    client_id: str
    key: str
    fingerprint: str
    job_id: str
    response_mode: str
    created_at: datetime
    response: tuple[int, dict[str, Any]] | None = None  # the first answer, replayed as it was


class RateLimiter:
    """A sliding window of request times per organization."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def hit(self, org_id: str, limit: int, window: float, now: float) -> int | None:
        """Counts the request; returns None when allowed, else the seconds to wait (Retry-After)."""
        hits = self._hits.setdefault(org_id, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            wait = hits[0] + window - now if hits else window
            return max(1, int(wait + 0.999))
        hits.append(now)
        return None

    def clear(self) -> None:
        self._hits.clear()


def _no_finisher(job: Job) -> None:
    raise RuntimeError("no app runs this state: nothing can finish its jobs")


class RutterState:
    """Everything the Rutter sandbox remembers; `reset()` forgets it and restores the configuration."""

    def __init__(self, config: RutterConfig) -> None:
        self.initial_config = config
        self.config = RutterConfig(**vars(config))
        self.connections: dict[str, Connection] = {}
        self.jobs: dict[str, Job] = {}
        self.invoices: dict[str, StoredInvoice] = {}
        self.idempotency: dict[tuple[str, str], IdempotencyRecord] = {}
        self.create_faults: deque[CreateFault] = deque()
        self.job_failures: deque[JobFailure] = deque()
        self.requests: deque[dict[str, Any]] = deque(maxlen=config.request_log_size)
        self.rate_limiter = RateLimiter()
        self.platform_counter = 1000
        # hold_jobs(): new jobs stay pending, without timers, until release_jobs() finishes them.
        self.holding_jobs = False
        self.held_jobs: list[Job] = []
        # How a job ends (its invoice or its failure); sandbox.rutter installs it with the app.
        self.finish_job: Callable[[Job], None] = _no_finisher
        self._load_connections()

    def _load_connections(self) -> None:
        self.connections = {}
        for item in self.config.connections:
            self.connections[item.access_token] = Connection(
                id=item.connection_id or str(uuid.uuid5(_NAMESPACE, "connection:" + item.access_token)),
                org_id=item.org_id or str(uuid.uuid5(_NAMESPACE, "org:" + item.access_token)),
                platform=item.platform,
                access_token=item.access_token,
            )

    # --- connections ------------------------------------------------------------------------

    def connection_for(self, token: str | None) -> Connection | None:
        if not token:
            return None
        known = self.connections.get(token)
        if known is not None:
            return known
        prefix = self.config.access_token_prefix
        if prefix and token.startswith(prefix) and len(token) > len(prefix):
            connection = Connection(
                id=str(uuid.uuid5(_NAMESPACE, "connection:" + token)),
                org_id=str(uuid.uuid5(_NAMESPACE, "org:" + token)),
                platform=self.config.default_platform,
                access_token=token,
            )
            self.connections[token] = connection
            return connection
        return None

    # --- scripting (used by the control API and by in-process tests) -------------------------

    def queue_create_fault(self, fault: CreateFault, count: int = 1) -> None:
        self.create_faults.extend([fault] * count)

    def fail_next_creates(
        self,
        kind: CreateFaultKind,
        count: int = 1,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        accept: bool = False,
        error_type: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> CreateFault:
        """Scripts the next `count` creates (see CreateFault); status and Retry-After get defaults."""
        if kind not in CREATE_FAULT_KINDS:
            raise ValueError(f"unknown fault kind '{kind}'")
        if retry_after is None and kind == "rate_limit":
            retry_after = 1
        fault = CreateFault(
            kind=kind,
            status=status or DEFAULT_FAULT_STATUS[kind],
            retry_after=retry_after,
            accept=accept,
            error_type=error_type,
            error_code=error_code,
            error_message=error_message,
        )
        self.queue_create_fault(fault, count)
        return fault

    def queue_job_failure(self, failure: JobFailure | None = None, count: int = 1) -> None:
        """The next `count` jobs end in `failure` (default: 450 PLATFORM_ERROR) and create no invoice."""
        self.job_failures.extend([failure or JobFailure()] * count)

    def hold_jobs(self) -> None:
        """Jobs created from now on stay `pending` (job_latency does not apply) until `release_jobs()`:
        for tests that need a job still running at some point, however slow the machine."""
        self.holding_jobs = True

    def release_jobs(self) -> int:
        """Stops holding and finishes every held job now, oldest first (an invoice, or the failure
        scripted for it); returns how many."""
        self.holding_jobs = False
        held, self.held_jobs = self.held_jobs, []
        for job in held:
            self.finish_job(job)
        return len(held)

    def configure(self, **changes: Any) -> None:
        """Changes settings at run time (job_latency, prefer_sync_timeout, rate_limit, ...)."""
        for name, value in changes.items():
            if not hasattr(self.config, name) or name in {"connections", "request_log_size"}:
                raise ValueError(f"unknown or fixed setting '{name}'")
            setattr(self.config, name, value)

    def reset(self) -> None:
        for job in self.jobs.values():
            for timer in job.timers:
                timer.cancel()
        self.config = RutterConfig(**vars(self.initial_config))
        self._load_connections()
        self.jobs.clear()
        self.invoices.clear()
        self.idempotency.clear()
        self.create_faults.clear()
        self.job_failures.clear()
        self.requests.clear()
        self.rate_limiter.clear()
        self.platform_counter = 1000
        self.holding_jobs = False
        self.held_jobs = []

    def shutdown(self) -> None:
        for job in self.jobs.values():
            for timer in job.timers:
                timer.cancel()

    # --- faults ------------------------------------------------------------------------------

    def take_create_fault(self, *, after_accept: bool) -> CreateFault | None:
        """The next scripted fault if it applies at this point of a create, else None."""
        if self.create_faults and self.create_faults[0].after_accept == after_accept:
            return self.create_faults.popleft()
        return None

    def take_job_failure(self) -> JobFailure | None:
        return self.job_failures.popleft() if self.job_failures else None

    def next_platform_id(self) -> str:
        self.platform_counter += 1
        return str(self.platform_counter)

    # --- reports -----------------------------------------------------------------------------

    def invoice_summary(self) -> dict[str, Any]:
        per_key: dict[str, int] = {}
        for invoice in self.invoices.values():
            if invoice.idempotency_key is not None:
                per_key[invoice.idempotency_key] = per_key.get(invoice.idempotency_key, 0) + 1
        return {
            "count": len(self.invoices),
            "by_idempotency_key": per_key,
            "invoices": [
                {
                    "id": invoice.id,
                    "platform_id": invoice.platform_id,
                    "document_number": invoice.document_number,
                    "customer_id": invoice.customer_id,
                    "currency_code": invoice.currency_code,
                    "total_amount": money_string(invoice.total_amount),
                    "connection_id": invoice.connection.id,
                    "org_id": invoice.connection.org_id,
                    "idempotency_key": invoice.idempotency_key,
                    "job_id": invoice.job_id,
                    "version": invoice.created_version,
                    "created_at": iso(invoice.created_at),
                }
                for invoice in self.invoices.values()
            ],
        }

    def jobs_summary(self) -> list[dict[str, Any]]:
        return [
            {
                "id": job.id,
                "status": job.status,
                "version": job.version,
                "connection_id": job.connection.id,
                "idempotency_key": job.idempotency_key,
                "invoice_id": job.invoice_id,
                "created_at": iso(job.created_at),
                "finished_at": iso(job.finished_at) if job.finished_at else None,
                "http_status": job.response["http_status"] if job.response else None,
            }
            for job in self.jobs.values()
        ]


RUTTER_STATE = web.AppKey("rutter_state", RutterState)
