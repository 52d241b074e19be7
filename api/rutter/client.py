"""The Rutter client: create an invoice, follow its async job, fetch an invoice's PDF link.

One shared `aiohttp.ClientSession` is passed in. Every call is retried as `retry.py` describes and
logged as one line per HTTP attempt on the `api.rutter` logger, without query string or credentials.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import ValidationError
from yarl import URL

from api.config import Settings
from api.rutter import budget
from api.rutter.errors import (
    RutterIdempotencyConflict,
    RutterJobTimeout,
    RutterNotConfigured,
    RutterOutcomeUnknown,
    RutterRejected,
    RutterUnavailable,
    classify_transport_error,
    rejected,
    retry_after_s,
    unreadable,
    unreadable_create,
)
from api.rutter.retry import Clock, RetryPolicy, Sleep, call_with_retries
from api.rutter.schemas import AsyncResponse, CreateResult, Job, JobInvoiceBody, RutterInvoice
from api.values import json_number

logger = logging.getLogger("api.rutter")

# `GET /accounting/invoices/{id}/pdf` is documented from this version on, whatever RUTTER_VERSION says.
PDF_LINK_VERSION = "2024-08-31"
# Statuses worth another try besides 5xx: request timeout, too early, Rutter's and the platform's rate limits.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 452})
# Connecting may not eat the whole request timeout: a dead host should fail fast and be retried.
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class _Reply:
    """A 2xx answer: its status, body as received and headers (each caller parses what it expects)."""

    status: int
    raw: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        """The body as JSON; None when it is not JSON."""
        return _json_or_none(self.raw)


@dataclass(frozen=True)
class CreateBody:
    """Rutter's create-invoice body: the document, and the bytes sent (encoded once, stored as sent)."""

    document: dict[str, Any]
    encoded: bytes


def create_body(invoice: Mapping[str, Any]) -> CreateBody:
    """Rutter's create-invoice body around the `invoice` object: always in async mode (a job to poll).
    Decimals go out as JSON numbers."""
    document = {"response_mode": "async", "invoice": invoice}
    return CreateBody(document, json.dumps(document, default=_json_default, allow_nan=False).encode())


class RutterClient:
    """Calls Rutter's unified accounting API with the service's credentials and version."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._session = session
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self._retry_policy = retry_policy or RetryPolicy.from_settings(settings)
        base = settings.rutter_base_url.rstrip("/")
        self._base_url = base if base.endswith("/versioned") else f"{base}/versioned"
        # Built once: the credentials and the usual timeout are the same on every call.
        self._base_path = URL(self._base_url).path.rstrip("/")
        self._authorization = (
            _basic_auth(settings.rutter_client_id, settings.rutter_client_secret.get_secret_value())
            if settings.rutter_client_id and settings.rutter_client_secret is not None
            else None
        )
        self._default_timeout = _client_timeout(settings.rutter_request_timeout_s)

    async def create_invoice(
        self,
        body: CreateBody,
        *,
        access_token: str,
        idempotency_key: str,
        version: str | None = None,
    ) -> CreateResult:
        """Asks Rutter to create the invoice in async mode; the result holds the job id to poll.

        Should Rutter answer synchronously anyway, the result holds the invoice instead. Every retry
        sends the same `idempotency_key`, which is what makes retrying a lost answer safe; `version`
        (default RUTTER_VERSION) must be the one of the first attempt. Raises `RutterRejected`,
        `RutterIdempotencyConflict`, or `RutterOutcomeUnknown` / `RutterUnavailable` once retries are spent.
        """
        answer = await self._call(
            "POST",
            "/accounting/invoices",
            access_token=access_token,
            version=version,
            extra_headers={"Content-Type": "application/json", "Idempotency-Key": idempotency_key},
            data=body.encoded,
            applies_changes=True,
        )
        parsed = answer.json()
        reply = parsed if isinstance(parsed, dict) else {}
        try:
            if isinstance(reply.get("async_response"), dict):
                return CreateResult(job_id=AsyncResponse.model_validate(reply["async_response"]).id)
            if isinstance(reply.get("invoice"), dict):
                return CreateResult(invoice=RutterInvoice.model_validate(reply["invoice"]))
        except ValidationError as exc:
            raise unreadable_create(answer.status) from exc
        # An accepted request carries the job id in a header even when the body is not what we expect.
        job_id = answer.headers.get("X-Rutter-Job-ID")
        if job_id:
            return CreateResult(job_id=job_id)
        raise unreadable_create(answer.status)

    async def wait_for_job(self, job_id: str, *, deadline_s: float) -> RutterInvoice:
        """Polls the job until it ends or `deadline_s` seconds have passed; returns the created invoice.

        Waits grow from RUTTER_POLL_INITIAL_S by RUTTER_POLL_FACTOR up to RUTTER_POLL_MAX_S, the last
        one cut to end at the deadline, where one final poll is made. Raises `RutterRejected` when the
        job failed, `RutterJobTimeout` when it is still running (or unreadable) at the deadline, and
        `RutterOutcomeUnknown` when it succeeded without an invoice we can read.
        """
        settings = self._settings
        deadline = self._clock() + deadline_s
        wait = settings.rutter_poll_initial_s
        while True:
            pause = min(wait, deadline - self._clock())
            if pause > 0:
                await self._sleep(pause)
            remaining = max(deadline - self._clock(), 0.0)
            last_failure: RutterUnavailable | None = None
            try:
                job = await self.get_job(job_id, budget_s=remaining, timeout_s=max(remaining, 1.0))
            except RutterUnavailable as failure:
                # Rutter being unreachable says nothing about the job: keep polling until the deadline.
                last_failure = failure
            except RutterRejected as refusal:
                # A poll refused (credentials, unknown job) says nothing about the invoice either.
                raise RutterOutcomeUnknown(
                    f"Rutter job {job_id} could not be read (HTTP {refusal.http_status})",
                    last_status=refusal.http_status,
                ) from refusal
            else:
                if job.finished:
                    return _invoice_of_finished_job(job)
            if self._clock() >= deadline:
                raise RutterJobTimeout(
                    f"Rutter job {job_id} had not finished after {deadline_s:g} s", job_id=job_id
                ) from last_failure
            wait = min(wait * settings.rutter_poll_factor, settings.rutter_poll_max_s)

    async def get_pdf_link(self, invoice_id: str, *, access_token: str) -> str:
        """A downloadable link to the invoice's PDF (`invoice.pdf_link`), asked with version 2024-08-31."""
        answer = await self._call(
            "GET",
            f"/accounting/invoices/{quote(invoice_id, safe='')}/pdf",
            access_token=access_token,
            version=PDF_LINK_VERSION,
        )
        body = answer.json()
        invoice = body.get("invoice") if isinstance(body, dict) else None
        pdf_link = invoice.get("pdf_link") if isinstance(invoice, dict) else None
        if not isinstance(pdf_link, str) or not pdf_link:
            raise unreadable(answer.status, "PDF link")
        return pdf_link

    async def get_job(
        self, job_id: str, *, budget_s: float | None = None, timeout_s: float | None = None
    ) -> Job:
        """Reads an async job once (with retries within `budget_s`)."""
        answer = await self._call(
            "GET", f"/jobs/{quote(job_id, safe='')}", budget_s=budget_s, timeout_s=timeout_s
        )
        try:
            # One pass in pydantic-core from the bytes; the invoice inside is validated when the job ends.
            return Job.model_validate_json(answer.raw)
        except ValidationError as exc:
            raise unreadable(answer.status, "job") from exc

    async def _call(
        self,
        method: str,
        path: str,
        *,
        access_token: str | None = None,
        version: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        applies_changes: bool = False,
        budget_s: float | None = None,
        timeout_s: float | None = None,
    ) -> _Reply:
        """Sends one logical call with retries; returns its 2xx answer or raises a RutterError."""
        settings = self._settings
        if self._authorization is None:
            raise RutterNotConfigured("RUTTER_CLIENT_ID and RUTTER_CLIENT_SECRET must be set to call Rutter")
        headers = {
            "Authorization": self._authorization,
            "X-Rutter-Version": version or settings.rutter_version,
            "Accept": "application/json",
            **(extra_headers or {}),
        }
        url = f"{self._base_url}{path}"
        params = {"access_token": access_token} if access_token is not None else None
        default_total = settings.rutter_request_timeout_s
        client_timeout = (
            self._default_timeout
            if not timeout_s or timeout_s >= default_total
            else _client_timeout(timeout_s)
        )
        log_path = f"{self._base_path}{path}"
        retry_deadline = self._clock() + (self._retry_policy.budget_s if budget_s is None else budget_s)

        async def attempt(attempt_number: int) -> _Reply:
            return await self._attempt(
                method,
                url,
                params=params,
                headers=headers,
                data=data,
                client_timeout=client_timeout,
                log_path=log_path,
                attempt_number=attempt_number,
                applies_changes=applies_changes,
                max_budget_wait_s=max(retry_deadline - self._clock(), 0.0),
            )

        return await call_with_retries(
            attempt,
            policy=self._retry_policy,
            sleep=self._sleep,
            clock=self._clock,
            budget_s=budget_s,
            applies_changes=applies_changes,
        )

    async def _attempt(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        data: bytes | None,
        client_timeout: aiohttp.ClientTimeout,
        log_path: str,
        attempt_number: int,
        applies_changes: bool,
        max_budget_wait_s: float | None = None,
    ) -> _Reply:
        """One HTTP exchange, logged; maps every failure to a RutterError."""
        started = time.perf_counter()
        status: int | None = None
        log_fields = {"method": method, "path": log_path, "attempt": attempt_number}
        # budget hook: the organization's shared token bucket, waited for within the retry budget
        await budget.before_call(self._session, max_wait_s=max_budget_wait_s)
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                headers=headers,
                data=data,
                timeout=client_timeout,
                allow_redirects=False,  # a redirect must not carry our Authorization header elsewhere
            ) as response:
                status = response.status
                raw = await response.read()
                response_headers = response.headers
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log(log_fields, status, started, error=type(exc).__name__)
            raise classify_transport_error(exc, applies_changes=applies_changes) from exc
        _log(log_fields, status, started)

        if 200 <= status < 300:
            return _Reply(status=status, raw=raw, headers=response_headers)
        if status in (429, 452):  # budget hook: pause the organization for every process
            await budget.after_rate_limited(self._session, retry_after_s(response_headers.get("Retry-After")))
        if status in RETRYABLE_STATUSES or status >= 500:
            # A 5xx on a create may come after the invoice was written: only the same key makes a retry safe.
            failure = RutterOutcomeUnknown if applies_changes and status >= 500 else RutterUnavailable
            raise failure(
                f"Rutter answered HTTP {status}",
                last_status=status,
                retry_after=retry_after_s(response_headers.get("Retry-After")),
            )
        if status == 409 and applies_changes:
            raise RutterIdempotencyConflict(
                "Rutter answered 409: this Idempotency-Key was already accepted with other parameters"
            )
        raise rejected(status, _json_or_none(raw), what="Rutter refused the request")


def _invoice_of_finished_job(job: Job) -> RutterInvoice:
    response = job.response
    if response is None:
        raise RutterOutcomeUnknown(f"Rutter job {job.id} ended '{job.status}' without a response")
    if job.status == "failure" or response.http_status >= 400:
        raise rejected(response.http_status, response.body, what=f"Rutter job {job.id} failed")
    if isinstance(response.body, JobInvoiceBody):
        return response.body.invoice
    invoice = response.body.get("invoice") if isinstance(response.body, dict) else None
    try:
        return RutterInvoice.model_validate(invoice)
    except ValidationError as exc:
        raise RutterOutcomeUnknown(
            f"Rutter job {job.id} ended '{job.status}' without an invoice we can read",
            last_status=response.http_status,
        ) from exc


def _client_timeout(total: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, connect=min(CONNECT_TIMEOUT_S, total))


def _basic_auth(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


def _json_or_none(raw: bytes) -> Any:
    # Numbers arrive as floats; every amount becomes a Decimal through str() (schemas.py), the
    # shortest text giving the same float: exactly what Rutter wrote for any amount of up to 15
    # significant digits (the columns hold 10).
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _json_default(value: Any) -> Any:
    """Decimals in the invoice body go out as JSON numbers (money amounts fit a float's 15 digits)."""
    if isinstance(value, Decimal):
        return json_number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _log(fields: Mapping[str, Any], status: int | None, started: float, *, error: str | None = None) -> None:
    extra = {**fields, "status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
    if error:
        extra["error"] = error
    logger.info("rutter.request", extra=extra)
