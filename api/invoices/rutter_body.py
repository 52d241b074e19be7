"""The `invoice` object of Rutter's create-invoice body, built from a validated charge, per version."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from api.config import RutterVersion
from api.invoices.errors import InvalidCharge
from api.invoices.rules import BillableLine, ValidatedCharge
from api.values import as_utc, json_number

# See docs/rutter.md.
# Rutter takes amounts as JSON numbers, so the Decimals become numbers only here, at the edge: an
# int when whole, else a float built from the Decimal's exact decimal text (`float(Decimal("19.99"))`
# serializes as `19.99`). Line totals are rounded half-up to cents first (they are cents in the
# database); quantities and unit prices are sent unrounded, since unit prices below a cent are real
# (0.0015 per API call). Each billable line is one Rutter line: lines are never grouped, so unit
# prices are never summed (streamOS's own code sums them when it groups lines).

_CENT = Decimal("0.01")


def money_number(value: Decimal) -> int | float:
    """The amount rounded half-up to cents, as a JSON number."""
    return json_number(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def rutter_timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, as Rutter's examples write it: `2024-05-01T00:00:00.000Z`."""
    # isoformat truncates to milliseconds, as the // 1000 of the strftime this replaced (a tenth the CPU).
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _line_item(line: BillableLine) -> dict[str, Any]:
    item: dict[str, Any] = {"id": line.item_id}
    if line.quantity is not None:
        item["quantity"] = json_number(line.quantity)
    if line.unit_amount is not None:
        item["unit_amount"] = json_number(line.unit_amount)
    rutter_line: dict[str, Any] = {"total_amount": money_number(line.total_amount)}
    description = line.line_item.line.description
    if description is not None:
        rutter_line["description"] = description
    # `item` is required by 2023-03-14 and always known here, so both versions get it.
    rutter_line["item"] = item
    return rutter_line


def _additional_fields_2024(validated: ValidatedCharge) -> dict[str, Any]:
    additional: dict[str, Any] = {}
    email = validated.uac_customer.email
    if email is not None and email.strip():
        additional["billing_email"] = email.strip()
    addresses = [
        {
            "type": str(address.type),
            "address1": address.address1,
            "address2": address.address2,
            "city": address.city,
            "country": address.country,
            "postal_code": address.postal_code,
            "region": address.region,
        }
        for address in validated.charge.addresses
    ]
    if addresses:
        additional["addresses"] = addresses
    return additional


def build_rutter_invoice(validated: ValidatedCharge, version: RutterVersion) -> dict[str, Any]:
    """The `invoice` object of Rutter's create body (`api.rutter.client.create_body` wraps it).

    For 2023-03-14 no `additional_fields` are sent: that version allows only `addresses`, and only
    QuickBooks Desktop reads them. For 2024-08-31 `billing_email` and `addresses` are sent when
    there are any. Raises InvalidCharge when 2023-03-14 is asked for without a due date.
    """
    invoice = validated.charge.uac_invoice
    rutter_invoice: dict[str, Any] = {
        "customer_id": validated.customer_id,
        "issue_date": rutter_timestamp(validated.issue_date),
    }
    if validated.due_date is not None:
        rutter_invoice["due_date"] = rutter_timestamp(validated.due_date)
    elif version == "2023-03-14":
        raise InvalidCharge(
            "The charge lacks data Rutter requires: due_date.",
            {
                "charge_id": invoice.id,
                "problems": [
                    {"field": "due_date", "reason": f"missing (required by Rutter version {version})"}
                ],
            },
        )
    rutter_invoice["currency_code"] = validated.currency_code
    if invoice.document_number is not None and invoice.document_number.strip():
        rutter_invoice["document_number"] = invoice.document_number
    if invoice.memo is not None and invoice.memo.strip():
        rutter_invoice["memo"] = invoice.memo
    rutter_invoice["line_items"] = [_line_item(line) for line in validated.lines]
    if version == "2024-08-31":
        additional = _additional_fields_2024(validated)
        if additional:
            rutter_invoice["additional_fields"] = additional
    return rutter_invoice
