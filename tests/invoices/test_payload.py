"""The Rutter create-invoice body: exact shapes per version, checked against Rutter's own schema."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from api.config import RutterVersion, Settings
from api.invoices.charge import Charge
from api.invoices.errors import InvalidCharge
from api.invoices.rules import ValidatedCharge, validate_charge
from api.invoices.rutter_body import build_rutter_invoice, money_number, rutter_timestamp
from api.values import json_number
from sandbox.rutter_schema import InvalidBody, validate_create_body
from tests.invoices.factories import (
    API_CALLS_DESCRIPTION,
    api_calls_line,
    make_address,
    make_adjustment,
    make_charge,
    make_line_item,
    make_product,
    make_uac_customer,
    make_uac_item,
    platform_fee_line,
    thank_you_line,
)

VERSIONS: tuple[RutterVersion, ...] = ("2023-03-14", "2024-08-31")

EXAMPLE_LINE_ITEMS: list[dict[str, Any]] = [
    {
        "total_amount": 1500,
        "description": "Platform fee",
        "item": {"id": "7e1f2b3c-0009-4d4e-8f09-000000000009", "quantity": 1, "unit_amount": 1500},
    },
    {
        "total_amount": 250,
        "description": API_CALLS_DESCRIPTION,
        "item": {"id": "7e1f2b3c-0010-4d4e-8f09-000000000010", "quantity": 250, "unit_amount": 1},
    },
]

EXAMPLE_2023: dict[str, Any] = {
    "customer_id": "5d0c7a8e-0123-4c1e-9b23-000000000123",
    "issue_date": "2024-05-01T00:00:00.000Z",
    "due_date": "2024-05-31T00:00:00.000Z",
    "currency_code": "USD",
    "document_number": "INV-1001",
    "line_items": EXAMPLE_LINE_ITEMS,
}

EXAMPLE_2024: dict[str, Any] = {
    **EXAMPLE_2023,
    "additional_fields": {
        "billing_email": "ap@acme.example",
        "addresses": [
            {
                "type": "billing",
                "address1": "1 Main St",
                "address2": None,
                "city": "Austin",
                "country": "US",
                "postal_code": "78701",
                "region": "TX",
            }
        ],
    },
}


def validated(charge: Charge, version: RutterVersion = "2023-03-14") -> ValidatedCharge:
    return validate_charge(charge, Settings(rutter_version=version))


def build(charge: Charge, version: RutterVersion = "2023-03-14") -> dict[str, Any]:
    return build_rutter_invoice(validated(charge, version), version)


# --------------------------------------------------------------------------------------------
# Rutter's schemas: the project's own models of them (the sandbox's), and Rutter's official OpenAPI
# for 2023-03-14 where RUTTER_OPENAPI_PATH names it
# --------------------------------------------------------------------------------------------


def schema_errors_2023(invoice: dict[str, Any]) -> list[str]:
    """Every way the create body breaks the sandbox's model of Rutter's 2023-03-14 schema.

    Unknown top-level keys, which Rutter's schema leaves open (the sandbox warns about them), count
    as errors here: the service must send only what the schema declares.
    """
    try:
        _, warnings = validate_create_body("2023-03-14", {"response_mode": "async", "invoice": invoice})
    except InvalidBody as error:
        return [error.message]
    return warnings


def official_schema_errors_2023(openapi_path: Path, invoice: dict[str, Any]) -> list[str]:
    """Every way the create body breaks `CreateCreateInvoiceRequest` of Rutter's official yaml.

    That schema declares no `response_mode` (older doc builds took it as a query parameter), and
    its `CreateInvoice` leaves unknown top-level keys open; the body is checked as declared, and the
    `invoice` object once more with unknown keys refused, as its nested objects already are.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with openapi_path.open(encoding="utf-8") as spec:
        components: dict[str, Any] = yaml.load(spec, Loader=loader)["components"]  # noqa: S506 - a safe loader
    request_schema = {"$ref": "#/components/schemas/CreateCreateInvoiceRequest", "components": components}
    strict_invoice_schema = {
        **components["schemas"]["CreateInvoice"],
        "additionalProperties": False,
        "components": components,
    }
    body = {"response_mode": "async", "invoice": invoice}
    errors = [
        *Draft202012Validator(request_schema).iter_errors(body),
        *Draft202012Validator(strict_invoice_schema).iter_errors(invoice),
    ]
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_TOP_LEVEL_2024 = {
    "customer_id", "issue_date", "currency_code", "line_items", "due_date", "account_id", "class_id",
    "payment_terms_id", "subsidiary_id", "document_number", "memo", "status", "additional_fields",
}  # fmt: skip
_LINE_2024 = {
    "total_amount", "description", "account_id", "class_id", "discount_item_id", "location_id",
    "tax_rate_id", "discount_amount", "item", "additional_fields",
}  # fmt: skip
_ADDITIONAL_2024 = {
    "department_id", "location_id", "tax_rate_id", "ship_date", "allow_online_ach_payment",
    "allow_online_credit_card_payment", "billing_email", "discount_amount", "discount_percentage",
    "internal_memo", "po_number", "shipping_amount", "tax_amount", "addresses",
}  # fmt: skip
_ADDRESS_TYPES_2024 = {"billing", "shipping", "po_box", "ship_from", "unknown", "STREET", "POBOX"}
_ADDRESS_KEYS_2024 = {"type", "address1", "address2", "address3", "city", "country", "postal_code", "region"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def schema_errors_2024(invoice: dict[str, Any]) -> list[str]:
    """The required fields and types of `CreateInvoice` for 2024-08-31 (docs/rutter.md)."""
    errors: list[str] = []
    for key in ("customer_id", "issue_date", "currency_code", "line_items"):
        if key not in invoice:
            errors.append(f"{key}: required")
    errors += [f"{key}: unknown field" for key in invoice.keys() - _TOP_LEVEL_2024]
    for key in ("customer_id", "currency_code", "document_number", "memo"):
        if key in invoice and not isinstance(invoice[key], str):
            errors.append(f"{key}: not a string")
    for key in ("issue_date", "due_date"):
        if key in invoice and not (isinstance(invoice[key], str) and _TIMESTAMP.fullmatch(invoice[key])):
            errors.append(f"{key}: not an ISO-8601 timestamp")
    if not re.fullmatch(r"[A-Z]{3}", str(invoice.get("currency_code"))):
        errors.append("currency_code: not an ISO 4217 code")
    for index, line in enumerate(invoice.get("line_items", [])):
        where = f"line_items/{index}"
        errors += [f"{where}/{key}: unknown field" for key in line.keys() - _LINE_2024]
        if not _is_number(line.get("total_amount")):
            errors.append(f"{where}/total_amount: required number")
        if "description" in line and not isinstance(line["description"], str):
            errors.append(f"{where}/description: not a string")
        item = line.get("item", {})
        errors += [
            f"{where}/item/{key}: unknown field" for key in item.keys() - {"id", "quantity", "unit_amount"}
        ]
        if "id" in item and not isinstance(item["id"], str):
            errors.append(f"{where}/item/id: not a string")
        errors += [
            f"{where}/item/{key}: not a number"
            for key in ("quantity", "unit_amount")
            if key in item and not _is_number(item[key])
        ]
    additional = invoice.get("additional_fields", {})
    errors += [f"additional_fields/{key}: unknown field" for key in additional.keys() - _ADDITIONAL_2024]
    if "billing_email" in additional and not isinstance(additional["billing_email"], str):
        errors.append("additional_fields/billing_email: not a string")
    for index, address in enumerate(additional.get("addresses", [])):
        where = f"additional_fields/addresses/{index}"
        if address.get("type") not in _ADDRESS_TYPES_2024:
            errors.append(f"{where}/type: required, one of {sorted(_ADDRESS_TYPES_2024)}")
        errors += [f"{where}/{key}: unknown field" for key in address.keys() - _ADDRESS_KEYS_2024]
        errors += [
            f"{where}/{key}: not a string or null"
            for key, value in address.items()
            if key != "type" and value is not None and not isinstance(value, str)
        ]
    return errors


def schema_errors(invoice: dict[str, Any], version: RutterVersion) -> list[str]:
    return schema_errors_2023(invoice) if version == "2023-03-14" else schema_errors_2024(invoice)


def test_2023_schema_check_catches_what_rutter_would_refuse() -> None:
    """The validator itself works: a line without `item` and an unknown key are errors."""
    without_item = {**EXAMPLE_2023, "line_items": [{"total_amount": 1}]}
    assert schema_errors_2023(without_item) == ["invoice.line_items[0].item: Field required"]
    unknown_key = {**EXAMPLE_2023, "billing_email": "x@example.com"}
    assert schema_errors_2023(unknown_key) == ["unknown key 'invoice.billing_email' ignored"]


def test_official_2023_schema_check_catches_what_rutter_would_refuse(rutter_openapi_path: Path) -> None:
    broken = {**EXAMPLE_2023, "line_items": [{"total_amount": 1}], "billing_email": "x@example.com"}
    errors = official_schema_errors_2023(rutter_openapi_path, broken)
    assert any("'item' is a required property" in error for error in errors)
    assert any("billing_email" in error for error in errors)


def test_2024_schema_check_catches_what_rutter_would_refuse() -> None:
    broken = {**EXAMPLE_2024, "line_items": [{"item": {"quantity": "1"}}], "customer_id": None}
    assert schema_errors_2024(broken) == [
        "customer_id: not a string",
        "line_items/0/total_amount: required number",
        "line_items/0/item/quantity: not a number",
    ]


# --------------------------------------------------------------------------------------------
# The example charge
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"), [("2023-03-14", EXAMPLE_2023), ("2024-08-31", EXAMPLE_2024)]
)
def test_example_charge_gives_the_exact_rutter_invoice(
    version: RutterVersion, expected: dict[str, Any]
) -> None:
    rutter_invoice = build(make_charge(), version)
    assert rutter_invoice == expected
    assert [type(line["total_amount"]) for line in rutter_invoice["line_items"]] == [int, int]
    assert sum(line["total_amount"] for line in rutter_invoice["line_items"]) == 1750


@pytest.mark.parametrize("version", VERSIONS)
def test_example_charge_is_valid_for_rutter(version: RutterVersion) -> None:
    assert schema_errors(build(make_charge(), version), version) == []


# --------------------------------------------------------------------------------------------
# Variations, each valid for both versions
# --------------------------------------------------------------------------------------------

VARIATIONS: dict[str, Charge] = {
    "with-memo": make_charge(memo="Thanks for April"),
    "no-document-number": make_charge(document_number=None),
    "blank-document-number": make_charge(document_number="  "),
    "adjusted-fractional-line": make_charge(
        line_items=[
            platform_fee_line(
                adjustments=[make_adjustment(quantity=2.5, unit_price=0.0015, total_amount=0.00375)]
            )
        ]
    ),
    "line-without-description": make_charge(line_items=[platform_fee_line(description=None)]),
    "adjustment-without-quantity-and-price": make_charge(
        line_items=[
            platform_fee_line(
                adjustments=[make_adjustment(quantity=None, unit_price=None, total_amount=12.5)]
            )
        ]
    ),
    "no-email-no-addresses": make_charge(uac_customer=make_uac_customer(email=None), addresses=[]),
    "all-address-types": make_charge(
        addresses=[
            make_address(type=kind, address1=None, city=None)
            for kind in ("billing", "shipping", "po_box", "unknown")
        ]
    ),
    "charge-currency": make_charge(currency_code="EUR", uac_customer=make_uac_customer(currency_code=None)),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("charge", VARIATIONS.values(), ids=VARIATIONS.keys())
def test_rutter_invoice_is_valid_for_rutter(charge: Charge, version: RutterVersion) -> None:
    assert schema_errors(build(charge, version), version) == []


def test_2023_invoices_are_valid_for_the_official_openapi(rutter_openapi_path: Path) -> None:
    charges = {"example": make_charge(), **VARIATIONS}
    errors = {
        name: official_schema_errors_2023(rutter_openapi_path, build(charge, "2023-03-14"))
        for name, charge in charges.items()
    }
    assert errors == {name: [] for name in charges}


def _none_paths(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [found for key, child in value.items() for found in _none_paths(child, f"{path}/{key}")]
    if isinstance(value, list):
        return [found for index, child in enumerate(value) for found in _none_paths(child, f"{path}/{index}")]
    return [path] if value is None else []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("charge", VARIATIONS.values(), ids=VARIATIONS.keys())
def test_rutter_invoice_has_no_null_values_except_address_lines(
    charge: Charge, version: RutterVersion
) -> None:
    paths = _none_paths(build(charge, version))
    assert [path for path in paths if not path.startswith("/additional_fields/addresses/")] == []


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"memo": "Thanks for April"}, "memo", "Thanks for April"),
        ({"memo": None}, "memo", None),
        ({"memo": ""}, "memo", None),
        ({"document_number": None}, "document_number", None),
        ({"document_number": "   "}, "document_number", None),
        ({"document_number": "INV-2002"}, "document_number", "INV-2002"),
        (
            {"currency_code": "cad", "uac_customer": make_uac_customer(currency_code=None)},
            "currency_code",
            "CAD",
        ),
    ],
)
def test_optional_charge_fields_are_sent_only_when_present(
    overrides: dict[str, Any], key: str, expected: str | None
) -> None:
    for version in VERSIONS:
        assert build(make_charge(**overrides), version).get(key) == expected


# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------


def test_only_billable_lines_are_sent_in_the_charges_order() -> None:
    charge = make_charge(
        line_items=[
            thank_you_line(),
            api_calls_line(),
            make_line_item(description="Null suppression", suppress_line_item=None),
            platform_fee_line(),
            make_line_item(description="Suppressed", suppress_line_item=True),
        ]
    )
    assert [line["description"] for line in build(charge)["line_items"]] == [
        API_CALLS_DESCRIPTION,
        "Platform fee",
    ]


def test_lines_on_the_same_item_are_never_merged_or_their_unit_prices_summed() -> None:
    product = make_product()
    uac_item = make_uac_item(
        id=product.uac_item_id, provider_entity_id="7e1f2b3c-5a3e-4d4e-8f09-00000000005a"
    )
    lines = [
        make_line_item(product=product, uac_item=uac_item, description="Seat", quantity=2.0, unit_amount=10.0,
                       total_amount=Decimal("20.00")),
        make_line_item(product=product, uac_item=uac_item, description="Seat", quantity=3.0, unit_amount=12.0,
                       total_amount=Decimal("36.00")),
    ]  # fmt: skip
    assert build(make_charge(line_items=lines))["line_items"] == [
        {"total_amount": 20, "description": "Seat",
         "item": {"id": "7e1f2b3c-5a3e-4d4e-8f09-00000000005a", "quantity": 2, "unit_amount": 10}},
        {"total_amount": 36, "description": "Seat",
         "item": {"id": "7e1f2b3c-5a3e-4d4e-8f09-00000000005a", "quantity": 3, "unit_amount": 12}},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line_values", "expected_line"),
    [
        pytest.param(
            {"quantity": 3.0, "unit_amount": 19.99, "total_amount": Decimal("59.97")},
            {"total_amount": 59.97, "item": {"quantity": 3, "unit_amount": 19.99}},
            id="19.99-times-3",
        ),
        pytest.param(
            {"adjustments": [make_adjustment(quantity=1.0, unit_price=0.1 + 0.2, total_amount=0.1 + 0.2)]},
            {"total_amount": 0.3, "item": {"quantity": 1, "unit_amount": 0.30000000000000004}},
            id="0.1-plus-0.2-total-rounded-to-cents-unit-price-as-stored",
        ),
        pytest.param(
            {"adjustments": [make_adjustment(quantity=250000.0, unit_price=0.0015, total_amount=375.0)]},
            {"total_amount": 375, "item": {"quantity": 250000, "unit_amount": 0.0015}},
            id="sub-cent-unit-price-kept",
        ),
        pytest.param(
            {"adjustments": [make_adjustment(quantity=1.5, unit_price=1.785, total_amount=2.6775)]},
            {"total_amount": 2.68, "item": {"quantity": 1.5, "unit_amount": 1.785}},
            id="total-rounds-half-up",
        ),
        pytest.param(
            {"adjustments": [make_adjustment(quantity=None, unit_price=None, total_amount=99.0)]},
            {"total_amount": 99, "item": {}},
            id="adjustment-without-quantity-and-price",
        ),
    ],
)
def test_amounts_are_exact_json_numbers(line_values: dict[str, Any], expected_line: dict[str, Any]) -> None:
    [rutter_line] = build(make_charge(line_items=[platform_fee_line(**line_values)]))["line_items"]
    assert rutter_line["total_amount"] == expected_line["total_amount"]
    assert rutter_line["item"] == {"id": "7e1f2b3c-0009-4d4e-8f09-000000000009", **expected_line["item"]}
    text = json.dumps(rutter_line)
    assert f'"total_amount": {expected_line["total_amount"]}' in text


def test_latest_adjustment_decides_the_line_not_the_last_listed() -> None:
    at = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    adjustments = [
        make_adjustment(
            quantity=3.0, unit_price=500.0, total_amount=1500.0, created_at=at + timedelta(hours=1)
        ),
        make_adjustment(quantity=2.0, unit_price=500.0, total_amount=1000.0, created_at=at),
    ]
    [rutter_line] = build(make_charge(line_items=[platform_fee_line(adjustments=adjustments)]))["line_items"]
    assert rutter_line["item"] == {
        "id": "7e1f2b3c-0009-4d4e-8f09-000000000009",
        "quantity": 3,
        "unit_amount": 500,
    }
    assert rutter_line["total_amount"] == 1500


# --------------------------------------------------------------------------------------------
# Dates, numbers, version-specific fields
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2024, 5, 1, tzinfo=UTC), "2024-05-01T00:00:00.000Z"),
        (datetime(2024, 5, 1), "2024-05-01T00:00:00.000Z"),  # stored without a zone: UTC
        (datetime(2024, 5, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "2024-05-01T00:00:00.000Z"),
        (datetime(2024, 5, 31, 23, 59, 59, 999999, tzinfo=UTC), "2024-05-31T23:59:59.999Z"),
        (datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC), "2024-05-01T12:30:15.123Z"),
    ],
)
def test_dates_are_iso_8601_utc_timestamps(moment: datetime, expected: str) -> None:
    assert rutter_timestamp(moment) == expected


def test_charge_dates_are_sent_in_utc() -> None:
    issue = datetime(2024, 5, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    rutter_invoice = build(make_charge(issue_date=issue))
    assert rutter_invoice["issue_date"] == "2024-05-01T14:00:00.000Z"


@pytest.mark.parametrize(
    ("value", "as_json", "as_money"),
    [
        (Decimal("1500.00"), 1500, 1500),
        (Decimal("250"), 250, 250),
        (Decimal("19.99"), 19.99, 19.99),
        (Decimal("0.30000000000000004"), 0.30000000000000004, 0.3),
        (Decimal("2.675"), 2.675, 2.68),  # half-up; float(2.675) would round down to 2.67
        (Decimal("0.0015"), 0.0015, 0),
        (Decimal("-12.50"), -12.5, -12.5),
    ],
)
def test_decimals_become_int_when_whole_else_float(
    value: Decimal, as_json: int | float, as_money: int | float
) -> None:
    assert json_number(value) == as_json
    assert type(json_number(value)) is type(as_json)
    assert money_number(value) == as_money
    assert type(money_number(value)) is type(as_money)


@pytest.mark.parametrize(
    ("uac_customer_email", "addresses", "expected"),
    [
        pytest.param("ap@acme.example", [], {"billing_email": "ap@acme.example"}, id="email-only"),
        pytest.param(" ap@acme.example ", [], {"billing_email": "ap@acme.example"}, id="email-trimmed"),
        pytest.param("  ", [], None, id="blank-email-and-no-address"),
        pytest.param(None, [], None, id="nothing"),
        pytest.param(
            None,
            [make_address(type="shipping", address2="Suite 5")],
            {
                "addresses": [
                    {"type": "shipping", "address1": "1 Main St", "address2": "Suite 5", "city": "Austin",
                     "country": "US", "postal_code": "78701", "region": "TX"},
                ]
            },
            id="address-only",
        ),
    ],
)  # fmt: skip
def test_2024_additional_fields_are_sent_only_when_non_empty(
    uac_customer_email: str | None, addresses: list[Any], expected: dict[str, Any] | None
) -> None:
    charge = make_charge(uac_customer=make_uac_customer(email=uac_customer_email), addresses=addresses)
    assert build(charge, "2024-08-31").get("additional_fields") == expected


def test_2023_never_sends_additional_fields() -> None:
    """2023-03-14 allows only QuickBooks-Desktop addresses there; billing_email would be refused."""
    charge = make_charge(addresses=[make_address(), make_address(type="shipping")])
    assert "additional_fields" not in build(charge, "2023-03-14")


def test_2024_sends_no_due_date_when_the_charge_has_none() -> None:
    rutter_invoice = build(make_charge(due_date=None), "2024-08-31")
    assert "due_date" not in rutter_invoice
    assert schema_errors_2024(rutter_invoice) == []


def test_2023_refuses_to_build_without_a_due_date() -> None:
    charge_validated_for_2024 = validated(make_charge(due_date=None), "2024-08-31")
    with pytest.raises(InvalidCharge) as caught:
        build_rutter_invoice(charge_validated_for_2024, "2023-03-14")
    assert [problem["field"] for problem in caught.value.details["problems"]] == ["due_date"]
