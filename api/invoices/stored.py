"""The accounting invoice as the service reads it back: the columns of the answer and the email.

Selections (`prisma.bases`, see charge.py): the write-back returns just these columns, and the
replay and the email read just these.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from prisma import bases, enums


class StoredLineRow(bases.Baseuac_line_item):
    id: str
    description: str | None
    quantity: float | None
    unit_amount: float | None
    total_amount: Decimal | None
    item_id: str | None


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


def columns(row_class: type[StoredInvoiceRow] | type[StoredLineRow]) -> str:
    """The class's columns for a hand-written statement (its field names are the column names)."""
    return ", ".join(row_class.model_fields)
