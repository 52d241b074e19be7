"""The parts of Rutter's answers we read, one model per shape, both API versions normalised.

2023-03-14 sends amounts as decimal strings and flat line items (`item_id`, `amount`); 2024-08-31
sends JSON numbers, nests `item {id, quantity, unit_amount}` and calls the invoice discount
`discount_amount`. `RutterInvoice` accepts either and exposes one shape. Unknown keys are ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from api.logging import redact
from api.values import as_utc

JobStatus = Literal["prequeued", "pending", "success", "partial_success", "failure"]
FINISHED_JOB_STATUSES: frozenset[str] = frozenset({"success", "partial_success", "failure"})


def _to_aware_datetime(value: Any) -> Any:
    """ISO 8601 date or datetime; a date is midnight UTC and a naive datetime is taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return as_utc(value) if isinstance(value, datetime) else value


# Money and quantities as exact Decimals, parsed by pydantic-core itself: strings as written ("14.34"),
# numbers through their shortest repr (14.34, not 14.339999999999999857891452847979962825775146484375);
# booleans, NaN and infinities refused.
Amount = Decimal | None
AwareDatetime = Annotated[datetime | None, BeforeValidator(_to_aware_datetime)]


class _RutterModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AsyncResponse(_RutterModel):
    """`async_response` of a create answered in async mode."""

    id: str
    status: JobStatus
    response_url: str | None = None


class JobRequest(_RutterModel):
    """The request a job runs, as Rutter echoes it; `url` with the access_token masked. Its `body`
    (the whole invoice we sent) is not read: skipped while parsing, never built."""

    method: str | None = None
    url: str | None = None
    idempotency_key: str | None = None

    @field_validator("url")
    @classmethod
    def _mask_access_token(cls, url: str | None) -> str | None:
        return None if url is None else redact(url)


class Job(_RutterModel):
    """An async job (`GET /jobs/{id}`)."""

    id: str
    status: JobStatus
    request: JobRequest | None = None
    response: JobResponse | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_JOB_STATUSES


class RutterInvoiceLine(_RutterModel):
    """One invoice line, the same for both versions (`id` is None in 2024-08-31)."""

    id: str | None = None
    platform_id: str | None = None
    account_id: str | None = None
    item_id: str | None = None
    tax_rate_id: str | None = None
    description: str | None = None
    quantity: Amount = None
    unit_amount: Amount = None
    total_amount: Amount = None
    sub_total: Amount = None
    tax_amount: Amount = None
    discount_amount: Amount = None
    discount_percentage: Amount = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_versions(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        line = dict(data)
        # 2024-08-31 nests the item; its fields win over absent flat ones.
        item = line.pop("item", None)
        if isinstance(item, dict):
            line.setdefault("item_id", item.get("id"))
            line.setdefault("quantity", item.get("quantity"))
            line.setdefault("unit_amount", item.get("unit_amount"))
        # 2023-03-14 calls the line total `amount`.
        if line.get("total_amount") is None and "amount" in line:
            line["total_amount"] = line["amount"]
        return line


class RutterInvoice(_RutterModel):
    """An invoice as Rutter returns it, normalised across 2023-03-14 and 2024-08-31."""

    id: str
    platform_id: str | None = None
    account_id: str | None = None
    customer_id: str | None = None
    subsidiary_id: str | None = None
    issue_date: AwareDatetime = None
    due_date: AwareDatetime = None
    status: str | None = None
    currency_code: str | None = None
    document_number: str | None = None
    memo: str | None = None
    amount_due: Amount = None
    sub_total: Amount = None
    tax_amount: Amount = None
    total_amount: Amount = None
    total_discount: Amount = None
    line_items: list[RutterInvoiceLine] = []
    platform_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _rename_2024_discount(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("total_discount") is None and "discount_amount" in data:
            data = {**data, "total_discount": data["discount_amount"]}
        return data

    @field_validator("line_items", mode="before")
    @classmethod
    def _no_lines_when_null(cls, value: Any) -> Any:
        return [] if value is None else value


class JobInvoiceBody(_RutterModel):
    """The body of a finished create job: the invoice."""

    invoice: RutterInvoice


class JobResponse(_RutterModel):
    """What the job's request would have answered synchronously. A created invoice is validated in
    the same pass as the job; any other body (an error, an invoice we cannot read) is kept as sent."""

    http_status: int
    body: JobInvoiceBody | Any = Field(default=None, union_mode="left_to_right")


class CreateResult(_RutterModel):
    """What a create answered: a job to poll (async) or, when Rutter answered synchronously, the invoice."""

    job_id: str | None = None
    invoice: RutterInvoice | None = None
