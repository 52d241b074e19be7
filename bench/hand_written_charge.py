"""The charge query the service ran before the Prisma client: one hand-written statement building
the charge, its request and the document-number look-ups as one JSON document, parsed and validated
row by row. Kept as the reference `python -m bench.charge_load` measures the client against."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
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
from prisma import models

Model = TypeVar("Model", bound=BaseModel)

_CHARGE = """
SELECT json_build_object(
    'invoice', to_json(i),
    'organization', to_json(o),
    'customer', to_json(c),
    'uac_customer', to_json(uc),
    'addresses', COALESCE((SELECT json_agg(to_json(a) ORDER BY a.type) FROM uac_address a
                           WHERE a.uac_customer_id = uc.id), '[]'::json),
    'adjustments', COALESCE((SELECT json_agg(to_json(ia) ORDER BY ia.created_at, ia.invoice_adjustment_id)
                             FROM invoice_adjustment ia WHERE ia.invoice_id = i.id), '[]'::json),
    'lines', COALESCE((
        SELECT json_agg(json_build_object(
                   'line', to_json(li), 'product', to_json(p), 'uac_item', to_json(ui),
                   'adjustments', COALESCE((SELECT json_agg(to_json(al))
                                            FROM invoice_adjustment_line_item al
                                            WHERE al.invoice_line_item_id = li.id), '[]'::json))
                   ORDER BY li.sort_order, li.created_at, li.id)
        FROM uac_line_item li
        LEFT JOIN product p ON p.product_id = li.product_id
        LEFT JOIN uac_item ui ON ui.id = p.uac_item_id
        WHERE li.uac_invoice_id = i.id), '[]'::json),
    'live_request', (SELECT to_json(r) FROM invoice_request r WHERE r.active_charge_id = i.id),
    'invoice_with_document_number', (
        SELECT a.id FROM acc_uac_invoice a
        WHERE a.organization_id = i.organization_id AND a.document_number = i.document_number
        ORDER BY a.created_at LIMIT 1),
    'request_with_document_number', (
        SELECT r.id FROM invoice_request r
        WHERE r.organization_id = i.organization_id AND r.active_document_number = i.document_number
          AND r.charge_id <> i.id)
)::text
FROM uac_invoice i
JOIN organization o ON o.id = i.organization_id
LEFT JOIN customer c ON c.customer_id = i.stream_customer_id
LEFT JOIN uac_customer uc ON uc.id = c.uac_customer_id
WHERE i.id = $1
"""


def _json(value: Any) -> Any:
    """A jsonb column value: numbers exact (Decimal), timestamps without zone read as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return json.loads(value, parse_float=Decimal)
    return value


def _from_json(model: type[Model], document: dict[str, Any]) -> Model:
    """A row from the JSON PostgreSQL rendered; the document (freshly parsed, ours) is fixed in place."""
    # to_json renders `timestamp` columns without an offset (`timestamptz` ones with one); they hold UTC.
    for name in _datetime_fields(model):
        value = document.get(name)
        if value is not None and not _has_offset(value):
            document[name] = value + "+00:00"
    return model.model_validate(document)


@functools.cache
def _datetime_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The model's datetime fields, worked out once per model rather than for every row loaded."""
    return tuple(name for name, field in model.model_fields.items() if "datetime" in str(field.annotation))


def _has_offset(timestamp: str) -> bool:
    tail = timestamp[19:]  # after YYYY-MM-DDTHH:MM:SS
    return "+" in tail or "-" in tail or tail.endswith("Z")


@dataclass
class HandWrittenState:
    """A charge and what decides whether it may be invoiced now."""

    charge: Charge
    # The request holding the charge (running or completed), if any.
    live_request: models.invoice_request | None
    # An acc_uac_invoice of the organization that already has the charge's document number.
    invoice_with_document_number: str | None
    # A live request of another charge of the organization with the same document number.
    request_with_document_number: str | None


async def load_charge_state(pool: asyncpg.Pool, charge_id: str) -> HandWrittenState | None:
    """The charge with its organization, customers, addresses, lines, products, items and
    adjustments, the request holding it and any invoice with its document number.

    One round trip whatever the number of line items.
    """
    document = _json(await pool.fetchval(_CHARGE, charge_id))
    if document is None:
        return None
    customer = document["customer"]
    uac_customer = document["uac_customer"]
    charge = Charge(
        uac_invoice=_from_json(InvoiceRow, document["invoice"]),
        organization=_from_json(OrganizationRow, document["organization"]),
        customer=_from_json(CustomerRow, customer) if customer else None,
        uac_customer=_from_json(UacCustomerRow, uac_customer) if uac_customer else None,
        addresses=[_from_json(UacAddressRow, a) for a in document["addresses"]],
        line_items=[_line_item(line) for line in document["lines"]],
    )
    live_request = document["live_request"]
    return HandWrittenState(
        charge=charge,
        live_request=_from_json(models.invoice_request, live_request) if live_request else None,
        invoice_with_document_number=document["invoice_with_document_number"],
        request_with_document_number=document["request_with_document_number"],
    )


def _line_item(document: dict[str, Any]) -> ChargeLineItem:
    product = document["product"]
    uac_item = document["uac_item"]
    return ChargeLineItem(
        line=_from_json(LineRow, document["line"]),
        product=_from_json(ProductRow, product) if product else None,
        uac_item=_from_json(UacItemRow, uac_item) if uac_item else None,
        adjustments=[_from_json(LineAdjustmentRow, a) for a in document["adjustments"]],
    )


# --------------------------------------------------------------------------------------------
# Invoice requests
# --------------------------------------------------------------------------------------------

DOCUMENT_NUMBER_HELD = "invoice_request_organization_id_active_document_number_key"
