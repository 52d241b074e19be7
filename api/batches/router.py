"""HTTP endpoints of batches (SERVICE.md section 9); the work happens in BatchService and the jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import JSONResponse

from api.batches.schemas import CreateBatchRequest, InvoiceBatch, InvoiceBatchPage, ItemStatus
from api.batches.service import BatchService, batch_url
from api.deps import ResourcesDep
from api.errors import ErrorResponse
from api.keys.auth import CallerDep
from api.values import CANONICAL_UUID

# invoice_batch_item.position is a 32-bit integer: no cursor past it means anything.
MAX_POSITION = 2**31 - 1

router = APIRouter(tags=["batches"])


async def get_batch_service(resources: ResourcesDep, caller: CallerDep) -> BatchService:
    """The batches the caller's key may see (its organization's, or every one)."""
    queue_dsn = resources.settings.queue_database_url or resources.settings.database_url
    assert queue_dsn
    return BatchService(resources.pool, queue_dsn, organization_id=caller.organization_id)


BatchServiceDep = Annotated[BatchService, Depends(get_batch_service)]
BatchIdPath = Annotated[str, Path(pattern=CANONICAL_UUID, description="id from POST /invoice-batches")]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse} for status in statuses}


@router.post(
    "/invoice-batches",
    status_code=202,
    response_model=InvoiceBatch,
    summary="Invoice many charges: a list of ids, or an organization's charges issued in a date range",
    responses=_errors(401, 404, 409, 413, 422, 503, 500),
)
async def create_batch(
    body: CreateBatchRequest,
    service: BatchServiceDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x20-\x7E]*[\x21-\x7E][\x20-\x7E]*$",
            description="1-255 printable ASCII characters; the same key and body answer the same batch",
        ),
    ] = None,
) -> JSONResponse:
    batch, replayed = await service.create(body, idempotency_key)
    headers = {"Location": batch_url(batch.id)}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(status_code=202, content=batch.model_dump(mode="json"), headers=headers)


@router.get(
    "/invoice-batches/{batch_id}",
    response_model=InvoiceBatchPage,
    summary="A batch: status, counts, timing and one page of its charges' outcomes",
    responses=_errors(401, 404, 422, 503, 500),
)
async def get_batch(
    batch_id: BatchIdPath,
    service: BatchServiceDep,
    cursor: Annotated[
        int, Query(ge=-1, le=MAX_POSITION, description="next_cursor of the previous page")
    ] = -1,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 100,
    status: Annotated[ItemStatus | None, Query(description="only the items in this state")] = None,
) -> InvoiceBatchPage:
    return await service.page(batch_id.lower(), cursor=cursor, limit=limit, status=status)


@router.post(
    "/invoice-batches/{batch_id}/cancel",
    response_model=InvoiceBatch,
    summary="Cancel a batch: charges not started are skipped, running ones finish",
    responses=_errors(401, 404, 422, 503, 500),
)
async def cancel_batch(batch_id: BatchIdPath, service: BatchServiceDep) -> InvoiceBatch:
    return await service.cancel(batch_id.lower())
