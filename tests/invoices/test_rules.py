"""The business rules of docs/contract.md, one table per rule; no database, no network."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import SecretStr

from api.config import RutterVersion, Settings
from api.errors import ServiceError
from api.invoices.amounts import EffectiveAmounts, effective_amounts
from api.invoices.charge import Charge, ChargeLineItem
from api.invoices.errors import (
    InvalidCharge,
    NoAccessToken,
    NoBillableLineItems,
    UnreconciledCustomer,
    UnreconciledItem,
)
from api.invoices.rules import (
    access_token_for,
    billable_line_items,
    check_customer_reconciled,
    check_invoice_data,
    check_items_reconciled,
    is_valid_uuid,
    validate_charge,
)
from prisma import enums
from tests.invoices.factories import (
    API_CALLS_DESCRIPTION,
    API_CALLS_RUTTER_ITEM_ID,
    CUSTOMER_ID,
    LINE_API_CALLS_ID,
    LINE_PLATFORM_FEE_ID,
    ORGANIZATION_ACCESS_TOKEN,
    PLATFORM_FEE_RUTTER_ITEM_ID,
    RUTTER_CUSTOMER_ID,
    UAC_CUSTOMER_ID,
    api_calls_line,
    make_adjustment,
    make_charge,
    make_customer,
    make_line_item,
    make_organization,
    make_product,
    make_uac_customer,
    make_uac_item,
    platform_fee_line,
    thank_you_line,
)


def settings(version: RutterVersion = "2023-03-14", access_token: str | None = None) -> Settings:
    return Settings(
        rutter_version=version,
        rutter_access_token=SecretStr(access_token) if access_token is not None else None,
    )


def as_json(error: ServiceError) -> dict[str, Any]:
    """The error as the API would answer it (also proves the details serialize)."""
    body: dict[str, dict[str, Any]] = json.loads(json.dumps(error.to_response().model_dump(mode="json")))
    return body["error"]


# --------------------------------------------------------------------------------------------
# UUIDs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("a1b2c3d4-4444-4d4d-8d44-000000000004", True),
        ("A1B2C3D4-4444-4D4D-8D44-00000000000F", True),
        ("a1B2c3D4-4444-4d4D-8d44-00000000000f", True),
        (None, False),
        ("", False),
        ("   ", False),
        ("not-a-uuid", False),
        ("a1b2c3d4444444d48d44000000000004", False),  # no hyphens: not canonical
        ("{a1b2c3d4-4444-4d4d-8d44-000000000004}", False),
        ("urn:uuid:a1b2c3d4-4444-4d4d-8d44-000000000004", False),
        (" a1b2c3d4-4444-4d4d-8d44-000000000004", False),
        ("a1b2c3d4-4444-4d4d-8d44-000000000004\n", False),
        ("a1b2c3d4-4444-4d4d-8d44-00000000004", False),  # one digit short
        ("g1b2c3d4-4444-4d4d-8d44-000000000004", False),  # not hex
    ],
)
def test_valid_uuid_is_canonical_hex_in_any_letter_case(value: str | None, valid: bool) -> None:
    assert is_valid_uuid(value) is valid


# --------------------------------------------------------------------------------------------
# Customer reconciliation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charge", "reason_fragment"),
    [
        pytest.param(make_charge(customer=None, uac_customer=None), "no stream customer", id="no-customer"),
        pytest.param(
            make_charge(customer=make_customer(uac_customer_id=None), uac_customer=None),
            "uac_customer_id is empty",
            id="null-uac-customer-id",
        ),
        pytest.param(
            make_charge(customer=make_customer(uac_customer_id=""), uac_customer=None),
            "uac_customer_id is empty",
            id="empty-uac-customer-id",
        ),
        pytest.param(
            make_charge(customer=make_customer(uac_customer_id="   "), uac_customer=None),
            "uac_customer_id is empty",
            id="blank-uac-customer-id",
        ),
        pytest.param(
            make_charge(customer=make_customer(uac_customer_id="uac-customer-4")),
            "not a valid UUID",
            id="malformed-uac-customer-id",
        ),
        pytest.param(make_charge(uac_customer=None), "does not exist", id="accounting-customer-missing"),
        pytest.param(
            make_charge(uac_customer=make_uac_customer(provider_entity_id=None)),
            "no Rutter id",
            id="null-provider-entity-id",
        ),
        pytest.param(
            make_charge(uac_customer=make_uac_customer(provider_entity_id="  ")),
            "no Rutter id",
            id="blank-provider-entity-id",
        ),
    ],
)
def test_unreconciled_customer_is_refused_with_the_reason(charge: Charge, reason_fragment: str) -> None:
    with pytest.raises(UnreconciledCustomer) as caught:
        check_customer_reconciled(charge)
    error = as_json(caught.value)
    assert error["code"] == "UNRECONCILED_CUSTOMER"
    assert reason_fragment in error["details"]["reason"]
    assert reason_fragment in error["message"]
    assert error["details"]["customer_id"] == CUSTOMER_ID
    assert error["details"]["charge_id"] == charge.uac_invoice.id


def test_unreconciled_customer_details_name_the_customer() -> None:
    charge = make_charge(customer=make_customer(uac_customer_id="oops"))
    with pytest.raises(UnreconciledCustomer) as caught:
        check_customer_reconciled(charge)
    details = caught.value.details
    assert details["customer_name"] == "Acme Corp"
    assert details["uac_customer_id"] == "oops"
    assert "Acme Corp" in caught.value.message


@pytest.mark.parametrize(
    "uac_customer_id",
    [UAC_CUSTOMER_ID, UAC_CUSTOMER_ID.upper()],
    ids=["lower-case", "upper-case"],
)
def test_reconciled_customer_gives_the_accounting_customer(uac_customer_id: str) -> None:
    charge = make_charge(customer=make_customer(uac_customer_id=uac_customer_id))
    assert check_customer_reconciled(charge).provider_entity_id == RUTTER_CUSTOMER_ID


# --------------------------------------------------------------------------------------------
# Item reconciliation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_item", "reason_fragment"),
    [
        pytest.param(make_line_item(product=None), "product does not exist", id="product-missing"),
        pytest.param(
            make_line_item(product=make_product(uac_item_id=None), uac_item=None),
            "uac_item_id is empty",
            id="null-uac-item-id",
        ),
        pytest.param(
            make_line_item(product=make_product(uac_item_id=""), uac_item=None),
            "uac_item_id is empty",
            id="empty-uac-item-id",
        ),
        pytest.param(
            make_line_item(product=make_product(uac_item_id="  "), uac_item=None),
            "uac_item_id is empty",
            id="blank-uac-item-id",
        ),
        pytest.param(
            make_line_item(product=make_product(uac_item_id="i-uuid-1"), uac_item=None),
            "not a valid UUID",
            id="malformed-uac-item-id",
        ),
        pytest.param(make_line_item(uac_item=None), "accounting item", id="accounting-item-missing"),
        pytest.param(
            make_line_item(uac_item=make_uac_item(provider_entity_id=None)),
            "no Rutter id",
            id="null-provider-entity-id",
        ),
        pytest.param(
            make_line_item(uac_item=make_uac_item(provider_entity_id="")),
            "no Rutter id",
            id="empty-provider-entity-id",
        ),
    ],
)
def test_line_with_unreconciled_product_is_refused_with_the_reason(
    line_item: ChargeLineItem, reason_fragment: str
) -> None:
    charge = make_charge(line_items=[platform_fee_line(), line_item])
    with pytest.raises(UnreconciledItem) as caught:
        check_items_reconciled(charge)
    error = as_json(caught.value)
    assert error["code"] == "UNRECONCILED_ITEM"
    [offending] = error["details"]["line_items"]
    assert offending["line_item_id"] == line_item.line.id
    assert offending["description"] == line_item.line.description
    assert offending["product_id"] == line_item.line.product_id
    assert reason_fragment in offending["reason"]


def test_upper_case_uac_item_id_counts_as_reconciled() -> None:
    item_id = "E1F2A3B4-6666-4F6F-AF66-0000000000AA"
    line_item = make_line_item(
        product=make_product(uac_item_id=item_id), uac_item=make_uac_item(id=item_id.lower())
    )
    check_items_reconciled(make_charge(line_items=[line_item]))


@pytest.mark.parametrize("suppress_line_item", [True, None, False], ids=["suppressed", "null", "false"])
def test_suppressed_line_with_unreconciled_product_blocks_invoice(suppress_line_item: bool | None) -> None:
    unreconciled = make_line_item(suppress_line_item=suppress_line_item, uac_item=None)
    charge = make_charge(line_items=[platform_fee_line(), api_calls_line(), unreconciled])
    with pytest.raises(UnreconciledItem) as caught:
        validate_charge(charge, settings())
    assert [line["line_item_id"] for line in caught.value.details["line_items"]] == [unreconciled.line.id]


def test_every_offending_line_is_listed_in_charge_order() -> None:
    bad_lines = [
        make_line_item(description="No item", product=make_product(uac_item_id=None), uac_item=None),
        make_line_item(
            description="Suppressed, no Rutter id",
            suppress_line_item=True,
            uac_item=make_uac_item(provider_entity_id=None),
        ),
        make_line_item(description="Missing product", product=None),
    ]
    charge = make_charge(
        line_items=[
            platform_fee_line(),
            bad_lines[0],
            api_calls_line(),
            bad_lines[1],
            thank_you_line(),
            bad_lines[2],
        ]
    )
    with pytest.raises(UnreconciledItem) as caught:
        check_items_reconciled(charge)
    listed = caught.value.details["line_items"]
    assert [line["line_item_id"] for line in listed] == [line.line.id for line in bad_lines]
    assert [line["description"] for line in listed] == [line.line.description for line in bad_lines]
    assert caught.value.message.startswith("3 line items")


def test_line_without_product_is_not_checked_for_reconciliation() -> None:
    check_items_reconciled(make_charge(line_items=[thank_you_line(suppress_line_item=None)]))


# --------------------------------------------------------------------------------------------
# Line item filter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suppress_line_item", "has_product", "billable"),
    [
        (False, True, True),
        (None, True, False),  # null suppression does not count as false
        (True, True, False),
        (False, False, False),  # a product-less line is excluded even when not suppressed
        (None, False, False),
        (True, False, False),
    ],
)
def test_line_is_billable_only_when_suppression_is_exactly_false_and_it_has_a_product(
    suppress_line_item: bool | None, has_product: bool, billable: bool
) -> None:
    line_item = (
        make_line_item(suppress_line_item=suppress_line_item)
        if has_product
        else make_line_item(suppress_line_item=suppress_line_item, product_id=None)
    )
    charge = make_charge(line_items=[platform_fee_line(), line_item])
    kept = billable_line_items(charge)
    assert (line_item in kept) is billable


def test_example_charge_bills_platform_fee_and_api_calls_in_order() -> None:
    kept = billable_line_items(make_charge())
    assert [line.line.id for line in kept] == [LINE_PLATFORM_FEE_ID, LINE_API_CALLS_ID]


def test_billable_lines_keep_the_charges_order() -> None:
    lines = [make_line_item(description=f"line {index}", sort_order=index) for index in (3, 1, 2)]
    assert billable_line_items(make_charge(line_items=lines)) == lines


@pytest.mark.parametrize(
    ("line_items", "counts"),
    [
        pytest.param(
            [],
            {"line_items": 0, "suppressed": 0, "suppress_line_item_null": 0, "without_product": 0},
            id="no-lines",
        ),
        pytest.param(
            [
                make_line_item(suppress_line_item=True),
                make_line_item(suppress_line_item=None),
                make_line_item(product_id=None),
                make_line_item(product_id=None, suppress_line_item=True),
            ],
            {"line_items": 4, "suppressed": 2, "suppress_line_item_null": 1, "without_product": 2},
            id="all-filtered-out",
        ),
    ],
)
def test_charge_without_billable_lines_is_refused_with_counts(
    line_items: list[ChargeLineItem], counts: dict[str, int]
) -> None:
    with pytest.raises(NoBillableLineItems) as caught:
        billable_line_items(make_charge(line_items=line_items))
    error = as_json(caught.value)
    assert error["code"] == "NO_BILLABLE_LINE_ITEMS"
    assert caught.value.status_code == 422
    assert {key: error["details"][key] for key in counts} == counts


# --------------------------------------------------------------------------------------------
# Invoice adjustments
# --------------------------------------------------------------------------------------------

T0 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


def test_line_without_adjustments_bills_its_own_values_as_decimals() -> None:
    line_item = make_line_item(quantity=3.0, unit_amount=19.99, total_amount=Decimal("59.97"))
    assert effective_amounts(line_item) == EffectiveAmounts(Decimal("3"), Decimal("19.99"), Decimal("59.97"))


@pytest.mark.parametrize(
    ("adjustments", "expected_total"),
    [
        pytest.param(
            [
                {"total_amount": 300.0, "created_at": T0 + timedelta(hours=2)},
                {"total_amount": 100.0, "created_at": T0},
                {"total_amount": 200.0, "created_at": T0 + timedelta(hours=1)},
            ],
            Decimal("300.0"),
            id="latest-wins-not-last-in-list",
        ),
        pytest.param(
            [
                {"total_amount": 200.0, "created_at": T0 + timedelta(hours=1)},
                {"total_amount": 100.0, "created_at": datetime(2024, 5, 2, 9, 30)},  # naive = UTC
            ],
            Decimal("200.0"),
            id="naive-timestamps-are-utc",
        ),
        pytest.param(
            [
                {"total_amount": 200.0, "created_at": T0},
                {
                    "total_amount": 100.0,
                    "created_at": datetime(2024, 5, 2, 10, 0, tzinfo=timezone(timedelta(hours=2))),
                },
            ],
            Decimal("200.0"),
            id="time-zones-compared-as-instants",
        ),
        pytest.param(
            [
                {"total_amount": 200.0, "created_at": T0},
                {"total_amount": 100.0, "created_at": None},
            ],
            Decimal("200.0"),
            id="missing-created-at-sorts-first",
        ),
        pytest.param(
            [
                {"total_amount": 200.0, "created_at": T0, "date_created": T0 + timedelta(minutes=1)},
                {"total_amount": 100.0, "created_at": T0, "date_created": T0},
            ],
            Decimal("200.0"),
            id="created-at-tie-broken-by-date-created",
        ),
        pytest.param(
            [
                {
                    "total_amount": 200.0,
                    "created_at": T0,
                    "date_created": T0,
                    "invoice_adjustment_line_item_id": "ffffffff-0000-4000-8000-000000000000",
                },
                {
                    "total_amount": 100.0,
                    "created_at": T0,
                    "date_created": T0,
                    "invoice_adjustment_line_item_id": "00000000-0000-4000-8000-000000000000",
                },
            ],
            Decimal("200.0"),
            id="full-tie-broken-by-id",
        ),
    ],
)
def test_latest_adjustment_by_time_gives_the_amounts(
    adjustments: list[dict[str, Any]], expected_total: Decimal
) -> None:
    line_item = make_line_item(adjustments=[make_adjustment(**values) for values in adjustments])
    assert effective_amounts(line_item).total_amount == expected_total
    reversed_line = make_line_item(adjustments=list(reversed(line_item.adjustments)))
    assert effective_amounts(reversed_line).total_amount == expected_total


def test_adjustment_replaces_quantity_unit_price_and_total() -> None:
    line_item = make_line_item(
        quantity=1.0,
        unit_amount=1500.0,
        total_amount=Decimal("1500.00"),
        adjustments=[make_adjustment(quantity=2.5, unit_price=19.99, total_amount=49.975)],
    )
    assert effective_amounts(line_item) == EffectiveAmounts(
        Decimal("2.5"), Decimal("19.99"), Decimal("49.975")
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (19.99, Decimal("19.99")),
        (0.1 + 0.2, Decimal("0.30000000000000004")),  # kept as stored; the payload rounds totals to cents
        (1e-4, Decimal("0.0001")),
        (250.0, Decimal("250.0")),
    ],
)
def test_float_amounts_become_decimals_from_their_shortest_text(value: float, expected: Decimal) -> None:
    amounts = effective_amounts(make_line_item(unit_amount=value))
    assert amounts.unit_amount == expected
    assert str(amounts.unit_amount) == str(expected)


# --------------------------------------------------------------------------------------------
# Invoice data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uac_customer_currency", "charge_currency", "expected"),
    [
        (enums.currency.CAD, "USD", "CAD"),  # the accounting customer's currency wins
        (None, "EUR", "EUR"),
        (None, " gbp ", "GBP"),
    ],
)
def test_currency_comes_from_accounting_customer_else_the_charge(
    uac_customer_currency: enums.currency | None, charge_currency: str, expected: str
) -> None:
    charge = make_charge(
        currency_code=charge_currency, uac_customer=make_uac_customer(currency_code=uac_customer_currency)
    )
    assert validate_charge(charge, settings()).currency_code == expected


def _no_currency() -> dict[str, Any]:
    return {"currency_code": None, "uac_customer": make_uac_customer(currency_code=None)}


@pytest.mark.parametrize(
    ("overrides", "version", "fields"),
    [
        pytest.param({"issue_date": None}, "2023-03-14", ["issue_date"], id="issue-date"),
        pytest.param({"due_date": None}, "2023-03-14", ["due_date"], id="due-date-2023"),
        pytest.param(_no_currency(), "2023-03-14", ["currency_code"], id="currency-missing"),
        pytest.param(
            {"currency_code": "  ", "uac_customer": make_uac_customer(currency_code=None)},
            "2023-03-14",
            ["currency_code"],
            id="currency-blank",
        ),
        pytest.param(
            {"currency_code": "US$", "uac_customer": make_uac_customer(currency_code=None)},
            "2023-03-14",
            ["currency_code"],
            id="currency-not-iso",
        ),
        pytest.param(
            {"line_items": [platform_fee_line(total_amount=None), api_calls_line()]},
            "2023-03-14",
            ["line_items.total_amount"],
            id="line-total",
        ),
        pytest.param(
            {
                "issue_date": None,
                "due_date": None,
                **_no_currency(),
                "line_items": [
                    platform_fee_line(total_amount=None),
                    api_calls_line(adjustments=[make_adjustment(total_amount=None)]),
                ],
            },
            "2023-03-14",
            ["issue_date", "due_date", "currency_code", "line_items.total_amount", "line_items.total_amount"],
            id="everything-listed",
        ),
        pytest.param(
            {"issue_date": None, "due_date": None},
            "2024-08-31",
            ["issue_date"],
            id="due-date-optional-in-2024",
        ),
    ],
)
def test_invalid_charge_lists_every_missing_field(
    overrides: dict[str, Any], version: RutterVersion, fields: list[str]
) -> None:
    charge = make_charge(**overrides)
    with pytest.raises(InvalidCharge) as caught:
        check_invoice_data(charge, billable_line_items(charge), version)
    error = as_json(caught.value)
    assert error["code"] == "INVALID_CHARGE"
    assert [problem["field"] for problem in error["details"]["problems"]] == fields
    for field in fields:
        assert field in error["message"]


def test_missing_line_totals_name_the_line_and_the_adjustment() -> None:
    adjustment = make_adjustment(total_amount=None)
    charge = make_charge(
        line_items=[platform_fee_line(total_amount=None), api_calls_line(adjustments=[adjustment])]
    )
    with pytest.raises(InvalidCharge) as caught:
        check_invoice_data(charge, billable_line_items(charge))
    problems = caught.value.details["problems"]
    assert [(p["line_item_id"], p["description"]) for p in problems] == [
        (LINE_PLATFORM_FEE_ID, "Platform fee"),
        (LINE_API_CALLS_ID, API_CALLS_DESCRIPTION),
    ]
    assert adjustment.invoice_adjustment_line_item_id in problems[1]["reason"]


def test_non_billable_line_without_total_is_not_a_problem() -> None:
    charge = make_charge()  # its "Thank you" line has no total and no product
    check_invoice_data(charge, billable_line_items(charge))


def test_due_date_may_be_missing_for_2024_08_31() -> None:
    validated = validate_charge(make_charge(due_date=None), settings("2024-08-31"))
    assert validated.due_date is None


def test_non_finite_amount_is_invalid() -> None:
    charge = make_charge(line_items=[platform_fee_line(adjustments=[make_adjustment(quantity=float("nan"))])])
    with pytest.raises(InvalidCharge) as caught:
        check_invoice_data(charge, billable_line_items(charge))
    assert [p["field"] for p in caught.value.details["problems"]] == ["line_items.quantity"]


@pytest.mark.parametrize(
    ("total", "expected_fields"),
    [
        (99_999_999.99, []),  # the largest amount DECIMAL(10, 2) stores
        (100_000_000.0, ["line_items.total_amount", "total_amount"]),
        (1e30, ["line_items.total_amount", "total_amount"]),  # would overflow the cents rounding too
    ],
)
def test_line_total_beyond_what_the_database_stores_is_invalid(
    total: float, expected_fields: list[str]
) -> None:
    charge = make_charge(line_items=[platform_fee_line(adjustments=[make_adjustment(total_amount=total)])])
    if not expected_fields:
        check_invoice_data(charge, billable_line_items(charge))
        return
    with pytest.raises(InvalidCharge) as caught:
        check_invoice_data(charge, billable_line_items(charge))
    assert [p["field"] for p in caught.value.details["problems"]] == expected_fields


def test_lines_adding_up_beyond_what_the_database_stores_are_invalid() -> None:
    lines = [
        platform_fee_line(adjustments=[make_adjustment(total_amount=60_000_000.0)]),
        api_calls_line(adjustments=[make_adjustment(total_amount=60_000_000.0)]),
    ]
    charge = make_charge(line_items=lines)
    with pytest.raises(InvalidCharge) as caught:
        check_invoice_data(charge, billable_line_items(charge))
    assert [p["field"] for p in caught.value.details["problems"]] == ["total_amount"]


# --------------------------------------------------------------------------------------------
# Access token
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("organization_token", "setting_token", "expected"),
    [
        (ORGANIZATION_ACCESS_TOKEN, "from-settings", ORGANIZATION_ACCESS_TOKEN),  # organization first
        (None, "from-settings", "from-settings"),
        ("", "from-settings", "from-settings"),
        ("   ", "from-settings", "from-settings"),
        (ORGANIZATION_ACCESS_TOKEN, None, ORGANIZATION_ACCESS_TOKEN),
        (None, None, None),
        (None, "  ", None),
        ("", "", None),
    ],
)
def test_access_token_prefers_the_organization_then_the_setting(
    organization_token: str | None, setting_token: str | None, expected: str | None
) -> None:
    charge = make_charge(organization=make_organization(uac_access_token=organization_token))
    if expected is None:
        with pytest.raises(NoAccessToken) as caught:
            access_token_for(charge, settings(access_token=setting_token))
        error = as_json(caught.value)
        assert (caught.value.status_code, error["code"]) == (400, "NO_ACCESS_TOKEN")
        assert error["details"]["organization_id"] == charge.organization.id
        assert "RUTTER_ACCESS_TOKEN" in error["message"]
    else:
        assert access_token_for(charge, settings(access_token=setting_token)) == expected


# --------------------------------------------------------------------------------------------
# Everything together, in the contract's order
# --------------------------------------------------------------------------------------------

_UNRECONCILED_CUSTOMER: dict[str, Any] = {
    "customer": make_customer(uac_customer_id=None),
    "uac_customer": None,
}
_UNRECONCILED_ITEM_ONLY_LINE: dict[str, Any] = {
    "line_items": [make_line_item(suppress_line_item=True, uac_item=None), thank_you_line()]
}


@pytest.mark.parametrize(
    ("overrides", "expected_error"),
    [
        pytest.param(
            {**_UNRECONCILED_CUSTOMER, **_UNRECONCILED_ITEM_ONLY_LINE, "issue_date": None},
            UnreconciledCustomer,
            id="customer-before-item",
        ),
        pytest.param(
            {**_UNRECONCILED_ITEM_ONLY_LINE, "issue_date": None},
            UnreconciledItem,
            id="item-before-no-billable-lines",
        ),
        pytest.param(
            {"line_items": [thank_you_line()], "issue_date": None},
            NoBillableLineItems,
            id="no-billable-lines-before-invalid-charge",
        ),
        pytest.param({"issue_date": None}, InvalidCharge, id="invalid-charge"),
    ],
)
def test_checks_run_in_the_contracts_order(
    overrides: dict[str, Any], expected_error: type[ServiceError]
) -> None:
    with pytest.raises(ServiceError) as caught:
        validate_charge(make_charge(**overrides), settings())
    assert type(caught.value) is expected_error


def test_valid_charge_gives_what_the_payload_needs() -> None:
    charge = make_charge()
    validated = validate_charge(charge, settings())
    assert validated.customer_id == RUTTER_CUSTOMER_ID
    assert validated.uac_customer is charge.uac_customer
    assert validated.currency_code == "USD"
    assert validated.issue_date == charge.uac_invoice.issue_date
    assert validated.due_date == charge.uac_invoice.due_date
    assert validated.billable_line_items == charge.line_items[:2]
    assert [
        (line.item_id, line.quantity, line.unit_amount, line.total_amount) for line in validated.lines
    ] == [
        (PLATFORM_FEE_RUTTER_ITEM_ID, Decimal("1"), Decimal("1500"), Decimal("1500.00")),
        (API_CALLS_RUTTER_ITEM_ID, Decimal("250"), Decimal("1"), Decimal("250.00")),
    ]


def test_validation_does_not_need_an_access_token() -> None:
    charge = make_charge(organization=make_organization(uac_access_token=None))
    validate_charge(charge, settings(access_token=None))
