"""A stateful local stand-in for Rutter's unified accounting API (invoices), as an aiohttp app.

Routes (base = the app's own origin, or `RutterConfig.public_url`):

* `POST /versioned/accounting/invoices?access_token=…` create; body validated per `X-Rutter-Version`
  (`sandbox.rutter_schema`); `response_mode` (body, else query) `async` → 200 `{"async_response":
  {id, response_url, status: "pending"}}`, `prefer_sync` (default) → waits for the job (up to
  `prefer_sync_timeout`) and answers its response (`{"invoice": …}`, or a 450 error), else async.
* `GET /versioned/jobs/{id}` (Basic auth only) → the job: `{id, status, request, response?}`.
* `GET /versioned/accounting/invoices?access_token=…` → `{invoices, next_cursor: null, connection}`.
* `GET /versioned/accounting/invoices/{id}?access_token=…[&id_type=platform]` → `{invoice, connection}`.
* `GET /versioned/accounting/invoices/{id}/pdf?access_token=…` (2024-08-31 only) →
  `{"invoice": {"pdf_link": "{base}/files/invoices/{id}.pdf"}}`; that file is a real PDF (no auth).
* `/_sandbox/...` control API and request log (`sandbox.rutter_control`).

Checks, in order: Basic auth (client id/secret) → `access_token` (accounting routes) → 401
`INVALID_CREDENTIALS`; `X-Rutter-Version` missing/unsupported → 400; per-organization rate limit
(counts every authenticated request, job polls included) → 429 + `Retry-After`; scripted create
faults; body; Idempotency-Key; validation → 400 `INVALID_INPUT`/`INVALID_REQUEST_BODY`.
Every response carries `X-Rutter-Request-ID`; accepted creates carry `X-Rutter-Job-ID`.

Idempotency (keyed by (client_id, Idempotency-Key); only accepted requests are stored): the same
key with the same method, path, query, version and JSON body replays the first answer (same job,
no new invoice); anything different → 409. When the first answer never reached the client (dropped
connection, injected accepted 500), the replay answers what the first one should have.

Error bodies the docs do not fix (version, 404, 409, 429, 452, 5xx) are sandbox choices in Rutter's
`{error_type, error_code, error_message}` shape. Access tokens are masked (`***`) in job `request.url`
and in the request log, which never records the Authorization header.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import functools
import hashlib
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sandbox.money import money_string
from sandbox.pdf import text_pdf
from sandbox.rutter_control import add_control_routes
from sandbox.rutter_render import build_invoice, render_invoice
from sandbox.rutter_schema import SUPPORTED_VERSIONS, InvalidBody, validate_create_body
from sandbox.rutter_state import (
    RUTTER_STATE,
    Connection,
    CreateFault,
    IdempotencyRecord,
    Job,
    RutterConfig,
    RutterState,
    StoredInvoice,
    iso,
    utc_now,
)

logger = logging.getLogger("sandbox.rutter")

INVALID_CREDENTIALS = {
    "error_type": "CONNECTION_ERROR",
    "error_code": "INVALID_CREDENTIALS",
    "error_message": "Invalid credentials to access this connection.",
}
TERMINAL_STATUSES = frozenset({"success", "failure", "partial_success"})


class Rejected(Exception):
    """Raised by a check; the middleware answers `response`."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def rutter_error(
    status: int, error_type: str, error_code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"error_type": error_type, "error_code": error_code, "error_message": message}
    return web.json_response(body, status=status, headers=headers)


def base_url(request: web.Request) -> str:
    configured = request.app[RUTTER_STATE].config.public_url
    return configured.rstrip("/") if configured else f"{request.scheme}://{request.host}"


def masked_query(request: web.Request) -> dict[str, str]:
    return {key: ("***" if key == "access_token" else value) for key, value in request.query.items()}


def masked_url(request: web.Request) -> str:
    query = urlencode(list(masked_query(request).items()), safe="*")
    return f"{base_url(request)}{request.path}" + (f"?{query}" if query else "")


# --- checks --------------------------------------------------------------------------------------


def _basic_auth_ok(request: web.Request, config: RutterConfig) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    user, separator, password = decoded.partition(":")
    return (
        bool(separator)
        and hmac.compare_digest(user.encode(), config.client_id.encode())
        and hmac.compare_digest(password.encode(), config.client_secret.encode())
    )


def _require_version(request: web.Request) -> str:
    version = request.headers.get("X-Rutter-Version", "").strip()
    if not version:
        raise Rejected(
            rutter_error(400, "INVALID_INPUT", "MISSING_VERSION", "The X-Rutter-Version header is required.")
        )
    if version not in SUPPORTED_VERSIONS:
        raise Rejected(
            rutter_error(
                400,
                "INVALID_INPUT",
                "INVALID_VERSION",
                f"X-Rutter-Version '{version}' is not supported by this sandbox "
                f"(supported: {', '.join(SUPPORTED_VERSIONS)}).",
            )
        )
    return version


def _authorize(request: web.Request) -> tuple[str, Connection]:
    """Basic auth, access_token and version of an accounting request."""
    state = request.app[RUTTER_STATE]
    if not _basic_auth_ok(request, state.config):
        raise Rejected(web.json_response(INVALID_CREDENTIALS, status=401))
    connection = state.connection_for(request.query.get("access_token"))
    if connection is None:
        raise Rejected(web.json_response(INVALID_CREDENTIALS, status=401))
    return _require_version(request), connection


def _rate_limit(state: RutterState, org_id: str) -> None:
    config = state.config
    wait = state.rate_limiter.hit(org_id, config.rate_limit, config.rate_window, time.monotonic())
    if wait is not None:
        raise Rejected(
            rutter_error(
                429,
                "RATE_LIMIT_ERROR",
                "RATE_LIMIT_EXCEEDED",
                f"Rate limit reached: {config.rate_limit} requests per {config.rate_window:g} seconds "
                "per organization.",
                headers={"Retry-After": str(wait)},
            )
        )


def _not_found(state: RutterState, what: str) -> web.Response:
    return rutter_error(state.config.not_found_status, "INVALID_INPUT", "NOT_FOUND", f"{what} not found.")


# --- faults --------------------------------------------------------------------------------------


def fault_response(fault: CreateFault) -> web.Response:
    defaults = {
        "rate_limit": ("RATE_LIMIT_ERROR", "RATE_LIMIT_EXCEEDED", "Rate limit reached (sandbox-injected)."),
        "platform_rate_limit": (
            "PLATFORM_ERROR",
            "PLATFORM_RATE_LIMIT_EXCEEDED",
            "The accounting platform's rate limit was reached (sandbox-injected).",
        ),
        "server_error": (
            "RUTTER_ERROR",
            "INTERNAL_SERVER_ERROR",
            "Internal server error (sandbox-injected).",
        ),
    }
    error_type, error_code, message = defaults.get(fault.kind, defaults["server_error"])
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
    return rutter_error(
        fault.status,
        fault.error_type or error_type,
        fault.error_code or error_code,
        fault.error_message or message,
        headers=headers,
    )


# --- jobs ----------------------------------------------------------------------------------------


def _start_job(
    state: RutterState,
    request: web.Request,
    version: str,
    connection: Connection,
    parsed: Any,
    body: Any,
    key: str | None,
) -> Job:
    job_request: dict[str, Any] = {"method": "POST", "url": masked_url(request), "body": body}
    if key is not None:
        job_request["idempotency_key"] = key
    job = Job(
        id=str(uuid.uuid4()),
        connection=connection,
        version=version,
        request=job_request,
        parsed=parsed,
        idempotency_key=key,
        failure=state.take_job_failure(),
        created_at=utc_now(),
    )
    state.jobs[job.id] = job
    latency = state.config.job_latency
    if state.holding_jobs:
        job.status = "pending"
        state.held_jobs.append(job)
    elif latency <= 0:
        _finish_job(state, job)
    else:
        loop = asyncio.get_running_loop()
        job.timers.append(loop.call_later(latency / 4, _mark_pending, job))
        job.timers.append(loop.call_later(latency, _finish_job, state, job))
    return job


def _mark_pending(job: Job) -> None:
    if job.status == "prequeued":
        job.status = "pending"


def _finish_job(state: RutterState, job: Job) -> None:
    if job.status in TERMINAL_STATUSES:
        return
    if job.failure is not None:
        job.status = "failure"
        job.response = {"http_status": job.failure.http_status, "body": job.failure.body()}
    else:
        invoice = build_invoice(
            job.parsed,
            connection=job.connection,
            version=job.version,
            platform_id=state.next_platform_id(),
            idempotency_key=job.idempotency_key,
            job_id=job.id,
        )
        state.invoices[invoice.id] = invoice
        job.invoice_id = invoice.id
        job.status = "success"
        job.response = {"http_status": 200, "body": {"invoice": render_invoice(invoice, job.version)}}
    job.finished_at = utc_now()
    job.done.set()


async def _job_answer(state: RutterState, job: Job, mode: str, base: str) -> tuple[int, dict[str, Any]]:
    if mode == "prefer_sync":
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(job.done.wait(), timeout=state.config.prefer_sync_timeout)
        if job.response is not None:
            return int(job.response["http_status"]), dict(job.response["body"])
    return 200, {
        "async_response": {
            "id": job.id,
            "response_url": f"{base}/versioned/jobs/{job.id}",
            "status": "pending",
        }
    }


async def _accepted_reply(
    state: RutterState, request: web.Request, job: Job, mode: str, record: IdempotencyRecord | None
) -> web.Response:
    if record is not None and record.response is not None:
        status, body = record.response
    else:
        status, body = await _job_answer(state, job, mode, base_url(request))
        if record is not None:
            record.response = (status, body)
    return web.json_response(body, status=status, headers={"X-Rutter-Job-ID": job.id})


def _fingerprint(request: web.Request, version: str, body: Any) -> str:
    material = {
        "method": request.method,
        "path": request.path,
        "query": sorted(request.query.items()),
        "version": version,
        "body": body,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# --- handlers ------------------------------------------------------------------------------------


async def create_invoice(request: web.Request) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    version, connection = _authorize(request)
    _rate_limit(state, connection.org_id)
    fault = state.take_create_fault(after_accept=False)
    if fault is not None:
        _trace().note = f"injected {fault.kind} ({fault.status})"
        return fault_response(fault)

    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        return rutter_error(400, "INVALID_INPUT", "INVALID_REQUEST_BODY", "body: not valid JSON")
    _trace().body = body

    key = request.headers.get("Idempotency-Key", "").strip() or None
    fingerprint = _fingerprint(request, version, body)
    if key is not None:
        record = state.idempotency.get((state.config.client_id, key))
        if record is not None:
            if record.fingerprint != fingerprint:
                return rutter_error(
                    409,
                    "INVALID_INPUT",
                    "IDEMPOTENCY_KEY_CONFLICT",
                    "This Idempotency-Key was already used with a different request.",
                )
            _trace().note = "idempotent replay"
            return await _accepted_reply(
                state, request, state.jobs[record.job_id], record.response_mode, record
            )

    try:
        parsed, warnings = validate_create_body(version, body)
    except InvalidBody as error:
        return rutter_error(400, "INVALID_INPUT", "INVALID_REQUEST_BODY", error.message)
    mode = parsed.response_mode or request.query.get("response_mode") or "prefer_sync"
    if mode not in {"async", "prefer_sync"}:
        return rutter_error(
            400, "INVALID_INPUT", "INVALID_REQUEST_BODY", "response_mode: must be 'async' or 'prefer_sync'"
        )
    if warnings:
        _trace().warnings = warnings

    # Accepted from here on: a job exists and the key is remembered.
    job = _start_job(state, request, version, connection, parsed, body, key)
    record = None
    if key is not None:
        record = IdempotencyRecord(
            client_id=state.config.client_id,
            key=key,
            fingerprint=fingerprint,
            job_id=job.id,
            response_mode=mode,
            created_at=utc_now(),
        )
        state.idempotency[(state.config.client_id, key)] = record

    after = state.take_create_fault(after_accept=True)
    if after is not None and after.kind == "drop_connection":
        _trace().note = "injected drop_connection (accepted, no response sent)"
        _trace().dropped = True
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=499)  # never reaches the client: the connection is closed
    if after is not None:
        _trace().note = f"injected {after.kind} ({after.status}) after accepting job {job.id}"
        return fault_response(after)

    response = await _accepted_reply(state, request, job, mode, record)
    if warnings:
        response.headers["X-Sandbox-Warnings"] = "; ".join(warnings)
    return response


async def get_job(request: web.Request) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    if not _basic_auth_ok(request, state.config):
        return web.json_response(INVALID_CREDENTIALS, status=401)
    _require_version(request)
    job = state.jobs.get(request.match_info["job_id"])
    if job is None:
        return _not_found(state, "Job")
    _rate_limit(state, job.connection.org_id)
    return web.json_response(job.as_json())


def _find_invoice(state: RutterState, connection: Connection, invoice_id: str, id_type: str) -> StoredInvoice:
    for invoice in state.invoices.values():
        if invoice.connection.id != connection.id:
            continue
        if (invoice.platform_id if id_type == "platform" else invoice.id) == invoice_id:
            return invoice
    raise Rejected(_not_found(state, "Invoice"))


async def get_invoice(request: web.Request) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    version, connection = _authorize(request)
    _rate_limit(state, connection.org_id)
    invoice = _find_invoice(
        state, connection, request.match_info["invoice_id"], request.query.get("id_type", "")
    )
    return web.json_response(
        {"invoice": render_invoice(invoice, version), "connection": connection.as_json()}
    )


async def list_invoices(request: web.Request) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    version, connection = _authorize(request)
    _rate_limit(state, connection.org_id)
    invoices = [
        render_invoice(invoice, version)
        for invoice in state.invoices.values()
        if invoice.connection.id == connection.id
    ]
    return web.json_response({"invoices": invoices, "next_cursor": None, "connection": connection.as_json()})


async def get_invoice_pdf_link(request: web.Request) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    version, connection = _authorize(request)
    if version != "2024-08-31":
        return rutter_error(
            404,
            "INVALID_INPUT",
            "NOT_FOUND",
            f"The invoice PDF endpoint does not exist in version {version}.",
        )
    _rate_limit(state, connection.org_id)
    invoice = _find_invoice(state, connection, request.match_info["invoice_id"], "")
    return web.json_response(
        {"invoice": {"pdf_link": f"{base_url(request)}/files/invoices/{invoice.id}.pdf"}}
    )


def invoice_pdf_bytes(invoice: StoredInvoice) -> bytes:
    lines = [
        f"Invoice {invoice.document_number}",
        "",
        f"Customer: {invoice.customer_id}",
        f"Issue date: {invoice.issue_date}",
        f"Due date: {invoice.due_date or '-'}",
        f"Currency: {invoice.currency_code}",
        "",
    ]
    for line in invoice.lines:
        lines.append(
            f"{line.description or 'Item'}   {money_string(line.quantity)} x {money_string(line.unit_amount)}"
            f"   = {money_string(line.total_amount)}"
        )
    lines += [
        "",
        f"Subtotal: {money_string(invoice.sub_total)} {invoice.currency_code}",
        f"Tax: {money_string(invoice.tax_amount)} {invoice.currency_code}",
        f"Total: {money_string(invoice.total_amount)} {invoice.currency_code}",
    ]
    if invoice.memo:
        lines += ["", f"Memo: {invoice.memo}"]
    return text_pdf(lines, title=f"Invoice {invoice.document_number}")


async def get_invoice_pdf_file(request: web.Request) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    name = request.match_info["file_name"]
    invoice = state.invoices.get(name.removesuffix(".pdf")) if name.endswith(".pdf") else None
    if invoice is None:
        return _not_found(state, "File")
    return web.Response(
        body=invoice_pdf_bytes(invoice),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invoice-{invoice.document_number}.pdf"'},
    )


# --- middleware, request log, app ------------------------------------------------------------------


def _response_json(response: web.StreamResponse) -> Any:
    if isinstance(response, web.Response) and response.content_type == "application/json":
        raw = response.body
        if isinstance(raw, bytes | bytearray):
            try:
                return json.loads(raw)
            except ValueError:
                return None
    return None


@dataclass
class RequestTrace:
    """What a handler notes about the request it serves, for the request log."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    body: Any = None
    note: str | None = None
    warnings: list[str] | None = None
    dropped: bool = False


_TRACE: contextvars.ContextVar[RequestTrace] = contextvars.ContextVar("rutter_request_trace")


def _trace() -> RequestTrace:
    return _TRACE.get()


def _log_request(
    state: RutterState, request: web.Request, trace: RequestTrace, response: web.StreamResponse, took: float
) -> None:
    status: int | str = "dropped" if trace.dropped else response.status
    entry = {
        "request_id": trace.request_id,
        "time": iso(utc_now()),
        "method": request.method,
        "path": request.path,
        "query": masked_query(request),
        "version": request.headers.get("X-Rutter-Version"),
        "idempotency_key": request.headers.get("Idempotency-Key"),
        "authorization": "present" if "Authorization" in request.headers else "missing",
        "body": trace.body,
        "status": status,
        "response": _response_json(response),
        "job_id": response.headers.get("X-Rutter-Job-ID"),
        "note": trace.note,
        "warnings": trace.warnings,
        "duration_ms": round(took * 1000, 1),
    }
    state.requests.append(entry)
    logger.info(
        "rutter %s %s -> %s%s",
        request.method,
        request.path,
        status,
        f" [{entry['note']}]" if entry["note"] else "",
    )


@web.middleware
async def rutter_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    state = request.app[RUTTER_STATE]
    trace = RequestTrace()
    _TRACE.set(trace)  # each request runs in its own task, hence its own context
    if request.path.startswith("/_sandbox"):
        response: web.StreamResponse = await handler(request)
        return response
    started = time.monotonic()
    try:
        response = await handler(request)
    except Rejected as rejected:
        response = rejected.response
    except web.HTTPException as error:
        code = "NOT_FOUND" if error.status == 404 else "INVALID_REQUEST"
        response = rutter_error(
            error.status, "INVALID_INPUT", code, f"{request.method} {request.path}: {error.reason}"
        )
    response.headers["X-Rutter-Request-ID"] = trace.request_id
    _log_request(state, request, trace, response, time.monotonic() - started)
    return response


async def _on_cleanup(app: web.Application) -> None:
    app[RUTTER_STATE].shutdown()


def create_rutter_app(config: RutterConfig | None = None) -> web.Application:
    """The Rutter sandbox; its state is `app[RUTTER_STATE]`."""
    app = web.Application(middlewares=[rutter_middleware])
    state = RutterState(config or RutterConfig())
    state.finish_job = functools.partial(_finish_job, state)
    app[RUTTER_STATE] = state
    app.router.add_post("/versioned/accounting/invoices", create_invoice)
    app.router.add_get("/versioned/accounting/invoices", list_invoices)
    app.router.add_get("/versioned/accounting/invoices/{invoice_id}", get_invoice)
    app.router.add_get("/versioned/accounting/invoices/{invoice_id}/pdf", get_invoice_pdf_link)
    app.router.add_get("/versioned/jobs/{job_id}", get_job)
    app.router.add_get("/files/invoices/{file_name}", get_invoice_pdf_file)
    add_control_routes(app)
    app.on_cleanup.append(_on_cleanup)
    return app
