"""Request and response bodies of the invoice endpoints (all of them appear in /openapi.json)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from api.errors import ErrorBody
from api.values import CANONICAL_UUID

if TYPE_CHECKING:  # stored.py's line rows are InvoiceLineOut instances: it imports this module
    from api.invoices.stored import StoredInvoiceRow, StoredLineRow

EXAMPLE_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000001"


class CreateInvoiceRequest(BaseModel):
    """Which charge to invoice, and whether to email the PDF."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"charge_id": EXAMPLE_CHARGE_ID, "send_email": True}]},
    )

    charge_id: uuid.UUID = Field(
        description="id of the uac_invoice row (the charge), as a canonical UUID (any letter case)",
        json_schema_extra={"pattern": CANONICAL_UUID},
    )
    send_email: StrictBool | None = Field(
        default=None, description="email the invoice PDF; when absent the EMAIL_ENABLED setting decides"
    )

    @field_validator("charge_id", mode="before")
    @classmethod
    def _canonical_uuid(cls, value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(CANONICAL_UUID, value):
            raise ValueError("must be a canonical UUID: 8-4-4-4-12 hexadecimal digits")
        return value


# A line of the stored invoice. The line rows the service reads back are of this class
# (stored.StoredLineRow), so an answer takes them as they are, without validating them again.
# (No docstring: it would become the schema's description in /openapi.json.)
class InvoiceLineOut(BaseModel):
    id: str
    description: str | None
    quantity: float | None
    unit_amount: float | None
    total_amount: Decimal | None = Field(description="decimal string")
    item_id: str | None = Field(description="Rutter id of the accounting item")


class InvoiceOut(BaseModel):
    """The acc_uac_invoice row as stored, with its line items. Money is a decimal string."""

    id: str
    provider_entity_id: str | None = Field(description="Rutter's invoice id")
    platform_id: str | None
    organization_id: str
    customer_id: str | None = Field(description="uac_customer.id")
    stream_customer_id: str | None = Field(description="customer.customer_id")
    status: str | None
    document_number: str | None
    memo: str | None
    currency_code: str | None
    issue_date: datetime | None
    due_date: datetime | None
    total_amount: Decimal | None
    sub_total: Decimal | None
    tax_amount: Decimal | None
    amount_due: Decimal | None
    total_discount: Decimal | None
    email_status: str | None = Field(description="SENT, FAILED_TO_SEND, or null when no email was asked")
    pdf_link: str | None
    created_at: datetime
    line_items: list[InvoiceLineOut]

    @classmethod
    def from_rows(cls, invoice: StoredInvoiceRow, lines: list[StoredLineRow]) -> InvoiceOut:
        return cls(
            id=invoice.id,
            provider_entity_id=invoice.provider_entity_id,
            platform_id=invoice.platform_id,
            organization_id=invoice.organization_id,
            customer_id=invoice.customer_id,
            stream_customer_id=invoice.stream_customer_id,
            status=invoice.status.value if invoice.status else None,
            document_number=invoice.document_number,
            memo=invoice.memo,
            currency_code=invoice.currency_code,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total_amount=invoice.total_amount,
            sub_total=invoice.sub_total,
            tax_amount=invoice.tax_amount,
            amount_due=invoice.amount_due,
            total_discount=invoice.total_discount,
            email_status=invoice.email_status,
            pdf_link=invoice.pdf_link,
            created_at=invoice.created_at,
            line_items=[*lines],  # InvoiceLineOut instances: taken as they are
        )


class RutterRef(BaseModel):
    job_id: str | None
    invoice_id: str | None


class EmailOutcome(BaseModel):
    status: Literal["SENT", "SKIPPED", "FAILED"]
    to: str | None = None
    error: str | None = None


class InvoiceCreated(BaseModel):
    """The answer once the invoice exists in Rutter and is stored."""

    request_id: str
    invoice: InvoiceOut
    rutter: RutterRef
    email: EmailOutcome


class InvoiceRequestStatus(BaseModel):
    """Where one invoice request stands: PENDING (a GET resumes it), COMPLETED or FAILED."""

    request_id: str
    charge_id: str
    status: Literal["PENDING", "COMPLETED", "FAILED"]
    status_url: str
    rutter_job_id: str | None
    created_at: datetime
    updated_at: datetime
    result: InvoiceCreated | None = Field(default=None, description="with status COMPLETED")
    error: ErrorBody | None = Field(default=None, description="with status FAILED")


class InvoicePreview(BaseModel):
    """What POST /invoices would send to Rutter for this charge; nothing is sent or written."""

    charge_id: str
    rutter_version: str
    billable_line_items: int
    request_body: dict[str, Any] = Field(
        description='the exact body: {"response_mode": "async", "invoice": …}'
    )
