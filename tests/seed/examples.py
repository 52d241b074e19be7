"""Test data for the seed: the example charge of the demo data (with real UUIDs in
place of its "p-uuid-1" placeholders) and helpers to read the tables back."""

from __future__ import annotations

import copy
from typing import Any

import asyncpg

from devkit import demo

ORGANIZATION_ID = demo.ORGANIZATION_ID
CHARGE_ID = demo.CLEAN_CHARGE_ID
CUSTOMER_ID = "c7d1e0aa-2222-4b2b-8b22-000000000002"
UAC_CUSTOMER_ID = "a1b2c3d4-4444-4d4d-8d44-000000000004"
PRODUCT_1 = "5a000000-0000-4000-8000-000000000001"
PRODUCT_2 = "5a000000-0000-4000-8000-000000000002"
ITEM_1 = "5b000000-0000-4000-8000-000000000001"
ITEM_2 = "5b000000-0000-4000-8000-000000000002"
LINE_1 = "5c000000-0000-4000-8000-000000000001"
LINE_2 = "5c000000-0000-4000-8000-000000000002"
LINE_3 = "5c000000-0000-4000-8000-000000000003"
LINE_4 = "5c000000-0000-4000-8000-000000000004"
ADDRESS_ID = "5d000000-0000-4000-8000-000000000001"

_PRODUCT_1: dict[str, Any] = {
    "product_id": PRODUCT_1,
    "product_name": "Platform fee",
    "description": None,
    "organization_id": ORGANIZATION_ID,
    "unit_price": 1500,
    "is_addon": False,
    "additional_fields": None,
    "created_at": "2024-01-10T00:00:00.000Z",
    "updated_at": "2024-01-10T00:00:00.000Z",
    "reason": None,
    "uac_item_id": ITEM_1,
    "reconciliation_status": "MATCHED",
    "true_product": True,
    "is_vendor": False,
    "uac_item": {
        "id": ITEM_1,
        "provider_entity_id": "7e1f2b3c-0009-4d4e-8f09-000000000009",
        "platform_id": "12",
        "organization_id": ORGANIZATION_ID,
        "bill_item_id": None,
        "invoice_item_id": None,
        "status": "active",
        "type": "service",
        "code": None,
        "name": "Platform fee",
        "quantity_on_hand": None,
        "created_at": "2024-01-10T00:00:00.000Z",
        "updated_at": "2024-01-10T00:00:00.000Z",
    },
}

_EXAMPLE_CHARGE: dict[str, Any] = {
    "id": CHARGE_ID,
    "organization_id": ORGANIZATION_ID,
    "provider_entity_id": None,
    "platform_id": None,
    "account_id": None,
    "customer_id": None,
    "stream_customer_id": CUSTOMER_ID,
    "subsidiary_id": None,
    "issue_date": "2024-05-01T00:00:00.000Z",
    "due_date": "2024-05-31T00:00:00.000Z",
    "period_start_date": "2024-04-01T00:00:00.000Z",
    "period_end_date": "2024-04-30T00:00:00.000Z",
    "payment_terms": 30,
    "contract_id": None,
    "memo": None,
    "document_number": "INV-1001",
    "currency_code": "USD",
    "po_number": "PO-778",
    "amount_due": "1750",
    "total_amount": "1750",
    "sub_total": "1750",
    "tax_amount": "0",
    "total_discount": "0",
    "created_at": "2024-05-01T02:00:00.000Z",
    "updated_at": "2024-05-01T02:00:00.000Z",
    "synced": False,
    "pricer_invoice_id": "9b1e7f00-3333-4c3c-9c33-000000000003",
    "term": "30",
    "platform_url": None,
    "is_vendor": False,
    "stream_customer": {
        "customer_id": CUSTOMER_ID,
        "customer_name": "Acme Corp",
        "customer_email": "ap@acme.example",
        "additional_fields": None,
        "objType": "customer",
        "organization_id": ORGANIZATION_ID,
        "created_at": "2024-01-10T00:00:00.000Z",
        "updated_at": "2024-01-10T00:00:00.000Z",
        "uac_customer_id": UAC_CUSTOMER_ID,
        "reconciliation_status": "MATCHED",
        "is_vendor": False,
        "uac_vendor_id": None,
        "uac_customer": {
            "id": UAC_CUSTOMER_ID,
            "organization_id": ORGANIZATION_ID,
            "provider_entity_id": "5d0c7a8e-0123-4c1e-9b23-000000000123",
            "platform_id": "58",
            "status": "ACTIVE",
            "contact_name": "Jane Doe",
            "currency_code": "USD",
            "customer_name": "Acme Corp",
            "email": "ap@acme.example",
            "phone": None,
            "registration_number": None,
            "tax_number": None,
            "created_at": "2024-01-10T00:00:00.000Z",
            "updated_at": "2024-01-10T00:00:00.000Z",
            "objType": "uac_customer",
            "subsidiary_id": None,
            "source_type": "ACCOUNTING",
            "addresses": [
                {
                    "id": ADDRESS_ID,
                    "uac_customer_id": UAC_CUSTOMER_ID,
                    "uac_vendor_id": None,
                    "organization_id": ORGANIZATION_ID,
                    "type": "billing",
                    "address1": "1 Main St",
                    "address2": None,
                    "city": "Austin",
                    "country": "US",
                    "postal_code": "78701",
                    "region": "TX",
                    "created_at": "2024-01-10T00:00:00.000Z",
                    "updated_at": "2024-01-10T00:00:00.000Z",
                }
            ],
        },
    },
    "line_items": [
        {
            "id": LINE_1,
            "uac_invoice_id": CHARGE_ID,
            "description": "Platform fee",
            "quantity": 1,
            "unit_amount": 1500,
            "total_amount": "1500",
            "product_id": PRODUCT_1,
            "department_id": None,
            "suppress_line_item": False,
            "sort_order": "0",
            "pricer_index": 0,
            "contract_id": None,
            "acc_uac_invoice_id": None,
            "amount": None,
            "item_id": None,
            "account_id": None,
            "platform_id": None,
            "provider_entity_id": None,
            "class_id": None,
            "customer_id": None,
            "location_id": None,
            "tax_rate_id": None,
            "discount_percentage": None,
            "discount_amount": None,
            "sub_total": None,
            "allocated_amount": None,
            "allocated_at": None,
            "tax_amount": None,
            "created_at": "2024-05-01T02:00:00.000Z",
            "updated_at": "2024-05-01T02:00:00.000Z",
            "invoice_adjustment_line_item": [],
            "product": _PRODUCT_1,
        },
        {
            "id": LINE_2,
            "description": "Usage \u2013 API calls",
            "quantity": 250,
            "unit_amount": 1,
            "total_amount": "250",
            "product_id": PRODUCT_2,
            "suppress_line_item": False,
            "department_id": None,
            "invoice_adjustment_line_item": [],
            "product": {
                "product_id": PRODUCT_2,
                "uac_item_id": ITEM_2,
                "reconciliation_status": "MATCHED",
                "uac_item": {
                    "id": ITEM_2,
                    "provider_entity_id": "7e1f2b3c-0010-4d4e-8f09-000000000010",
                    "…": "…",
                },
            },
        },
        {
            "id": LINE_3,
            "description": "Internal sub-total row",
            "quantity": 1,
            "unit_amount": 0,
            "total_amount": "0",
            "product_id": PRODUCT_1,
            "suppress_line_item": True,
            "invoice_adjustment_line_item": [],
            "product": _PRODUCT_1,
        },
        {
            "id": LINE_4,
            "description": "Thank you for your business",
            "quantity": None,
            "unit_amount": None,
            "total_amount": None,
            "product_id": None,
            "suppress_line_item": False,
            "invoice_adjustment_line_item": [],
            "product": None,
        },
    ],
}


def example_charge(*, address_key: str = "addresses") -> dict[str, Any]:
    """A fresh copy of the example charge; `address_key` is `addresses` (TS) or `uac_address` (take-home)."""
    charge = copy.deepcopy(_EXAMPLE_CHARGE)
    uac_customer = charge["stream_customer"]["uac_customer"]
    uac_customer[address_key] = uac_customer.pop("addresses")
    return charge


def numbered_charges(count: int) -> list[dict[str, Any]]:
    """`count` distinct charges shaped like the example (same customer and products)."""
    charges = []
    for number in range(1, count + 1):
        charge = example_charge()
        charge["id"] = f"6f0c1a2e-9999-4c1e-9a11-{number:012d}"
        charge["document_number"] = f"INV-{100000 + number}"
        charge["pricer_invoice_id"] = None
        for line_number, line in enumerate(charge["line_items"], 1):
            line["id"] = f"5c000000-{line_number:04d}-4000-8000-{number:012d}"
            line.pop("uac_invoice_id", None)
        charges.append(charge)
    return charges


SEED_TABLES: dict[str, str] = {
    "organization": "id",
    "uac_customer": "id",
    "uac_address": "id",
    "uac_item": "id",
    "product": "product_id",
    "customer": "customer_id",
    "uac_invoice": "id",
    "uac_line_item": "id",
    "invoice_adjustment": "invoice_adjustment_id",
    "invoice_adjustment_line_item": "invoice_adjustment_line_item_id",
}


async def dump_tables(pool: asyncpg.Pool) -> dict[str, list[str]]:
    """Every row of every table the seed writes, as JSON text, in key order."""
    dump: dict[str, list[str]] = {}
    for table, key in SEED_TABLES.items():
        records = await pool.fetch(f'SELECT to_jsonb(t)::text AS row FROM "{table}" AS t ORDER BY "{key}"')  # noqa: S608
        dump[table] = [record["row"] for record in records]
    return dump


async def row_counts(pool: asyncpg.Pool) -> dict[str, int]:
    """Rows per table the seed writes."""
    return {table: len(rows) for table, rows in (await dump_tables(pool)).items()}
