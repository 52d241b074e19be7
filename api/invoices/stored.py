"""What the service reads back: an invoice request, and the accounting invoice with the columns of
the answer and the email.

Selections (`prisma.bases`, see charge.py): the statements that write these rows return just these
columns, and the reads read just these.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, get_args

from pydantic import BaseModel

from api.invoices.schemas import InvoiceLineOut
from prisma import bases, enums


class RequestRow(bases.Baseinvoice_request):
    """An invoice request: every column but `rutter_request_body`, the kilobytes of JSON sent to
    Rutter, which only a create after a crash needs (repository.request_body reads it then)."""

    id: str
    charge_id: str
    organization_id: str
    active_charge_id: str | None = None
    active_document_number: str | None = None
    status: enums.invoice_request_status
    send_email: bool
    client_idempotency_key: str | None = None
    request_fingerprint: str | None = None
    rutter_idempotency_key: str
    rutter_version: str
    rutter_job_id: str | None = None
    rutter_invoice_id: str | None = None
    acc_uac_invoice_id: str | None = None
    response_status: int | None = None
    response_body: Any | None = None
    error_code: str | None = None
    error_detail: Any | None = None
    attempts: int
    lease_owner: str | None = None
    lease_expires_at: datetime.datetime | None = None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    completed_at: datetime.datetime | None = None


class StoredLineRow(bases.Baseuac_line_item, InvoiceLineOut):
    """A uac_line_item with the columns of the answer's line (its fields are InvoiceLineOut's): an
    InvoiceOut takes these rows as its lines as they are, pydantic validates them once, when read."""


class StoredInvoiceRow(bases.Baseacc_uac_invoice):
    id: str
    provider_entity_id: str | None
    platform_id: str | None
    organization_id: str
    customer_id: str | None
    stream_customer_id: str | None
    status: enums.uac_bill_status | None
    document_number: str | None
    memo: str | None
    currency_code: str | None
    issue_date: datetime.datetime | None
    due_date: datetime.datetime | None
    total_amount: Decimal | None
    sub_total: Decimal | None
    tax_amount: Decimal | None
    amount_due: Decimal | None
    total_discount: Decimal | None
    email_status: str | None
    pdf_link: str | None
    created_at: datetime.datetime


class StoredInvoiceTree(StoredInvoiceRow):
    line_items: list[StoredLineRow]


def columns(row_class: type[BaseModel]) -> str:
    """The class's columns for a hand-written statement (its field names are the column names).
    Decimals are sent as text, so that JSON built from them keeps their scale (1750.10, not 1750.1)
    and pydantic parses them exactly."""
    return ", ".join(
        f"{name}::text AS {name}" if _is_decimal(field.annotation) else name
        for name, field in row_class.model_fields.items()
    )


def _is_decimal(annotation: Any) -> bool:
    return annotation is Decimal or Decimal in get_args(annotation)
