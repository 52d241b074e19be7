"""Request and response bodies of the batch endpoints (all of them appear in /openapi.json)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from api.invoices.schemas import EXAMPLE_CHARGE_ID
from api.values import CANONICAL_UUID

MAX_CHARGES = 10_000
EXAMPLE_ORGANIZATION_ID = "081f69a9-ab4c-4014-b50f-021d9b447f91"

BatchStatus = Literal["QUEUED", "RUNNING", "COMPLETED", "CANCELLED"]
ItemStatus = Literal["QUEUED", "RUNNING", "COMPLETED", "FAILED", "SKIPPED"]


def _canonical(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(CANONICAL_UUID, value):
        raise ValueError("must be a canonical UUID: 8-4-4-4-12 hexadecimal digits")
    return value


class CreateBatchRequest(BaseModel):
    """Either `charge_ids`, or `organization_id` with an issue-date range (both ends included)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"charge_ids": [EXAMPLE_CHARGE_ID], "send_email": False},
                {
                    "organization_id": EXAMPLE_ORGANIZATION_ID,
                    "issue_date_from": "2024-05-01",
                    "issue_date_to": "2024-05-31",
                },
            ]
        },
    )

    charge_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CHARGES,
        description=f"1 to {MAX_CHARGES:,} distinct charge ids (uac_invoice rows), canonical UUIDs",
    )
    organization_id: uuid.UUID | None = Field(
        default=None, description="with the dates: that organization's charges not invoiced yet"
    )
    issue_date_from: dt.date | None = Field(default=None, description="first issue date (YYYY-MM-DD)")
    issue_date_to: dt.date | None = Field(default=None, description="last issue date, included")
    send_email: StrictBool | None = Field(
        default=None, description="email each invoice's PDF; when absent the EMAIL_ENABLED setting decides"
    )

    @field_validator("charge_ids", mode="before")
    @classmethod
    def _canonical_ids(cls, value: Any) -> Any:
        if isinstance(value, list):
            for item in value:
                _canonical(item)
        return value

    @field_validator("organization_id", mode="before")
    @classmethod
    def _canonical_organization(cls, value: Any) -> Any:
        return _canonical(value)

    @model_validator(mode="after")
    def _one_selection(self) -> Self:
        by_range = (self.organization_id, self.issue_date_from, self.issue_date_to)
        if self.charge_ids is not None:
            if any(value is not None for value in by_range):
                raise ValueError("give either charge_ids or organization_id with the dates, not both")
            if len(set(self.charge_ids)) != len(self.charge_ids):
                raise ValueError("charge_ids must not repeat a charge")
            return self
        if any(value is None for value in by_range):
            raise ValueError("give charge_ids, or organization_id, issue_date_from and issue_date_to")
        assert self.issue_date_from is not None and self.issue_date_to is not None
        if self.issue_date_from > self.issue_date_to:
            raise ValueError("issue_date_from must not be after issue_date_to")
        return self


class BatchCounts(BaseModel):
    total: int
    queued: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0
    skipped: int = Field(default=0, description="already invoiced before the batch ran it, or cancelled")


class BatchItem(BaseModel):
    position: int = Field(description="0-based place of the charge in the batch")
    charge_id: str
    status: ItemStatus
    http_status: int | None = Field(description="the status POST /invoices would have answered")
    outcome: dict[str, Any] | None = Field(
        description="POST /invoices's body (InvoiceCreated) or its error envelope (ErrorResponse); "
        "null while queued or running, and for a charge skipped by a cancel"
    )
    attempts: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class InvoiceBatch(BaseModel):
    id: str
    status: BatchStatus
    status_url: str
    organization_id: str | None = Field(description="the organization of a date-range batch")
    issue_date_from: dt.date | None
    issue_date_to: dt.date | None
    send_email: bool | None
    counts: BatchCounts
    created_at: dt.datetime
    started_at: dt.datetime | None = Field(description="when its first charge started")
    finished_at: dt.datetime | None = Field(description="when its last charge ended (or it was cancelled)")
    cancelled_at: dt.datetime | None
    elapsed_s: float | None = Field(description="from the first start to the end (or to now)")


class InvoiceBatchPage(InvoiceBatch):
    """GET /invoice-batches/{id}: the batch and one page of its items, in batch order."""

    items: list[BatchItem]
    next_cursor: int | None = Field(description="pass as `cursor` for the next page; null on the last page")
