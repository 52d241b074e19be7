"""The parts of Rutter's answers we read, one model per shape, both API versions normalised.

2023-03-14 sends amounts as decimal strings and flat line items (`item_id`, `amount`); 2024-08-31
sends JSON numbers, nests `item {id, quantity, unit_amount}` and calls the invoice discount
`discount_amount`. `RutterInvoice` accepts either and exposes one shape. Unknown keys are ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AliasChoices,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

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
    """One invoice line, the same for both versions (`id` is None in 2024-08-31).

    Both shapes are read by pydantic-core itself (aliases, no Python before the fields: a "before"
    validator would turn every line into Python objects first): 2024-08-31's nested `item` fills
    `item_id`, `quantity` and `unit_amount` when the flat keys are absent; 2023-03-14's `amount` is
    the line total when `total_amount` is absent or null."""

    id: str | None = None
    platform_id: str | None = None
    account_id: str | None = None
    item_id: str | None = Field(None, validation_alias=AliasChoices("item_id", AliasPath("item", "id")))
    tax_rate_id: str | None = None
    description: str | None = None
    quantity: Amount = Field(None, validation_alias=AliasChoices("quantity", AliasPath("item", "quantity")))
    unit_amount: Amount = Field(
        None, validation_alias=AliasChoices("unit_amount", AliasPath("item", "unit_amount"))
    )
    total_amount: Amount = None
    sub_total: Amount = None
    tax_amount: Amount = None
    discount_amount: Amount = None
    discount_percentage: Amount = None
    amount: Amount = Field(None, exclude=True, repr=False)  # 2023-03-14's name for the line total

    @model_validator(mode="after")
    def _total_from_2023_amount(self) -> Self:
        if self.total_amount is None and self.amount is not None:
            object.__setattr__(self, "total_amount", self.amount)  # frozen: set once, while validating
        return self


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
    if TYPE_CHECKING:  # never None once validated (null is read as no lines)
        line_items: list[RutterInvoiceLine]
    else:
        line_items: list[RutterInvoiceLine] | None = None
    platform_url: str | None = None
    discount_amount: Amount = Field(None, exclude=True, repr=False)  # 2024-08-31's total_discount

    # One check after the fields, not a "before" validator: that would turn the whole invoice,
    # its lines included, into Python objects before validating them.
    @model_validator(mode="after")
    def _normalise(self) -> Self:
        if self.total_discount is None and self.discount_amount is not None:
            object.__setattr__(self, "total_discount", self.discount_amount)
        if self.line_items is None:
            object.__setattr__(self, "line_items", [])
        return self


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
