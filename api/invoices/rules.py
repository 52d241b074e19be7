"""The business rules (docs/contract.md), as pure functions: no I/O, no clock.

Each check raises the error class of its code with `details` a person can act on (which customer,
which line item, which field). `validate_charge` runs the checks that need nothing but the charge
in the contract's order; `access_token_for` is separate because NO_ACCESS_TOKEN answers only after
the database checks (INVOICE_ALREADY_EXISTS, DUPLICATE_DOCUMENT_NUMBER) that the service runs.
`rutter_body.build_rutter_invoice` turns the validated charge into Rutter's create body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from api.config import RutterVersion, Settings
from api.invoices.amounts import (
    MAX_STORED_AMOUNT,
    EffectiveAmounts,
    effective_amounts,
    latest_adjustment,
)
from api.invoices.charge import Charge, ChargeLineItem, UacCustomerRow
from api.invoices.errors import (
    InvalidCharge,
    NoAccessToken,
    NoBillableLineItems,
    UnreconciledCustomer,
    UnreconciledItem,
)
from api.values import is_canonical_uuid

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# Dates before this year are refused as data errors (no accounting system keeps such invoices).
EARLIEST_YEAR = 1900


def is_valid_uuid(value: str | None) -> bool:
    """True for a canonical 8-4-4-4-12 hex UUID string in any letter case; None, blank or malformed fail."""
    return is_canonical_uuid(value)


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


# --------------------------------------------------------------------------------------------
# Reconciliation
# --------------------------------------------------------------------------------------------


def check_customer_reconciled(charge: Charge) -> UacCustomerRow:
    """The charge's accounting customer, which has a Rutter id.

    Raises UnreconciledCustomer when the charge has no stream customer, the customer's
    `uac_customer_id` is not a valid UUID, the accounting customer row is missing, or it has no
    `provider_entity_id`.
    """
    customer = charge.customer
    uac_customer = charge.uac_customer
    reason: str | None = None
    if customer is None:
        reason = "The charge has no stream customer."
    elif _blank(customer.uac_customer_id):
        reason = "The customer is not linked to an accounting customer (uac_customer_id is empty)."
    elif not is_valid_uuid(customer.uac_customer_id):
        reason = "The customer's uac_customer_id is not a valid UUID."
    elif uac_customer is None:
        reason = "The accounting customer the customer points to does not exist."
    elif _blank(uac_customer.provider_entity_id):
        reason = "The accounting customer has no Rutter id (provider_entity_id is empty)."

    if reason is None and uac_customer is not None:
        return uac_customer

    if customer is None:
        customer_id, customer_name, uac_customer_id = charge.uac_invoice.stream_customer_id, None, None
    else:
        customer_id, customer_name = customer.customer_id, customer.customer_name
        uac_customer_id = customer.uac_customer_id
    who = f"customer {customer_name}" if customer_name else "customer"
    raise UnreconciledCustomer(
        f"The charge's {who} is not reconciled with an accounting customer: {reason}",
        {
            "charge_id": charge.uac_invoice.id,
            "customer_id": customer_id,
            "customer_name": customer_name,
            "uac_customer_id": uac_customer_id,
            "reason": reason,
        },
    )


def _item_problem(line_item: ChargeLineItem) -> str | None:
    """Why a line's product is not reconciled with an accounting item with a Rutter id, or None."""
    product = line_item.product
    if product is None:
        return "The line's product does not exist."
    if _blank(product.uac_item_id):
        return "The product is not linked to an accounting item (uac_item_id is empty)."
    if not is_valid_uuid(product.uac_item_id):
        return "The product's uac_item_id is not a valid UUID."
    if line_item.uac_item is None:
        return "The accounting item the product points to does not exist."
    if _blank(line_item.uac_item.provider_entity_id):
        return "The accounting item has no Rutter id (provider_entity_id is empty)."
    return None


def check_items_reconciled(charge: Charge) -> None:
    """Raises UnreconciledItem listing every line item whose product is not reconciled.

    Every line that references a product counts, suppressed or not, billable or not; lines
    without a product are not checked.
    """
    offending: list[dict[str, Any]] = []
    for line_item in charge.line_items:
        if line_item.line.product_id is None:
            continue
        reason = _item_problem(line_item)
        if reason is None:
            continue
        product = line_item.product
        offending.append(
            {
                "line_item_id": line_item.line.id,
                "description": line_item.line.description,
                "suppress_line_item": line_item.line.suppress_line_item,
                "product_id": line_item.line.product_id,
                "product_name": product.product_name if product is not None else None,
                "uac_item_id": product.uac_item_id if product is not None else None,
                "reason": reason,
            }
        )
    if offending:
        count = len(offending)
        noun = "line item references a product" if count == 1 else "line items reference products"
        raise UnreconciledItem(
            f"{count} {noun} not reconciled with an accounting item that has a Rutter id.",
            {"charge_id": charge.uac_invoice.id, "line_items": offending},
        )


# --------------------------------------------------------------------------------------------
# Line items
# --------------------------------------------------------------------------------------------


def is_billable(line_item: ChargeLineItem) -> bool:
    """`suppress_line_item` exactly False (None does not count) and a product."""
    return line_item.line.suppress_line_item is False and line_item.line.product_id is not None


def billable_line_items(charge: Charge) -> list[ChargeLineItem]:
    """The lines that go into the Rutter invoice, in the charge's order.

    Raises NoBillableLineItems when none survive the filter.
    """
    billable = [line_item for line_item in charge.line_items if is_billable(line_item)]
    if billable:
        return billable
    lines = [line_item.line for line_item in charge.line_items]
    raise NoBillableLineItems(
        "No line item of the charge can be invoiced: a line is sent only when suppress_line_item "
        "is false and it has a product.",
        {
            "charge_id": charge.uac_invoice.id,
            "line_items": len(lines),
            "suppressed": sum(line.suppress_line_item is True for line in lines),
            "suppress_line_item_null": sum(line.suppress_line_item is None for line in lines),
            "without_product": sum(line.product_id is None for line in lines),
        },
    )


# --------------------------------------------------------------------------------------------
# Invoice data
# --------------------------------------------------------------------------------------------


def invoice_currency(charge: Charge) -> str | None:
    """The accounting customer's currency, else the charge's; upper-cased, None when neither has one."""
    if charge.uac_customer is not None and charge.uac_customer.currency_code is not None:
        return str(charge.uac_customer.currency_code)
    code = charge.uac_invoice.currency_code
    return None if _blank(code) else str(code).strip().upper()


def _line_ref(line_item: ChargeLineItem) -> dict[str, Any]:
    return {"line_item_id": line_item.line.id, "description": line_item.line.description}


def _amount_problems(line_item: ChargeLineItem, amounts: EffectiveAmounts) -> list[dict[str, Any]]:
    quantity, unit_amount, total = amounts
    if (
        total is not None
        and total.is_finite()
        and abs(total) <= MAX_STORED_AMOUNT
        and (quantity is None or quantity.is_finite())
        and (unit_amount is None or unit_amount.is_finite())
    ):
        return []  # the usual case, decided without building a message
    adjustment = latest_adjustment(line_item)
    source = (
        f"its latest adjustment {adjustment.invoice_adjustment_line_item_id}"
        if adjustment is not None
        else "the line"
    )
    problems: list[dict[str, Any]] = []
    if amounts.total_amount is None:
        problems.append(
            {"field": "line_items.total_amount", **_line_ref(line_item), "reason": f"missing in {source}"}
        )
    for field_name, value in amounts._asdict().items():
        if value is not None and not value.is_finite():
            problems.append(
                {
                    "field": f"line_items.{field_name}",
                    **_line_ref(line_item),
                    "reason": f"not a number: {value}",
                }
            )
    if total is not None and total.is_finite() and abs(total) > MAX_STORED_AMOUNT:
        problems.append(
            {
                "field": "line_items.total_amount",
                **_line_ref(line_item),
                "reason": f"{total} is more than the {MAX_STORED_AMOUNT} an invoice line can store",
            }
        )
    return problems


def _invoice_total_problems(amounts: Sequence[EffectiveAmounts]) -> list[dict[str, Any]]:
    totals = [line.total_amount for line in amounts]
    finite = [total for total in totals if total is not None and total.is_finite()]
    if len(finite) == len(totals) and abs(sum(finite, Decimal(0))) > MAX_STORED_AMOUNT:
        return [
            {
                "field": "total_amount",
                "reason": f"the lines add up to more than the {MAX_STORED_AMOUNT} an invoice can store",
            }
        ]
    return []


def check_invoice_data(
    charge: Charge, billable: Sequence[ChargeLineItem], version: RutterVersion = "2023-03-14"
) -> list[EffectiveAmounts]:
    """Raises InvalidCharge listing everything Rutter requires that the charge lacks; returns what
    each billable line bills, in their order.

    Issue date, currency (3-letter ISO code) and every billable line's total always; the due date
    only where the version requires it (2023-03-14; optional from 2024-08-31 on).
    """
    problems: list[dict[str, Any]] = []
    if charge.uac_invoice.issue_date is None:
        problems.append({"field": "issue_date", "reason": "missing"})
    if charge.uac_invoice.due_date is None and version == "2023-03-14":
        problems.append({"field": "due_date", "reason": f"missing (required by Rutter version {version})"})
    for field_name in ("issue_date", "due_date"):
        moment = getattr(charge.uac_invoice, field_name)
        if moment is not None and moment.year < EARLIEST_YEAR:
            # Not an invoice date; and 0001-01-01T00:00 would even be stored back as -infinity.
            problems.append({"field": field_name, "reason": f"before the year {EARLIEST_YEAR}"})
    currency = invoice_currency(charge)
    if currency is None:
        problems.append(
            {"field": "currency_code", "reason": "missing on both the accounting customer and the charge"}
        )
    elif _CURRENCY_CODE.fullmatch(currency) is None:
        problems.append(
            {"field": "currency_code", "value": currency, "reason": "not a 3-letter ISO 4217 code"}
        )
    amounts = [effective_amounts(line_item) for line_item in billable]
    for line_item, line_amounts in zip(billable, amounts, strict=True):
        problems.extend(_amount_problems(line_item, line_amounts))
    problems.extend(_invoice_total_problems(amounts))
    if problems:
        fields = ", ".join(dict.fromkeys(problem["field"] for problem in problems))
        raise InvalidCharge(
            f"The charge lacks data Rutter requires: {fields}.",
            {"charge_id": charge.uac_invoice.id, "problems": problems},
        )
    return amounts


# --------------------------------------------------------------------------------------------
# Everything together
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillableLine:
    """One line of the Rutter invoice: the charge's line with what it bills."""

    line_item: ChargeLineItem
    item_id: str  # the accounting item's Rutter id (provider_entity_id)
    quantity: Decimal | None
    unit_amount: Decimal | None
    total_amount: Decimal


@dataclass(frozen=True)
class ValidatedCharge:
    """A charge that passed every check that needs only the charge, with what the payload needs."""

    charge: Charge
    uac_customer: UacCustomerRow
    customer_id: str  # the accounting customer's Rutter id (provider_entity_id)
    currency_code: str
    issue_date: datetime
    due_date: datetime | None  # None only where the Rutter version does not require it
    lines: list[BillableLine]

    @property
    def billable_line_items(self) -> list[ChargeLineItem]:
        return [line.line_item for line in self.lines]


def _billable_line(line_item: ChargeLineItem, amounts: EffectiveAmounts) -> BillableLine:
    # check_items_reconciled and check_invoice_data guarantee both.
    assert line_item.uac_item is not None and line_item.uac_item.provider_entity_id is not None
    assert amounts.total_amount is not None
    return BillableLine(
        line_item=line_item,
        item_id=line_item.uac_item.provider_entity_id,
        quantity=amounts.quantity,
        unit_amount=amounts.unit_amount,
        total_amount=amounts.total_amount,
    )


def validate_charge(charge: Charge, settings: Settings) -> ValidatedCharge:
    """Runs the charge-only checks in the contract's order (docs/contract.md); the first failure raises.

    UnreconciledCustomer, UnreconciledItem, NoBillableLineItems, InvalidCharge (the due date is
    required per `settings.rutter_version`).
    """
    uac_customer = check_customer_reconciled(charge)
    check_items_reconciled(charge)
    billable = billable_line_items(charge)
    amounts = check_invoice_data(charge, billable, settings.rutter_version)
    currency = invoice_currency(charge)
    issue_date = charge.uac_invoice.issue_date
    assert currency is not None and issue_date is not None and uac_customer.provider_entity_id is not None
    return ValidatedCharge(
        charge=charge,
        uac_customer=uac_customer,
        customer_id=uac_customer.provider_entity_id,
        currency_code=currency,
        issue_date=issue_date,
        due_date=charge.uac_invoice.due_date,
        lines=[
            _billable_line(line_item, line_amounts)
            for line_item, line_amounts in zip(billable, amounts, strict=True)
        ],
    )


def access_token_for(charge: Charge, settings: Settings) -> str:
    """The Rutter access token: the organization's `uac_access_token`, else RUTTER_ACCESS_TOKEN.

    Raises NoAccessToken when neither is set (blank counts as unset).
    """
    organization_token = charge.organization.uac_access_token
    if organization_token is not None and organization_token.strip():
        return organization_token.strip()
    if settings.rutter_access_token is not None:
        setting_token = settings.rutter_access_token.get_secret_value()
        if setting_token.strip():
            return setting_token.strip()
    raise NoAccessToken(
        "No Rutter access token: the organization has no uac_access_token and RUTTER_ACCESS_TOKEN "
        "is not set.",
        {
            "organization_id": charge.organization.id,
            "organization_field": "uac_access_token",
            "setting": "RUTTER_ACCESS_TOKEN",
        },
    )
