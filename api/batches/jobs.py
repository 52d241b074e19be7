"""One batch job: invoice one charge through POST /invoices's own code path, record the outcome.

The job calls `InvoiceService.create` with the API key's organization scope and an Idempotency-Key
derived from the batch and the charge's position, so whatever runs it again (a retry, another
worker after this one died) resumes or replays the same invoice request, and the service's
per-charge exclusivity keeps one invoice per charge whatever else (a POST /invoices, another batch,
the sweep) runs at the same time. Its Rutter calls are batch priority: interactive calls go first.

Outcomes: 201 → COMPLETED; 409 INVOICE_ALREADY_EXISTS → SKIPPED; a still-running Rutter job (202)
or a passing failure (Rutter or the database unavailable, the charge's request running elsewhere,
an unexpected error) → the job is queued again with a growing delay, up to a limit, after which the
last answer is recorded as FAILED; every other answer → FAILED with its error envelope.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
from pgqueuer.errors import RetryRequested

from api.batches import repository as repo
from api.batches.queue import ItemJob
from api.config import Settings
from api.errors import InternalError, ServiceError
from api.invoices.schemas import CreateInvoiceRequest
from api.invoices.service import InvoiceService
from api.logging import bind_log_fields, set_request_id
from api.rutter import budget
from prisma import Prisma

logger = logging.getLogger("api.batches")

# Answers worth running the charge again later (the service keeps its request for exactly that).
PASSING = frozenset({"RUTTER_UNAVAILABLE", "DATABASE_UNAVAILABLE", "REQUEST_IN_PROGRESS", "INTERNAL_ERROR"})
MAX_ATTEMPTS = 8
# A Rutter job still running (202) is followed up this often, this many times at most.
PENDING_DELAY_S = 2.0
MAX_PENDING_ATTEMPTS = 60


@dataclass
class JobResources:
    settings: Settings
    pool: asyncpg.Pool
    db: Prisma
    http: aiohttp.ClientSession


def idempotency_key(job: ItemJob) -> str:
    return f"batch:{job.batch_id}:{job.position}"


async def run_item(resources: JobResources, job: ItemJob) -> None:
    """Runs one item; raises RetryRequested to be queued again."""
    set_request_id(f"batch-{uuid.uuid4()}")
    bind_log_fields(batch_id=job.batch_id, batch_position=job.position)
    claimed = await repo.claim_item(resources.pool, job.batch_id, job.position)
    if claimed is None:
        return  # cancelled before it started, or already finished
    budget.use_priority(budget.Priority.BATCH)
    service = InvoiceService.build(
        resources.db, resources.settings, resources.http, organization_id=claimed.scope_organization_id
    )
    body = CreateInvoiceRequest.model_validate(
        {"charge_id": claimed.charge_id, "send_email": claimed.send_email}
    )
    code: str | None = None
    try:
        answer = await service.create(body, idempotency_key(job))
        status, outcome = answer.status_code, answer.body.model_dump(mode="json")
        if status >= 400:
            code = outcome.get("error", {}).get("code")
    except ServiceError as exc:
        status, outcome, code = exc.status_code, _envelope(exc), exc.code
    except Exception as exc:
        logger.exception("batch_item_unexpected_error")
        error = InternalError("An unexpected error occurred.", {"error": type(exc).__name__})
        status, outcome, code = error.status_code, _envelope(error), error.code

    if status == 202 and claimed.attempts < MAX_PENDING_ATTEMPTS:
        raise RetryRequested(delay=timedelta(seconds=PENDING_DELAY_S), reason="Rutter job still running")
    if code in PASSING and claimed.attempts < MAX_ATTEMPTS:
        delay = min(2.0**claimed.attempts, 60.0)
        logger.info("batch_item_retry", extra={"code": code, "attempts": claimed.attempts, "delay_s": delay})
        raise RetryRequested(delay=timedelta(seconds=delay), reason=code)
    item_status = (
        "COMPLETED" if status == 201 else "SKIPPED" if code == "INVOICE_ALREADY_EXISTS" else "FAILED"
    )
    await repo.finish_item(resources.pool, job.batch_id, job.position, item_status, status, outcome)
    logger.info("batch_item_finished", extra={"status": item_status, "http_status": status, "code": code})


def _envelope(error: ServiceError) -> dict[str, Any]:
    return error.to_response().model_dump(mode="json")
