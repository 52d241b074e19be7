"""Validation of the nested charge shape, without a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from devkit.demo import PRODUCTLESS_CHARGE_ID, SUPPRESSED_CHARGE_ID
from seed.loader import PayloadError, decode_json, parse_charges, plan_load
from seed.schemas import ChargeIn
from tests.seed.examples import CHARGE_ID, LINE_1, LINE_2, LINE_3, PRODUCT_2, UAC_CUSTOMER_ID, example_charge


def _only(payload: Any) -> ChargeIn:
    [(_, charge)] = parse_charges(payload)
    return charge


def test_example_charge_validates_with_either_address_spelling() -> None:
    for key in ("addresses", "uac_address"):
        charge = _only(example_charge(address_key=key))
        assert charge.stream_customer is not None and charge.stream_customer.uac_customer is not None
        [address] = charge.stream_customer.uac_customer.addresses
        assert (address.type, address.city) == ("billing", "Austin")


@pytest.mark.parametrize(
    "payload",
    [
        example_charge(),
        {"data": example_charge()},
        [example_charge()],
        {"data": [example_charge()]},
        {"status": "success", "data": example_charge()},
        [{"data": example_charge()}],
    ],
    ids=["bare", "data-object", "array", "data-array", "status-data", "array-of-wrapped"],
)
def test_payload_may_be_bare_or_wrapped_in_data(payload: Any) -> None:
    assert _only(payload).id == CHARGE_ID


def test_decimal_strings_and_numbers_are_exact() -> None:
    charge = example_charge()
    charge["total_amount"] = "1750.00"
    charge["amount_due"] = 19.99
    charge["sub_total"] = 1750
    charge["tax_amount"] = Decimal("0.10")
    parsed = _only(charge)
    assert parsed.total_amount == Decimal("1750.00")
    assert parsed.amount_due == Decimal("19.99")
    assert parsed.sub_total == Decimal(1750)
    assert parsed.tax_amount == Decimal("0.10")


def test_json_numbers_with_fractions_are_decoded_as_decimals() -> None:
    assert decode_json('{"total_amount": 19.99}') == {"total_amount": Decimal("19.99")}


def test_bigint_sort_order_accepts_string_or_int() -> None:
    charge = example_charge()
    charge["line_items"][0]["sort_order"] = "9007199254740993"
    charge["line_items"][1]["sort_order"] = 7
    parsed = _only(charge)
    assert [line.sort_order for line in parsed.line_items] == [9007199254740993, 7, 0, 0]


def test_absent_flags_take_the_column_default_and_null_stays_null() -> None:
    charge = example_charge()
    del charge["line_items"][0]["suppress_line_item"]
    charge["line_items"][1]["suppress_line_item"] = None
    parsed = _only(charge)
    assert [line.suppress_line_item for line in parsed.line_items] == [False, None, True, False]


def test_required_enums_fall_back_when_absent() -> None:
    charge = example_charge()
    uac_customer = charge["stream_customer"]["uac_customer"]
    del uac_customer["status"]
    uac_customer["addresses"][0]["type"] = None
    parsed = _only(charge)
    assert parsed.stream_customer is not None and parsed.stream_customer.uac_customer is not None
    assert parsed.stream_customer.uac_customer.status == "ACTIVE"
    assert parsed.stream_customer.uac_customer.addresses[0].type == "unknown"
    item = parsed.line_items[1].product.uac_item if parsed.line_items[1].product else None
    assert item is not None and (item.status, item.type) == ("active", "service")


def test_timestamps_keep_their_zone_and_zone_less_ones_are_utc() -> None:
    charge = example_charge()
    charge["created_at"] = "2024-05-01T04:00:00.123456+02:00"
    charge["issue_date"] = "2024-05-01T00:00:00"
    parsed = _only(charge)
    assert parsed.created_at == datetime(2024, 5, 1, 2, 0, 0, 123000, tzinfo=UTC)
    assert parsed.issue_date == datetime(2024, 5, 1, tzinfo=UTC)


def test_unknown_fields_are_ignored() -> None:
    charge = example_charge()
    charge["surprise"] = {"nested": True}
    parsed = _only(charge)
    assert "surprise" not in parsed.model_dump()
    assert "po_number" not in parsed.model_dump()


def test_ids_left_out_are_taken_from_the_nested_record() -> None:
    charge = example_charge()
    del charge["stream_customer_id"]
    del charge["line_items"][1]["product_id"]
    del charge["stream_customer"]["uac_customer_id"]
    parsed = _only(charge)
    assert parsed.stream_customer_id == charge["stream_customer"]["customer_id"]
    assert parsed.line_items[1].product_id == PRODUCT_2
    assert parsed.stream_customer is not None and parsed.stream_customer.uac_customer_id == UAC_CUSTOMER_ID


def test_organization_may_come_nested_only() -> None:
    charge = example_charge()
    organization_id = charge.pop("organization_id")
    charge["organization"] = {"id": organization_id, "uac_access_token": "access-sandbox-x"}
    assert _only(charge).owner_id == organization_id


def _error_of(payload: Any) -> str:
    with pytest.raises(PayloadError) as caught:
        plan_load(parse_charges(payload))
    return str(caught.value)


def test_error_names_record_field_and_problem() -> None:
    charges = [example_charge(), example_charge(), example_charge()]
    charges[2]["id"] = PRODUCTLESS_CHARGE_ID
    charges[2]["line_items"][1]["product"]["uac_item_id"] = "i-uuid-1"
    charges[2]["line_items"][1]["product"]["uac_item"] = None
    message = _error_of(charges)
    assert message.startswith("charges[2].line_items[1].product.uac_item_id: Input should be a UUID")
    assert "'i-uuid-1'" in message
    assert f"[charge {PRODUCTLESS_CHARGE_ID}]" in message


Change = Callable[[dict[str, Any]], object]


def _case(change: Change, expected: str, name: str) -> Any:
    return pytest.param(change, expected, id=name)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        _case(lambda c: c.pop("id"), "charge.id: Field required", "missing-id"),
        _case(
            lambda c: c["line_items"][1].update(quantity="abc"),
            "charge.line_items[1].quantity: Input should be a valid number",
            "quantity-abc",
        ),
        _case(
            lambda c: c["line_items"][0].update(sort_order="1.5"),
            "charge.line_items[0].sort_order: Input should be a valid integer",
            "sort-order-fraction",
        ),
        _case(
            lambda c: c.update(total_amount="12.345"),
            "charge.total_amount: Decimal input should have no more than 2 decimal places",
            "three-decimals",
        ),
        _case(
            lambda c: c.update(due_date=1714521600),
            "charge.due_date: Input should be an ISO-8601 date-time string",
            "unix-time",
        ),
        _case(
            lambda c: c["stream_customer"]["uac_customer"].update(currency_code="XYZ"),
            "charge.stream_customer.uac_customer.currency_code: Input should be 'USD', 'CAD', 'EUR' or 'GBP'",
            "currency",
        ),
        _case(
            lambda c: c["line_items"][0].update(product_id=PRODUCT_2),
            f"charge.line_items[0]: product_id '{PRODUCT_2}' does not match product.product_id",
            "product-mismatch",
        ),
        _case(
            lambda c: c.update(stream_customer_id=UAC_CUSTOMER_ID),
            f"charge: stream_customer_id '{UAC_CUSTOMER_ID}' does not match stream_customer.customer_id",
            "customer-mismatch",
        ),
        _case(lambda c: c.pop("organization_id"), "charge: organization_id is required", "no-organization"),
    ],
)
def test_malformed_charge_is_refused_with_one_clear_error(change: Any, expected: str) -> None:
    charge = example_charge()
    change(charge)
    assert _error_of(charge).startswith(expected)


def test_every_problem_is_counted_but_only_the_first_is_spelled_out() -> None:
    charge = example_charge()
    charge["line_items"][0]["quantity"] = "abc"
    charge["line_items"][1]["quantity"] = "abc"
    charge["memo"] = ["not", "text"]
    message = _error_of([example_charge(), charge])
    assert message.startswith("charges[1].")
    assert message.endswith("(and 2 more problems)")


def _adjust_another_line(charge: dict[str, Any]) -> None:
    charge["line_items"][1]["invoice_adjustment_line_item"].append(
        {
            "invoice_adjustment_line_item_id": "5e000000-0000-4000-8000-000000000001",
            "invoice_line_item_id": LINE_3,
        }
    )


def _adjust_a_line_of_no_charge(charge: dict[str, Any]) -> None:
    adjustment_line = {
        "invoice_adjustment_line_item_id": "5e000000-0000-4000-8000-000000000002",
        "invoice_line_item_id": "5c000000-0000-4000-8000-000000000099",
    }
    charge["invoice_adjustment"] = [
        {
            "invoice_adjustment_id": "5f000000-0000-4000-8000-000000000001",
            "invoice_adjustment_line_item": [adjustment_line],
        }
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        _case(
            lambda c: c["line_items"][1].update(uac_invoice_id=SUPPRESSED_CHARGE_ID),
            f"charge.line_items[1].uac_invoice_id: {SUPPRESSED_CHARGE_ID} is not the id of its charge",
            "line-of-other-charge",
        ),
        _case(
            lambda c: c["line_items"].append(dict(c["line_items"][0])),
            f"charge.line_items[4].id: line item {LINE_1} appears twice (also charge.line_items[0])",
            "duplicate-line",
        ),
        _case(
            _adjust_another_line,
            f"charge.line_items[1].invoice_adjustment_line_item[0].invoice_line_item_id: {LINE_3} is not "
            f"the id of the line item it is listed under ({LINE_2})",
            "adjustment-of-other-line",
        ),
        _case(
            _adjust_a_line_of_no_charge,
            "charge.invoice_adjustment[0].invoice_adjustment_line_item[0].invoice_line_item_id: "
            "5c000000-0000-4000-8000-000000000099 is not a line item of charge",
            "adjustment-dangling-line",
        ),
        _case(
            lambda c: c["stream_customer"]["uac_customer"]["addresses"].append({"type": "billing"}),
            "charge.stream_customer.uac_customer.addresses[1].type: a second 'billing' address",
            "two-billing-addresses",
        ),
    ],
)
def test_inconsistent_references_are_refused_naming_the_record(change: Any, expected: str) -> None:
    charge = example_charge()
    change(charge)
    assert _error_of(charge).startswith(expected)


def test_two_customers_with_one_rutter_id_are_refused() -> None:
    first, second = example_charge(), example_charge()
    second["id"] = SUPPRESSED_CHARGE_ID
    second["pricer_invoice_id"] = None
    for number, line in enumerate(second["line_items"], 5):
        line["id"] = f"5c000000-0000-4000-8000-00000000000{number}"
        line.pop("uac_invoice_id", None)
    second["stream_customer"]["uac_customer"]["id"] = "a1b2c3d4-4444-4d4d-8d44-000000000099"
    del second["stream_customer"]["uac_customer_id"]
    second["stream_customer"]["uac_customer"]["addresses"] = []
    message = _error_of([first, second])
    assert message.startswith(
        "charges[1].stream_customer.uac_customer.provider_entity_id: two uac_customer records"
    )


def test_a_charge_twice_in_one_file_is_refused() -> None:
    assert "appears twice" in _error_of([example_charge(), example_charge()])


def test_payload_that_is_not_charges_is_refused() -> None:
    assert "expected a charge object" in _error_of("hello")
    assert _error_of([1]).startswith("charges[0]: expected a charge object, got int")
