"""A charge as the invoice flow sees it: the uac_invoice row with everything the rules read.

The rows are selections (Prisma Client Python's "Selecting Fields", `prisma.bases`): each class
names the columns the checks, the Rutter body and the answer read, and nothing else, so the charge
document PostgreSQL builds and pydantic decodes is a few kilobytes instead of every streamOS column.
The `...Row` classes are the columns; the `...Tree` classes add the relations loaded with them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from api.invoices.stored import RequestRow
from prisma import bases, enums

# A numeric column as PostgreSQL holds it, NaN and infinities included: the rules refuse those
# on billable lines with their own message (rules.check_invoice_data) and ignore them elsewhere.
StoredDecimal = Annotated[Decimal | None, Field(allow_inf_nan=True)]


class OrganizationRow(bases.Baseorganization):
    id: str
    uac_access_token: str | None


class UacAddressRow(bases.Baseuac_address):
    type: enums.uac_address_type
    address1: str | None
    address2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None


class UacCustomerRow(bases.Baseuac_customer):
    id: str
    provider_entity_id: str | None
    customer_name: str | None
    email: str | None
    currency_code: enums.currency | None


class UacCustomerTree(UacCustomerRow):
    uac_address: list[UacAddressRow]


class CustomerRow(bases.Basecustomer):
    customer_id: str
    customer_name: str | None
    uac_customer_id: str | None


class CustomerTree(CustomerRow):
    uac_customer: UacCustomerTree | None


class UacItemRow(bases.Baseuac_item):
    id: str
    provider_entity_id: str | None


class ProductRow(bases.Baseproduct):
    product_id: str
    product_name: str | None
    uac_item_id: str | None


class ProductTree(ProductRow):
    uac_item: UacItemRow | None


class LineAdjustmentRow(bases.Baseinvoice_adjustment_line_item):
    invoice_adjustment_line_item_id: str
    quantity: float | None
    unit_price: float | None
    total_amount: float | None
    date_created: datetime.datetime | None
    created_at: datetime.datetime | None


class LineRow(bases.Baseuac_line_item):
    id: str
    description: str | None
    quantity: float | None
    unit_amount: float | None
    total_amount: StoredDecimal
    product_id: str | None
    suppress_line_item: bool | None


class LineTree(LineRow):
    product: ProductTree | None
    invoice_adjustment_line_item: list[LineAdjustmentRow]


class InvoiceRow(bases.Baseuac_invoice):
    id: str
    organization_id: str
    stream_customer_id: str | None
    document_number: str | None
    memo: str | None
    currency_code: str | None
    issue_date: datetime.datetime | None
    due_date: datetime.datetime | None
    total_amount: StoredDecimal


class ChargeTree(InvoiceRow):
    """One charge and everything around it: one statement, one JSON document, one pydantic pass."""

    organization: OrganizationRow
    stream_customer: CustomerTree | None
    line_items: list[LineTree]
    # The request holding the charge (running or completed), if any; at most one (a unique column).
    invoice_request: list[RequestRow]


@dataclass
class ChargeLineItem:
    """One uac_line_item of the charge with its product, accounting item and adjustments."""

    line: LineRow
    product: ProductRow | None = None
    uac_item: UacItemRow | None = None
    # Every invoice_adjustment_line_item pointing at this line, in any order.
    adjustments: list[LineAdjustmentRow] = field(default_factory=list)


@dataclass
class Charge:
    """A uac_invoice row and the rows around it."""

    uac_invoice: InvoiceRow
    organization: OrganizationRow
    customer: CustomerRow | None = None
    uac_customer: UacCustomerRow | None = None
    addresses: list[UacAddressRow] = field(default_factory=list)
    # Ordered by sort_order, then created_at, then id.
    line_items: list[ChargeLineItem] = field(default_factory=list)
