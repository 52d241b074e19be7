"""Charges: the charge with everything the flow reads (one statement), and who holds its document number."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from api.invoices.charge import Charge, ChargeLineItem, ChargeTree
from api.invoices.errors import InvalidCharge
from api.invoices.stored import RequestRow
from prisma import Prisma
from prisma.types import uac_invoiceInclude

# How the charge's lists are ordered; the classes of charge.py say which columns and relations.
CHARGE_ORDER: uac_invoiceInclude = {
    "stream_customer": {
        "include": {"uac_customer": {"include": {"uac_address": {"order_by": {"type": "asc"}}}}}
    },
    "line_items": {"order_by": [{"sort_order": "asc"}, {"created_at": "asc"}, {"id": "asc"}]},
    # active_charge_id is the charge's id while a request runs or completed it (a unique column).
    "invoice_request": {"where": {"active_charge_id": {"not": None}}},
}


@dataclass
class ChargeState:
    """A charge and the request holding it (running or completed), if any."""

    charge: Charge
    live_request: RequestRow | None


def unreadable_charge(charge_id: str, error: ValidationError) -> InvalidCharge:
    """422 INVALID_CHARGE naming each column whose value could not be read (not the values)."""
    problems = [
        {"field": ".".join(str(part) for part in problem["loc"]), "reason": f"unreadable: {problem['msg']}"}
        for problem in error.errors(include_url=False, include_input=False)
    ]
    fields = ", ".join(dict.fromkeys(problem["field"] for problem in problems))
    return InvalidCharge(
        f"The charge holds values that cannot be read: {fields}.",
        {"charge_id": charge_id, "problems": problems},
    )


async def load_charge_state(db: Prisma, charge_id: str) -> ChargeState | None:
    """The charge with its organization, customers, addresses, lines, products, items and
    adjustments, and the request holding it. One round trip whatever the number of line items."""
    try:
        row = await ChargeTree.prisma(db).find_unique(where={"id": charge_id}, include=CHARGE_ORDER)
    except ValidationError as exc:  # a value the flow cannot read, e.g. a date past the year 9999
        raise unreadable_charge(charge_id, exc) from None
    if row is None:
        return None
    customer = row.stream_customer
    uac_customer = customer.uac_customer if customer else None
    charge = Charge(
        uac_invoice=row,
        organization=row.organization,
        customer=customer,
        uac_customer=uac_customer,
        addresses=list(uac_customer.uac_address) if uac_customer else [],
        line_items=[
            ChargeLineItem(
                line=line,
                product=line.product,
                uac_item=line.product.uac_item if line.product else None,
                adjustments=line.invoice_adjustment_line_item,
            )
            for line in row.line_items
        ],
    )
    live = row.invoice_request[0] if row.invoice_request else None
    return ChargeState(charge=charge, live_request=live)


# Two look-ups in one round trip (a Prisma user would make two find_first calls).
_DOCUMENT_NUMBER_HOLDERS = """
SELECT (SELECT a.id FROM acc_uac_invoice a
        WHERE a.organization_id = $1::uuid AND a.document_number = $2
        ORDER BY a.created_at LIMIT 1) AS invoice_id,
       (SELECT r.id FROM invoice_request r
        WHERE r.organization_id = $1::uuid AND r.active_document_number = $2 AND r.charge_id <> $3::uuid
        LIMIT 1) AS request_id
"""


@dataclass
class DocumentNumberHolders:
    """Who already has a charge's document number in its organization."""

    # An acc_uac_invoice of the organization with that document number.
    invoice_id: str | None = None
    # A live request of another charge of the organization with that document number.
    request_id: str | None = None


async def document_number_holders(db: Prisma, charge: Charge) -> DocumentNumberHolders:
    number = charge.uac_invoice.document_number
    if number is None:
        return DocumentNumberHolders()
    row = await db.query_first(
        _DOCUMENT_NUMBER_HOLDERS, charge.uac_invoice.organization_id, number, charge.uac_invoice.id
    )
    assert row is not None
    return DocumentNumberHolders(invoice_id=row["invoice_id"], request_id=row["request_id"])
