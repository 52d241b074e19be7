"""A charge as the invoice flow sees it: the uac_invoice row with everything the rules read."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.db.models import (
    Customer,
    InvoiceAdjustment,
    InvoiceAdjustmentLineItem,
    Organization,
    Product,
    UacAddress,
    UacCustomer,
    UacInvoice,
    UacItem,
    UacLineItem,
)


@dataclass
class ChargeLineItem:
    """One uac_line_item of the charge with its product, accounting item and adjustments."""

    line: UacLineItem
    product: Product | None = None
    uac_item: UacItem | None = None
    # Every invoice_adjustment_line_item pointing at this line, in any order.
    adjustments: list[InvoiceAdjustmentLineItem] = field(default_factory=list)


@dataclass
class Charge:
    """A uac_invoice row and the rows around it, loaded in a bounded number of queries."""

    invoice: UacInvoice
    organization: Organization
    customer: Customer | None = None
    uac_customer: UacCustomer | None = None
    addresses: list[UacAddress] = field(default_factory=list)
    # Ordered by sort_order, then created_at, then id.
    line_items: list[ChargeLineItem] = field(default_factory=list)
    adjustments: list[InvoiceAdjustment] = field(default_factory=list)
