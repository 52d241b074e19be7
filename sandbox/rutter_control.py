"""The Rutter sandbox's control API (`/_sandbox/...`, JSON, no auth) and its HTML page.

    GET  /_sandbox/                 HTML: recent requests, invoices, jobs (refreshes every 5 s)
    GET  /_sandbox/requests         {"requests": [...]}  newest last; ?limit=N keeps the last N
    GET  /_sandbox/invoices         {"count", "by_idempotency_key": {key: n}, "invoices": [...]}
    GET  /_sandbox/jobs             {"jobs": [...]}
    POST /_sandbox/jobs/hold        new jobs stay pending (no job_latency) until released → {"holding": true}
    POST /_sandbox/jobs/release     stops holding, finishes the held jobs now → {"released": n}
    GET  /_sandbox/config           {"config": {...}, "create_faults": [...], "job_failures": [...],
                                     "holding_jobs": bool, "held_jobs": n}
    POST /_sandbox/config           {"job_latency"?, "prefer_sync_timeout"?, "rate_limit"?,
                                     "rate_window"?, "not_found_status"?} → the new config
    POST /_sandbox/faults/create    {"fault": "rate_limit" | "platform_rate_limit" | "server_error"
                                               | "drop_connection",
                                     "count"?: 1, "status"?: int, "retry_after"?: int,
                                     "accept"?: false, "error_type"?, "error_code"?, "error_message"?}
    POST /_sandbox/faults/job       {"count"?: 1, "http_status"?: 450, "error_type"?, "error_code"?,
                                     "error_message"?}
    DELETE /_sandbox/faults         forgets the scripted faults
    POST /_sandbox/reset            forgets everything and restores the start-up configuration

Create faults form one FIFO queue consumed by `POST /versioned/accounting/invoices`:
`rate_limit` (429, Retry-After default 1), `platform_rate_limit` (452), `server_error` (500 or
`status`) answer instead of accepting the create; `server_error` with `"accept": true` and
`drop_connection` apply to the next *accepted* create (the job runs and the invoice is created,
then the client gets a 500 / a closed connection with no response).
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sandbox.pages import page, table
from sandbox.rutter_state import RUTTER_STATE, JobFailure, RutterState

_M = TypeVar("_M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateFaultBody(_Body):
    fault: Literal["rate_limit", "platform_rate_limit", "server_error", "drop_connection"]
    count: int = Field(default=1, ge=1, le=10_000)
    status: int | None = Field(default=None, ge=400, le=599)
    retry_after: int | None = Field(default=None, ge=0)
    accept: bool = False
    error_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class JobFailureBody(_Body):
    count: int = Field(default=1, ge=1, le=10_000)
    http_status: int = Field(default=450, ge=400, le=599)
    error_type: str = JobFailure.error_type
    error_code: str = JobFailure.error_code
    error_message: str = JobFailure.error_message


class ConfigBody(_Body):
    job_latency: float | None = Field(default=None, ge=0)
    prefer_sync_timeout: float | None = Field(default=None, ge=0)
    rate_limit: int | None = Field(default=None, ge=1)
    rate_window: float | None = Field(default=None, gt=0)
    not_found_status: Literal[404, 410] | None = None


def _state(request: web.Request) -> RutterState:
    return request.app[RUTTER_STATE]


async def _parse(request: web.Request, model: type[_M]) -> _M:
    try:
        return model.model_validate_json(await request.read() or b"{}")
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()]
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "; ".join(problems)}), content_type="application/json"
        ) from None


def _config_json(state: RutterState) -> dict[str, Any]:
    config = state.config
    return {
        "client_id": config.client_id,
        "access_token_prefix": config.access_token_prefix,
        "default_platform": config.default_platform,
        "job_latency": config.job_latency,
        "prefer_sync_timeout": config.prefer_sync_timeout,
        "rate_limit": config.rate_limit,
        "rate_window": config.rate_window,
        "not_found_status": config.not_found_status,
        "public_url": config.public_url,
    }


async def get_config(request: web.Request) -> web.Response:
    state = _state(request)
    return web.json_response(
        {
            "config": _config_json(state),
            "create_faults": [fault.as_json() for fault in state.create_faults],
            "job_failures": [vars(failure) for failure in state.job_failures],
            "holding_jobs": state.holding_jobs,
            "held_jobs": len(state.held_jobs),
        }
    )


async def post_config(request: web.Request) -> web.Response:
    body = await _parse(request, ConfigBody)
    state = _state(request)
    state.configure(**body.model_dump(exclude_none=True))
    return web.json_response({"config": _config_json(state)})


async def post_create_fault(request: web.Request) -> web.Response:
    body = await _parse(request, CreateFaultBody)
    state = _state(request)
    state.fail_next_creates(
        body.fault,
        body.count,
        status=body.status,
        retry_after=body.retry_after,
        accept=body.accept,
        error_type=body.error_type,
        error_code=body.error_code,
        error_message=body.error_message,
    )
    return web.json_response(
        {"queued": body.count, "create_faults": [f.as_json() for f in state.create_faults]}
    )


async def post_job_failure(request: web.Request) -> web.Response:
    body = await _parse(request, JobFailureBody)
    failure = JobFailure(
        http_status=body.http_status,
        error_type=body.error_type,
        error_code=body.error_code,
        error_message=body.error_message,
    )
    state = _state(request)
    state.queue_job_failure(failure, body.count)
    return web.json_response({"queued": body.count, "job_failures": [vars(f) for f in state.job_failures]})


async def delete_faults(request: web.Request) -> web.Response:
    state = _state(request)
    state.create_faults.clear()
    state.job_failures.clear()
    return web.json_response({"create_faults": [], "job_failures": []})


async def post_hold_jobs(request: web.Request) -> web.Response:
    state = _state(request)
    state.hold_jobs()
    return web.json_response({"holding": state.holding_jobs})


async def post_release_jobs(request: web.Request) -> web.Response:
    return web.json_response({"released": _state(request).release_jobs()})


async def post_reset(request: web.Request) -> web.Response:
    _state(request).reset()
    return web.json_response({"reset": True})


async def get_requests(request: web.Request) -> web.Response:
    entries = list(_state(request).requests)
    limit = request.query.get("limit", "")
    if limit.isdigit():
        entries = entries[-int(limit) :] if int(limit) else []
    return web.json_response({"requests": entries})


async def get_invoices(request: web.Request) -> web.Response:
    return web.json_response(_state(request).invoice_summary())


async def get_jobs(request: web.Request) -> web.Response:
    return web.json_response({"jobs": _state(request).jobs_summary()})


async def get_page(request: web.Request) -> web.Response:
    state = _state(request)
    requests = list(state.requests)[-100:][::-1]
    sections = [
        table(
            "Requests, newest first",
            requests,
            [
                "time",
                "method",
                "path",
                "query",
                "version",
                "idempotency_key",
                "status",
                "job_id",
                "note",
                "body",
            ],
        ),
        table(
            "Invoices",
            state.invoice_summary()["invoices"],
            [
                "id",
                "platform_id",
                "document_number",
                "customer_id",
                "total_amount",
                "currency_code",
                "idempotency_key",
                "job_id",
                "version",
                "created_at",
            ],
        ),
        table(
            "Jobs",
            state.jobs_summary(),
            [
                "id",
                "status",
                "http_status",
                "version",
                "idempotency_key",
                "invoice_id",
                "created_at",
                "finished_at",
            ],
        ),
    ]
    holding = f" (new jobs held: {len(state.held_jobs)} so far)" if state.holding_jobs else ""
    note = (
        f"Pending create faults: {len(state.create_faults)}; job failures: {len(state.job_failures)}; "
        f"job latency {state.config.job_latency:g} s{holding}; rate limit {state.config.rate_limit} / "
        f"{state.config.rate_window:g} s. JSON: /_sandbox/requests, /_sandbox/invoices, /_sandbox/jobs."
    )
    return web.Response(text=page("Rutter sandbox", sections, note), content_type="text/html")


def add_control_routes(app: web.Application) -> None:
    app.router.add_get("/_sandbox/", get_page)
    app.router.add_get("/_sandbox", get_page)
    app.router.add_get("/_sandbox/requests", get_requests)
    app.router.add_get("/_sandbox/invoices", get_invoices)
    app.router.add_get("/_sandbox/jobs", get_jobs)
    app.router.add_post("/_sandbox/jobs/hold", post_hold_jobs)
    app.router.add_post("/_sandbox/jobs/release", post_release_jobs)
    app.router.add_get("/_sandbox/config", get_config)
    app.router.add_post("/_sandbox/config", post_config)
    app.router.add_post("/_sandbox/faults/create", post_create_fault)
    app.router.add_post("/_sandbox/faults/job", post_job_failure)
    app.router.add_delete("/_sandbox/faults", delete_faults)
    app.router.add_post("/_sandbox/reset", post_reset)
