"""Builds a stored invoice from an accepted create body, and renders it per API version.

Amounts: `sub_total` is the sum of the line `total_amount`s; `tax_amount` the sum of the lines'
`additional_fields.tax_amount` (2024-08-31 bodies only, else 0); `total_amount` = `amount_due` =
sub_total + tax_amount (nothing is paid, `linked_payments` is []). Discounts are reported, not
subtracted (a line's `total_amount` is already its total). 2023-03-14 renders amounts as decimal
strings ("14.34", "2", "0"), 2024-08-31 as JSON numbers (docs/rutter.md).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sandbox.money import money_number, money_string, to_decimal
from sandbox.rutter_schema import (
    CreateInvoiceRequest,
    Invoice20240831,
    LineItem20230314,
    LineItem20240831,
)
from sandbox.rutter_state import Connection, StoredInvoice, StoredLine, iso, utc_now

_NAMESPACE = uuid.UUID("0b5f0c4e-7d0a-4b8e-8c1e-5a3d9e2f6c11")
_REV_REC_KEYS = ("rev_rec_end_date", "rev_rec_start_date")


def build_invoice(
    parsed: CreateInvoiceRequest,
    *,
    connection: Connection,
    version: str,
    platform_id: str,
    idempotency_key: str | None,
    job_id: str,
) -> StoredInvoice:
    body = parsed.invoice
    extra = body.model_extra or {}
    lines: list[StoredLine] = []
    line_items: list[LineItem20230314 | LineItem20240831] = list(body.line_items)
    for index, line in enumerate(line_items):
        total = to_decimal(line.total_amount)
        item = line.item
        quantity = to_decimal(item.quantity) if item and item.quantity is not None else Decimal(1)
        if item and item.unit_amount is not None:
            unit = to_decimal(item.unit_amount)
        else:
            unit = total / quantity if quantity else total
        extra_fields = (
            line.additional_fields.model_dump(exclude_none=True) if line.additional_fields else None
        )
        tax = Decimal(0)
        if isinstance(line, LineItem20240831) and line.additional_fields is not None:
            tax = _decimal_or_none(line.additional_fields.tax_amount) or Decimal(0)
        lines.append(
            StoredLine(
                platform_id=str(index + 1),
                rutter_id=str(uuid.uuid4()),
                total_amount=total,
                description=line.description,
                account_id=line.account_id,
                class_id=line.class_id if isinstance(line, LineItem20240831) else None,
                location_id=line.location_id if isinstance(line, LineItem20240831) else None,
                tax_rate_id=line.tax_rate_id if isinstance(line, LineItem20240831) else None,
                item_id=item.id if item else None,
                has_item=item is not None,
                quantity=quantity,
                unit_amount=unit,
                discount_amount=to_decimal(line.discount_amount)
                if line.discount_amount is not None
                else None,
                tax_amount=tax,
                additional_fields=extra_fields or None,
            )
        )
    fields = body.additional_fields
    addresses = [a.model_dump() for a in fields.addresses] if fields and fields.addresses else []
    discount = sum((line.discount_amount or Decimal(0) for line in lines), Decimal(0))
    account_id = body.account_id if isinstance(body, Invoice20240831) else extra.get("account_id")
    now = utc_now()
    return StoredInvoice(
        id=str(uuid.uuid4()),
        platform_id=platform_id,
        connection=connection,
        created_version=version,
        customer_id=body.customer_id,
        account_id=account_id
        if isinstance(account_id, str)
        else str(uuid.uuid5(_NAMESPACE, "accounts-receivable:" + connection.id)),
        class_id=body.class_id if isinstance(body, Invoice20240831) else _str_or_none(extra.get("class_id")),
        payment_terms_id=body.payment_terms_id,
        subsidiary_id=body.subsidiary_id,
        issue_date=body.issue_date,
        due_date=body.due_date,
        status=(body.status if isinstance(body, Invoice20240831) else None) or "open",
        currency_code=body.currency_code,
        document_number=body.document_number or platform_id,
        memo=body.memo,
        lines=lines,
        addresses=addresses,
        discount_amount=discount,
        internal_memo=getattr(fields, "internal_memo", None),
        po_number=getattr(fields, "po_number", None),
        shipping_amount=_decimal_or_none(getattr(fields, "shipping_amount", None)),
        billing_email=getattr(fields, "billing_email", None),
        created_at=now,
        idempotency_key=idempotency_key,
        job_id=job_id,
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _decimal_or_none(value: float | None) -> Decimal | None:
    return to_decimal(value) if value is not None else None


def render_invoice(invoice: StoredInvoice, version: str) -> dict[str, Any]:
    return render_2024_08_31(invoice) if version == "2024-08-31" else render_2023_03_14(invoice)


def render_2023_03_14(invoice: StoredInvoice) -> dict[str, Any]:
    """`Invoice` of the 2023-03-14 spec: amounts are strings, line items carry an `id`."""
    lines = []
    for line in invoice.lines:
        rendered: dict[str, Any] = {
            "id": line.rutter_id,
            "platform_id": line.platform_id,
            "account_id": line.account_id,
            "item_id": line.item_id,
            "tax_rate_id": line.tax_rate_id,
            "description": line.description,
            "quantity": money_number(line.quantity),
            "amount": money_string(line.total_amount + line.tax_amount),
            "discount_amount": money_string(line.discount_amount or Decimal(0)),
            "discount_percentage": None,
            "sub_total": money_string(line.total_amount),
            "tax_amount": money_string(line.tax_amount),
            "unit_amount": money_string(line.unit_amount),
        }
        rev_rec = {k: v for k, v in (line.additional_fields or {}).items() if k in _REV_REC_KEYS}
        if rev_rec:
            rendered["additional_fields"] = rev_rec
        lines.append(rendered)
    updated = iso(invoice.created_at)
    return {
        "id": invoice.id,
        "platform_id": invoice.platform_id,
        "account_id": invoice.account_id,
        "customer_id": invoice.customer_id,
        "subsidiary_id": invoice.subsidiary_id,
        "due_date": invoice.due_date,
        "issue_date": invoice.issue_date,
        "status": invoice.status if invoice.status in {"open", "draft", "submitted"} else "open",
        "currency_code": invoice.currency_code,
        "document_number": invoice.document_number,
        "memo": invoice.memo,
        "amount_due": money_string(invoice.total_amount),
        "sub_total": money_string(invoice.sub_total),
        "tax_amount": money_string(invoice.tax_amount),
        "total_amount": money_string(invoice.total_amount),
        "total_discount": money_string(invoice.discount_amount),
        "linked_payments": [],
        "line_items": lines,
        "created_at": updated,
        "updated_at": updated,
    }


def render_2024_08_31(invoice: StoredInvoice) -> dict[str, Any]:
    """`Invoice` of the 2024-08-31 spec: amounts are numbers, no line `id`, nested `item`."""
    lines = []
    for line in invoice.lines:
        rendered: dict[str, Any] = {
            "platform_id": line.platform_id,
            "account_id": line.account_id,
            "class_id": line.class_id,
            "location_id": line.location_id,
            "tax_rate_id": line.tax_rate_id,
            "description": line.description,
            "discount_amount": money_number(line.discount_amount)
            if line.discount_amount is not None
            else None,
            "discount_percentage": None,
            "sub_total": money_number(line.total_amount),
            "tax_amount": money_number(line.tax_amount),
            "total_amount": money_number(line.total_amount + line.tax_amount),
            "type": None,
            "item": {
                "id": line.item_id,
                "quantity": money_number(line.quantity),
                "unit_amount": money_number(line.unit_amount),
            }
            if line.has_item
            else None,
        }
        if line.additional_fields:
            rendered["additional_fields"] = line.additional_fields
        lines.append(rendered)
    addresses = [
        {
            "type": address.get("type"),
            **{
                key: address.get(key)
                for key in ("address1", "address2", "address3", "city", "country", "postal_code", "region")
            },
        }
        for address in invoice.addresses
    ]
    stamp = iso(invoice.created_at)
    return {
        "id": invoice.id,
        "platform_id": invoice.platform_id,
        "account_id": invoice.account_id,
        "class_id": invoice.class_id,
        "customer_id": invoice.customer_id,
        "payment_terms_id": invoice.payment_terms_id,
        "subsidiary_id": invoice.subsidiary_id,
        "due_date": invoice.due_date,
        "issue_date": invoice.issue_date,
        "status": invoice.status,
        "amount_due": money_number(invoice.total_amount),
        "currency_code": invoice.currency_code,
        "discount_amount": money_number(invoice.discount_amount),
        "document_number": invoice.document_number,
        "memo": invoice.memo,
        "sub_total": money_number(invoice.sub_total),
        "tax_amount": money_number(invoice.tax_amount),
        "total_amount": money_number(invoice.total_amount),
        "linked_payments": [],
        "addresses": addresses,
        "line_items": lines,
        "additional_fields": {
            "internal_memo": invoice.internal_memo,
            "po_number": invoice.po_number,
            "shipping_amount": money_number(invoice.shipping_amount)
            if invoice.shipping_amount is not None
            else None,
            "linked_journal_entries": [],
        },
        "created_at": stamp,
        "updated_at": stamp,
        "last_synced_at": stamp,
        "platform_url": None,
    }
