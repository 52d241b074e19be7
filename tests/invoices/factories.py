"""Rows and charges for tests: every required column filled, any column overridable.

`make_charge()` is the example charge of the demo data, fully reconciled and billable:
"Platform fee" 1 x 1500 and API_CALLS_DESCRIPTION 250 x 1 (total 1750), plus a suppressed
"Internal sub-total row" and a product-less "Thank you for your business" line that the filter
drops. Ids are valid UUIDs (the reference's "p-uuid-1" placeholders are not).

Every `make_*` takes the model's column names as keyword overrides; unknown names fail (the
models forbid extra fields).
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from api.invoices.charge import (
    Charge,
    ChargeLineItem,
    CustomerRow,
    InvoiceRow,
    LineAdjustmentRow,
    LineRow,
    OrganizationRow,
    ProductRow,
    UacAddressRow,
    UacCustomerRow,
    UacItemRow,
)
from devkit import demo
from prisma import enums, models

ORGANIZATION_ID = demo.ORGANIZATION_ID
CHARGE_ID = demo.CLEAN_CHARGE_ID
CUSTOMER_ID = "c7d1e0aa-2222-4b2b-8b22-000000000002"
PRICER_INVOICE_ID = "9b1e7f00-3333-4c3c-9c33-000000000003"
UAC_CUSTOMER_ID = "a1b2c3d4-4444-4d4d-8d44-000000000004"
RUTTER_CUSTOMER_ID = "5d0c7a8e-0123-4c1e-9b23-000000000123"
ORGANIZATION_ACCESS_TOKEN = "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"

PLATFORM_FEE_PRODUCT_ID = "5f1b2c3d-5555-4e5e-9e55-000000000001"
PLATFORM_FEE_UAC_ITEM_ID = "e1f2a3b4-6666-4f6f-af66-000000000001"
PLATFORM_FEE_RUTTER_ITEM_ID = "7e1f2b3c-0009-4d4e-8f09-000000000009"
API_CALLS_PRODUCT_ID = "5f1b2c3d-5555-4e5e-9e55-000000000002"
API_CALLS_UAC_ITEM_ID = "e1f2a3b4-6666-4f6f-af66-000000000002"
API_CALLS_RUTTER_ITEM_ID = "7e1f2b3c-0010-4d4e-8f09-000000000010"
API_CALLS_DESCRIPTION = "Usage \u2013 API calls"  # an en dash, as in the reference's example

LINE_PLATFORM_FEE_ID = "0d0e0f10-7777-4a7a-8a77-000000000001"
LINE_API_CALLS_ID = "0d0e0f10-7777-4a7a-8a77-000000000002"
LINE_SUBTOTAL_ID = "0d0e0f10-7777-4a7a-8a77-000000000003"
LINE_THANK_YOU_ID = "0d0e0f10-7777-4a7a-8a77-000000000004"

CUSTOMER_CREATED_AT = datetime(2024, 1, 10, tzinfo=UTC)
CHARGE_CREATED_AT = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
ISSUE_DATE = datetime(2024, 5, 1, tzinfo=UTC)
DUE_DATE = datetime(2024, 5, 31, tzinfo=UTC)


def new_id() -> str:
    """A fresh random UUID string."""
    return str(uuid.uuid4())


def make_organization(**overrides: Any) -> models.organization:
    values: dict[str, Any] = {
        "id": ORGANIZATION_ID,
        "business_name": "Example Seller Inc.",
        "business_email": "finance@seller.example",
        "created_at": CUSTOMER_CREATED_AT,
        "updated_at": CUSTOMER_CREATED_AT,
        "uac_access_token": ORGANIZATION_ACCESS_TOKEN,
        "uac_platform": "QUICKBOOKS",
        "agent_status": False,
        "uac_email_external_send_enabled": False,
        "invoice_create_override": False,
    }
    return models.organization(**(values | overrides))


def make_uac_invoice(**overrides: Any) -> models.uac_invoice:
    """The charge row of the example: INV-1001, issued 2024-05-01, due 2024-05-31, USD 1750."""
    values: dict[str, Any] = {
        "id": CHARGE_ID,
        "organization_id": ORGANIZATION_ID,
        "stream_customer_id": CUSTOMER_ID,
        "issue_date": ISSUE_DATE,
        "due_date": DUE_DATE,
        "period_start_date": datetime(2024, 4, 1, tzinfo=UTC),
        "period_end_date": datetime(2024, 4, 30, tzinfo=UTC),
        "payment_terms": 30,
        "memo": None,
        "document_number": "INV-1001",
        "currency_code": "USD",
        "amount_due": Decimal("1750.00"),
        "total_amount": Decimal("1750.00"),
        "sub_total": Decimal("1750.00"),
        "tax_amount": Decimal("0.00"),
        "total_discount": Decimal("0.00"),
        "created_at": CHARGE_CREATED_AT,
        "updated_at": CHARGE_CREATED_AT,
        "synced": False,
        "pricer_invoice_id": PRICER_INVOICE_ID,
        "term": "30",
        "is_vendor": False,
    }
    return models.uac_invoice(**(values | overrides))


def make_customer(**overrides: Any) -> models.customer:
    """The stream customer Acme Corp, matched to the accounting customer."""
    values: dict[str, Any] = {
        "customer_id": CUSTOMER_ID,
        "customer_name": "Acme Corp",
        "customer_email": "ap@acme.example",
        "objType": "customer",
        "organization_id": ORGANIZATION_ID,
        "created_at": CUSTOMER_CREATED_AT,
        "updated_at": CUSTOMER_CREATED_AT,
        "uac_customer_id": UAC_CUSTOMER_ID,
        "reconciliation_status": enums.ReconciliationStatus.MATCHED,
        "is_vendor": False,
    }
    return models.customer(**(values | overrides))


def make_uac_customer(**overrides: Any) -> models.uac_customer:
    """The accounting customer with Rutter id `5d0c7a8e-0123-4c1e-9b23-000000000123`, currency USD."""
    values: dict[str, Any] = {
        "id": UAC_CUSTOMER_ID,
        "organization_id": ORGANIZATION_ID,
        "provider_entity_id": RUTTER_CUSTOMER_ID,
        "platform_id": "58",
        "status": enums.uac_customer_status.ACTIVE,
        "contact_name": "Jane Doe",
        "currency_code": enums.currency.USD,
        "customer_name": "Acme Corp",
        "email": "ap@acme.example",
        "created_at": CUSTOMER_CREATED_AT,
        "updated_at": CUSTOMER_CREATED_AT,
        "objType": "uac_customer",
        "source_type": "ACCOUNTING",
    }
    return models.uac_customer(**(values | overrides))


def make_address(**overrides: Any) -> models.uac_address:
    """The accounting customer's billing address: 1 Main St, Austin TX 78701, US."""
    values: dict[str, Any] = {
        "id": new_id(),
        "uac_customer_id": UAC_CUSTOMER_ID,
        "organization_id": ORGANIZATION_ID,
        "type": enums.uac_address_type.billing,
        "address1": "1 Main St",
        "address2": None,
        "city": "Austin",
        "country": "US",
        "postal_code": "78701",
        "region": "TX",
        "created_at": CUSTOMER_CREATED_AT,
        "updated_at": CUSTOMER_CREATED_AT,
    }
    return models.uac_address(**(values | overrides))


def make_uac_item(**overrides: Any) -> models.uac_item:
    """An active service item with a Rutter id (a UUID, as Rutter's ids are; derived from the item's)."""
    item_id = overrides.get("id", new_id())
    values: dict[str, Any] = {
        "id": item_id,
        "provider_entity_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"rutter-item/{item_id}")),
        "organization_id": ORGANIZATION_ID,
        "platform_id": "12",
        "status": enums.uac_item_status.active,
        "type": enums.uac_item_type.service,
        "name": "Service",
        "created_at": CUSTOMER_CREATED_AT,
        "updated_at": CUSTOMER_CREATED_AT,
    }
    return models.uac_item(**(values | overrides))


def make_product(**overrides: Any) -> models.product:
    """A matched product (a fresh id and uac_item_id unless given)."""
    values: dict[str, Any] = {
        "product_id": new_id(),
        "product_name": "Service",
        "organization_id": ORGANIZATION_ID,
        "unit_price": None,
        "is_addon": False,
        "created_at": CUSTOMER_CREATED_AT,
        "updated_at": CUSTOMER_CREATED_AT,
        "uac_item_id": new_id(),
        "reconciliation_status": enums.ReconciliationStatus.MATCHED,
        "true_product": True,
        "is_vendor": False,
    }
    return models.product(**(values | overrides))


def make_line(**overrides: Any) -> models.uac_line_item:
    """A bare uac_line_item row of the example charge: 1 x 100, not suppressed, no product."""
    values: dict[str, Any] = {
        "id": new_id(),
        "uac_invoice_id": CHARGE_ID,
        "description": "Service",
        "quantity": 1.0,
        "unit_amount": 100.0,
        "total_amount": Decimal("100.00"),
        "product_id": None,
        "suppress_line_item": False,
        "sort_order": 0,
        "created_at": CHARGE_CREATED_AT,
        "updated_at": CHARGE_CREATED_AT,
    }
    return models.uac_line_item(**(values | overrides))


Row = TypeVar("Row", bound=BaseModel)


def select(row_class: type[Row], row: BaseModel) -> Row:
    """The columns of a whole row that the service selects (api/invoices/charge.py), as it loads them."""
    return row if isinstance(row, row_class) else row_class.model_validate(row.model_dump())


def select_optional(row_class: type[Row], row: BaseModel | None) -> Row | None:
    return None if row is None else select(row_class, row)


class _Default:
    """Marks an argument left out, where None means "no such row"."""


_DEFAULT = _Default()


def make_line_item(
    *,
    product: models.product | ProductRow | _Default | None = _DEFAULT,
    uac_item: models.uac_item | UacItemRow | _Default | None = _DEFAULT,
    adjustments: list[models.invoice_adjustment_line_item] | list[LineAdjustmentRow] | None = None,
    **line_overrides: Any,
) -> ChargeLineItem:
    """A charge line with a matched product and accounting item, unless told otherwise.

    `line_overrides` are uac_line_item columns. `product_id=None` gives a product-less line (no
    product, no item); `product=None` or `uac_item=None` give a line whose product or accounting
    item row is missing. A given product keeps its own id and uac_item_id; the line and the item
    are linked to it.
    """
    if "product_id" in line_overrides and line_overrides["product_id"] is None:
        product = None if isinstance(product, _Default) else product
        uac_item = None if isinstance(uac_item, _Default) else uac_item
    if isinstance(product, _Default):
        product_id = line_overrides.get("product_id", new_id())
        item_id = uac_item.id if isinstance(uac_item, models.uac_item) else new_id()
        product = make_product(product_id=product_id, uac_item_id=item_id)
    if isinstance(uac_item, _Default):
        uac_item = (
            make_uac_item(id=product.uac_item_id)
            if product is not None and product.uac_item_id is not None
            else None
        )
    if product is not None:
        line_overrides.setdefault("product_id", product.product_id)
    else:
        line_overrides.setdefault("product_id", new_id())  # points at a product row that is missing
    line = make_line(**line_overrides)
    return ChargeLineItem(
        line=select(LineRow, line),
        product=select_optional(ProductRow, product),
        uac_item=select_optional(UacItemRow, uac_item),
        adjustments=[select(LineAdjustmentRow, adjustment) for adjustment in adjustments or []],
    )


def make_adjustment(**overrides: Any) -> models.invoice_adjustment_line_item:
    """A `modify` adjustment of a line (set `invoice_line_item_id`), created 2024-05-02 unless told."""
    values: dict[str, Any] = {
        "invoice_adjustment_line_item_id": new_id(),
        "organization_id": ORGANIZATION_ID,
        "action": enums.InvoiceAdjustmentLineItemAction.modify,
        "invoice_line_item_id": None,
        "invoice_adjustment_id": None,
        "quantity": 1.0,
        "unit_price": 100.0,
        "total_amount": 100.0,
        "date_created": datetime(2024, 5, 2, tzinfo=UTC),
        "created_at": datetime(2024, 5, 2, tzinfo=UTC),
        "updated_at": datetime(2024, 5, 2, tzinfo=UTC),
    }
    return models.invoice_adjustment_line_item(**(values | overrides))


def make_invoice_adjustment(**overrides: Any) -> models.invoice_adjustment:
    """The invoice_adjustment header row of the example charge."""
    values: dict[str, Any] = {
        "invoice_adjustment_id": new_id(),
        "organization_id": ORGANIZATION_ID,
        "invoice_id": CHARGE_ID,
        "adjusted_by": "ops@seller.example",
        "adjustment_date": datetime(2024, 5, 2, tzinfo=UTC),
        "created_at": datetime(2024, 5, 2, tzinfo=UTC),
        "updated_at": datetime(2024, 5, 2, tzinfo=UTC),
        "adjustment_reason": enums.AdjustmentReason.OTHER,
    }
    return models.invoice_adjustment(**(values | overrides))


def platform_fee_line(**line_overrides: Any) -> ChargeLineItem:
    """The "Platform fee" line, 1 x 1500 on Rutter item `7e1f2b3c-0009-4d4e-8f09-000000000009`."""
    product = make_product(
        product_id=PLATFORM_FEE_PRODUCT_ID,
        product_name="Platform fee",
        unit_price=1500.0,
        uac_item_id=PLATFORM_FEE_UAC_ITEM_ID,
    )
    uac_item = make_uac_item(
        id=PLATFORM_FEE_UAC_ITEM_ID, provider_entity_id=PLATFORM_FEE_RUTTER_ITEM_ID, name="Platform fee"
    )
    values: dict[str, Any] = {
        "id": LINE_PLATFORM_FEE_ID,
        "description": "Platform fee",
        "quantity": 1.0,
        "unit_amount": 1500.0,
        "total_amount": Decimal("1500.00"),
        "pricer_index": 0,
        "sort_order": 0,
    }
    return make_line_item(product=product, uac_item=uac_item, **(values | line_overrides))


def api_calls_line(**line_overrides: Any) -> ChargeLineItem:
    """The API-calls usage line, 250 x 1 on Rutter item `7e1f2b3c-0010-4d4e-8f09-000000000010`."""
    product = make_product(
        product_id=API_CALLS_PRODUCT_ID,
        product_name="API calls",
        unit_price=1.0,
        uac_item_id=API_CALLS_UAC_ITEM_ID,
    )
    uac_item = make_uac_item(
        id=API_CALLS_UAC_ITEM_ID, provider_entity_id=API_CALLS_RUTTER_ITEM_ID, name="API calls"
    )
    values: dict[str, Any] = {
        "id": LINE_API_CALLS_ID,
        "description": API_CALLS_DESCRIPTION,
        "quantity": 250.0,
        "unit_amount": 1.0,
        "total_amount": Decimal("250.00"),
        "pricer_index": 1,
        "sort_order": 1,
    }
    return make_line_item(product=product, uac_item=uac_item, **(values | line_overrides))


def subtotal_line(**line_overrides: Any) -> ChargeLineItem:
    """The suppressed "Internal sub-total row" on the platform fee's (reconciled) product."""
    line_item = platform_fee_line()
    values: dict[str, Any] = {
        "id": LINE_SUBTOTAL_ID,
        "description": "Internal sub-total row",
        "quantity": 1.0,
        "unit_amount": 0.0,
        "total_amount": Decimal("0.00"),
        "suppress_line_item": True,
        "pricer_index": 2,
        "sort_order": 2,
    }
    return make_line_item(product=line_item.product, uac_item=line_item.uac_item, **(values | line_overrides))


def thank_you_line(**line_overrides: Any) -> ChargeLineItem:
    """The product-less "Thank you for your business" comment line."""
    values: dict[str, Any] = {
        "id": LINE_THANK_YOU_ID,
        "description": "Thank you for your business",
        "quantity": None,
        "unit_amount": None,
        "total_amount": None,
        "product_id": None,
        "suppress_line_item": False,
        "sort_order": 3,
    }
    return make_line_item(**(values | line_overrides))


def example_line_items() -> list[ChargeLineItem]:
    """The four lines of the example charge, in order."""
    return [platform_fee_line(), api_calls_line(), subtotal_line(), thank_you_line()]


_CHARGE_FIELDS = frozenset(field.name for field in fields(Charge))


def make_charge(**overrides: Any) -> Charge:
    """The example charge of the demo data: reconciled, billable, 1750 USD.

    Overrides named like a `Charge` field (`uac_invoice`, `organization`, `customer`, `uac_customer`,
    `addresses`, `line_items`) replace that part; any other name is a uac_invoice
    column, e.g. `make_charge(due_date=None, customer=None)`.
    """
    charge_parts = {name: value for name, value in overrides.items() if name in _CHARGE_FIELDS}
    invoice_columns = {name: value for name, value in overrides.items() if name not in _CHARGE_FIELDS}
    if invoice_columns and "uac_invoice" in charge_parts:
        raise TypeError(f"give either uac_invoice= or its columns, not both: {sorted(invoice_columns)}")
    values: dict[str, Any] = {
        "uac_invoice": make_uac_invoice(**invoice_columns),
        "organization": make_organization(),
        "customer": make_customer(),
        "uac_customer": make_uac_customer(),
        "addresses": [make_address()],
        "line_items": example_line_items(),
    }
    parts = values | charge_parts
    return Charge(
        uac_invoice=select(InvoiceRow, parts["uac_invoice"]),
        organization=select(OrganizationRow, parts["organization"]),
        customer=select_optional(CustomerRow, parts["customer"]),
        uac_customer=select_optional(UacCustomerRow, parts["uac_customer"]),
        addresses=[select(UacAddressRow, address) for address in parts["addresses"]],
        line_items=parts["line_items"],
    )
