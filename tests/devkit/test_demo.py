"""devkit's names for the demo data are the demo data's, and its charge builders make charges the
seed accepts."""

from __future__ import annotations

import random
from decimal import Decimal

from devkit import demo
from devkit.charges import clone_charge, generate_charges, template_charge
from seed.loader import demo_payload, parse_charges


def test_the_demo_ids_are_those_of_the_demo_charges() -> None:
    charges = {charge["id"]: charge for charge in demo_payload()}
    assert sorted(charges) == [demo.demo_charge_id(number) for number in range(1, 7)]
    named = [
        demo.CLEAN_CHARGE_ID,
        demo.SUPPRESSED_CHARGE_ID,
        demo.PRODUCTLESS_CHARGE_ID,
        demo.UNRECONCILED_CUSTOMER_CHARGE_ID,
        demo.UNRECONCILED_ITEM_CHARGE_ID,
        demo.ADJUSTED_CHARGE_ID,
    ]
    assert named == sorted(charges)
    assert set(demo.BILLABLE_CHARGE_IDS) <= set(charges)
    assert charges[demo.CLEAN_CHARGE_ID]["document_number"] == demo.CLEAN_CHARGE_DOCUMENT_NUMBER
    for charge in charges.values():
        assert charge["organization_id"] == demo.ORGANIZATION_ID
    organization = charges[demo.CLEAN_CHARGE_ID]["organization"]
    assert organization["uac_access_token"] == demo.ACCESS_TOKEN


def test_a_clone_is_a_charge_of_its_own_on_the_same_customer_and_products() -> None:
    template = template_charge()
    clone = clone_charge(template, document_number="COPY-1")

    assert clone["id"] != template["id"] and clone["document_number"] == "COPY-1"
    assert clone["pricer_invoice_id"] != template["pricer_invoice_id"]
    assert clone["stream_customer_id"] == template["stream_customer_id"]
    assert [line["product_id"] for line in clone["line_items"]] == [
        line["product_id"] for line in template["line_items"]
    ]
    assert {line["uac_invoice_id"] for line in clone["line_items"]} == {clone["id"]}
    assert not {line["id"] for line in clone["line_items"]} & {line["id"] for line in template["line_items"]}
    assert [str(charge.id) for _, charge in parse_charges([clone])] == [clone["id"]]


def test_generated_charges_have_the_lines_asked_for_and_totals_that_add_up() -> None:
    charges = generate_charges(3, tag="T", rng=random.Random(7), line_counts=[1, 5, 25])

    assert [len(charge["line_items"]) for charge in charges] == [1, 5, 25]
    assert [charge["document_number"] for charge in charges] == ["T-000000", "T-000001", "T-000002"]
    for charge in charges:
        lines = sum(Decimal(line["total_amount"]) for line in charge["line_items"])
        assert Decimal(charge["total_amount"]) == lines
        assert all(
            line["suppress_line_item"] is False and line["product_id"] for line in charge["line_items"]
        )
    assert len(parse_charges(charges)) == 3
