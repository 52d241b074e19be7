"""A charge as the invoice flow sees it: the uac_invoice row with everything the rules read."""

from __future__ import annotations

from dataclasses import dataclass, field

from prisma import models


@dataclass
class ChargeLineItem:
    """One uac_line_item of the charge with its product, accounting item and adjustments."""

    line: models.uac_line_item
    product: models.product | None = None
    uac_item: models.uac_item | None = None
    # Every invoice_adjustment_line_item pointing at this line, in any order.
    adjustments: list[models.invoice_adjustment_line_item] = field(default_factory=list)


@dataclass
class Charge:
    """A uac_invoice row and the rows around it, loaded in a bounded number of queries."""

    invoice: models.uac_invoice
    organization: models.organization
    customer: models.customer | None = None
    uac_customer: models.uac_customer | None = None
    addresses: list[models.uac_address] = field(default_factory=list)
    # Ordered by sort_order, then created_at, then id.
    line_items: list[ChargeLineItem] = field(default_factory=list)
    adjustments: list[models.invoice_adjustment] = field(default_factory=list)
