"""load_charges against a real PostgreSQL: what lands in the tables, reloading, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from devkit.demo import ACCESS_TOKEN, demo_charge_id
from seed.loader import LoadConflictError, PayloadError, decode_json, demo_payload, load_charges
from tests.seed.examples import (
    ADDRESS_ID,
    CHARGE_ID,
    LINE_1,
    LINE_4,
    ORGANIZATION_ID,
    PRODUCT_1,
    UAC_CUSTOMER_ID,
    dump_tables,
    example_charge,
    numbered_charges,
    row_counts,
)

DEMO_COUNTS = {
    "organization": 1,
    "uac_customer": 2,
    "uac_address": 3,
    "uac_item": 4,
    "product": 5,
    "customer": 3,
    "uac_invoice": 6,
    "uac_line_item": 16,
    "invoice_adjustment": 1,
    "invoice_adjustment_line_item": 2,
}
EMPTY = dict.fromkeys(DEMO_COUNTS, 0)
MISSING_ID = "5a000000-0000-4000-8000-00000000dead"


def _demo_id(number: int) -> str:
    return demo_charge_id(number)


async def test_demo_charges_are_loaded(db: asyncpg.Pool) -> None:
    summary = await load_charges(db, demo_payload(), progress=None)

    assert summary.charges == 6
    assert summary.rows() == DEMO_COUNTS
    assert all(count.inserted == count.rows for count in summary.tables)
    assert await row_counts(db) == DEMO_COUNTS
    organization = await db.fetchrow("SELECT * FROM organization")
    assert organization is not None
    assert organization["id"] == ORGANIZATION_ID
    assert organization["uac_access_token"] == ACCESS_TOKEN
    documents = await db.fetch("SELECT id, document_number, currency_code FROM uac_invoice ORDER BY id")
    assert [(r["id"], r["document_number"], r["currency_code"]) for r in documents] == [
        (_demo_id(n), f"INV-100{n}", "USD") for n in range(1, 7)
    ]


async def test_demo_charges_show_each_case(db: asyncpg.Pool) -> None:
    await load_charges(db, demo_payload(), progress=None)

    suppress = await db.fetch(
        "SELECT suppress_line_item FROM uac_line_item WHERE uac_invoice_id = $1 ORDER BY sort_order",
        _demo_id(2),
    )
    assert [r["suppress_line_item"] for r in suppress] == [False, True, None, False]
    productless = await db.fetchval(
        "SELECT count(*) FROM uac_line_item WHERE uac_invoice_id = $1 AND product_id IS NULL", _demo_id(3)
    )
    assert productless == 1
    unreconciled_customer = await db.fetchrow(
        "SELECT c.uac_customer_id, c.reconciliation_status::text AS status FROM uac_invoice i "
        "JOIN customer c ON c.customer_id = i.stream_customer_id WHERE i.id = $1",
        _demo_id(4),
    )
    assert unreconciled_customer is not None
    assert (unreconciled_customer["uac_customer_id"], unreconciled_customer["status"]) == (None, "UNMATCHED")
    unreconciled_items = await db.fetchval(
        "SELECT count(*) FROM uac_line_item l JOIN product p ON p.product_id = l.product_id "
        "WHERE l.uac_invoice_id = $1 AND p.uac_item_id IS NULL",
        _demo_id(5),
    )
    assert unreconciled_items == 1
    adjustments = await db.fetch(
        "SELECT a.quantity, a.unit_price, a.total_amount, a.created_at FROM invoice_adjustment_line_item a "
        "JOIN uac_line_item l ON l.id = a.invoice_line_item_id WHERE l.uac_invoice_id = $1 "
        "ORDER BY a.created_at",
        _demo_id(6),
    )
    assert [(r["quantity"], r["unit_price"], r["total_amount"]) for r in adjustments] == [
        (900, 0.25, 225),
        (800, 0.2, 160),
    ]
    assert adjustments[0]["created_at"] < adjustments[1]["created_at"]


async def test_billable_demo_charges_are_complete_and_reconciled(db: asyncpg.Pool) -> None:
    await load_charges(db, demo_payload(), progress=None)

    for number in (1, 2, 3, 6):
        charge = await db.fetchrow(
            "SELECT i.issue_date, i.due_date, i.currency_code, uc.provider_entity_id FROM uac_invoice i "
            "JOIN customer c ON c.customer_id = i.stream_customer_id "
            "JOIN uac_customer uc ON uc.id = c.uac_customer_id WHERE i.id = $1",
            _demo_id(number),
        )
        assert charge is not None and all(value is not None for value in charge.values())
        unreconciled = await db.fetchval(
            "SELECT count(*) FROM uac_line_item l JOIN product p ON p.product_id = l.product_id "
            "LEFT JOIN uac_item i ON i.id = p.uac_item_id WHERE l.uac_invoice_id = $1 "
            "AND (i.provider_entity_id IS NULL OR p.reconciliation_status IS DISTINCT FROM 'MATCHED')",
            _demo_id(number),
        )
        assert unreconciled == 0


async def test_money_is_exact(db: asyncpg.Pool) -> None:
    await load_charges(db, demo_payload(), progress=None)

    totals = await db.fetch(
        "SELECT total_amount FROM uac_line_item WHERE uac_invoice_id = $1 ORDER BY sort_order", _demo_id(2)
    )
    assert [r["total_amount"] for r in totals] == [
        Decimal("1500.00"),
        Decimal("99.00"),
        Decimal("250.00"),
        Decimal("19.99"),
    ]
    assert str(totals[0]["total_amount"]) == "1500.00"
    assert await db.fetchval("SELECT total_amount FROM uac_invoice WHERE id = $1", _demo_id(2)) == Decimal(
        "1519.99"
    )


@pytest.mark.parametrize("address_key", ["addresses", "uac_address"])
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "data"])
async def test_example_charge_is_loaded(db: asyncpg.Pool, address_key: str, wrapped: bool) -> None:
    charge = example_charge(address_key=address_key)
    summary = await load_charges(db, {"data": charge} if wrapped else charge, progress=None)

    assert summary.rows() == {
        "organization": 1,
        "uac_customer": 1,
        "uac_address": 1,
        "uac_item": 2,
        "product": 2,
        "customer": 1,
        "uac_invoice": 1,
        "uac_line_item": 4,
        "invoice_adjustment": 0,
        "invoice_adjustment_line_item": 0,
    }
    invoice = await db.fetchrow("SELECT * FROM uac_invoice WHERE id = $1", CHARGE_ID)
    assert invoice is not None
    assert invoice["total_amount"] == Decimal("1750.00")
    assert invoice["issue_date"] == datetime(2024, 5, 1)  # zone-less column, UTC
    assert invoice["created_at"] == datetime(2024, 5, 1, 2, tzinfo=UTC)
    assert invoice["pricer_invoice_id"] == "9b1e7f00-3333-4c3c-9c33-000000000003"
    address = await db.fetchrow("SELECT * FROM uac_address WHERE uac_customer_id = $1", UAC_CUSTOMER_ID)
    assert address is not None
    assert (address["id"], address["type"], address["city"]) == (ADDRESS_ID, "billing", "Austin")
    lines = await db.fetch(
        "SELECT id, sort_order, suppress_line_item, product_id FROM uac_line_item ORDER BY id"
    )
    assert [r["suppress_line_item"] for r in lines] == [False, False, True, False]
    assert lines[3]["id"] == LINE_4 and lines[3]["product_id"] is None
    # The example's organization is only an id: a bare row is created for it.
    organization = await db.fetchrow("SELECT id, business_name, uac_access_token FROM organization")
    assert organization is not None and tuple(organization.values()) == (ORGANIZATION_ID, None, None)
    # Fields the seed does not know (the example's "…" and po_number) are ignored.
    item = await db.fetchrow(
        "SELECT status::text, type::text FROM uac_item WHERE provider_entity_id = $1",
        "7e1f2b3c-0010-4d4e-8f09-000000000010",
    )
    assert item is not None and tuple(item.values()) == ("active", "service")


async def test_timestamps_keep_their_zone(db: asyncpg.Pool) -> None:
    charge = example_charge()
    charge["created_at"] = "2024-05-01T04:00:00.000+02:00"
    charge["due_date"] = "2024-05-31T09:30:00-05:00"
    await load_charges(db, charge, progress=None)

    row = await db.fetchrow("SELECT created_at, due_date FROM uac_invoice WHERE id = $1", CHARGE_ID)
    assert row is not None
    assert row["created_at"] == datetime(2024, 5, 1, 2, tzinfo=UTC)
    assert row["due_date"] == datetime(2024, 5, 31, 14, 30)


@pytest.mark.parametrize(
    "payload",
    [demo_payload(), example_charge(address_key="uac_address"), numbered_charges(5)],
    ids=["demo", "example", "generated"],
)
async def test_reloading_changes_nothing(db: asyncpg.Pool, payload: Any) -> None:
    await load_charges(db, payload, progress=None)
    before = await dump_tables(db)

    again = await load_charges(db, payload, progress=None)

    assert await dump_tables(db) == before
    assert all((count.inserted, count.updated, count.deleted) == (0, 0, 0) for count in again.tables)


async def test_reloading_updates_in_place(db: asyncpg.Pool) -> None:
    await load_charges(db, example_charge(), progress=None)
    charge = example_charge()
    charge["memo"] = "corrected"
    charge["stream_customer"]["uac_customer"]["addresses"][0]["city"] = "Dallas"

    summary = await load_charges(db, charge, progress=None)

    assert summary["uac_invoice"].updated == 1
    assert summary["uac_address"].updated == 1
    assert await db.fetchval("SELECT memo FROM uac_invoice") == "corrected"
    assert await db.fetchval("SELECT city FROM uac_address") == "Dallas"
    assert (await row_counts(db))["uac_invoice"] == 1


async def test_missing_timestamps_are_kept_until_something_changes(db: asyncpg.Pool) -> None:
    charge = example_charge()
    del charge["created_at"], charge["updated_at"]
    await load_charges(db, charge, progress=None)
    first = await db.fetchrow("SELECT created_at, updated_at FROM uac_invoice")
    assert first is not None and first["updated_at"] is not None

    await load_charges(db, charge, progress=None)
    assert await db.fetchrow("SELECT created_at, updated_at FROM uac_invoice") == first

    charge["memo"] = "changed"
    await load_charges(db, charge, progress=None)
    changed = await db.fetchrow("SELECT created_at, updated_at FROM uac_invoice")
    assert changed is not None
    assert changed["created_at"] == first["created_at"]
    assert changed["updated_at"] > first["updated_at"]


async def test_addresses_without_id_are_keyed_by_customer_and_type(db: asyncpg.Pool) -> None:
    charge = example_charge()
    del charge["stream_customer"]["uac_customer"]["addresses"][0]["id"]
    await load_charges(db, charge, progress=None)
    generated = await db.fetchval("SELECT id FROM uac_address")

    charge["stream_customer"]["uac_customer"]["addresses"][0]["address2"] = "Suite 200"
    await load_charges(db, charge, progress=None)

    rows = await db.fetch("SELECT id, address2 FROM uac_address")
    assert [(r["id"], r["address2"]) for r in rows] == [(generated, "Suite 200")]


async def test_line_items_no_longer_in_the_charge_are_removed(db: asyncpg.Pool) -> None:
    await load_charges(db, example_charge(), progress=None)
    charge = example_charge()
    charge["line_items"] = charge["line_items"][:2]

    summary = await load_charges(db, charge, progress=None)

    assert summary["uac_line_item"].deleted == 2
    assert (await row_counts(db))["uac_line_item"] == 2


async def test_records_may_refer_to_rows_already_stored(db: asyncpg.Pool) -> None:
    await load_charges(db, example_charge(), progress=None)
    charge = example_charge()
    charge["id"] = demo_charge_id(777)
    charge["pricer_invoice_id"] = None
    del charge["stream_customer"]
    charge["line_items"] = [
        {"id": "5c000000-0000-4000-8000-000000000777", "product_id": PRODUCT_1, "total_amount": 10}
    ]

    await load_charges(db, charge, progress=None)

    line = await db.fetchrow(
        "SELECT uac_invoice_id, product_id, total_amount FROM uac_line_item WHERE id = $1",
        "5c000000-0000-4000-8000-000000000777",
    )
    assert line is not None and tuple(line.values()) == (charge["id"], PRODUCT_1, Decimal("10.00"))


async def _assert_nothing_written(pool: asyncpg.Pool) -> None:
    assert await row_counts(pool) == EMPTY


def _with_bad_third_charge(change: Any) -> list[dict[str, Any]]:
    charges = demo_payload()
    change(charges[2])
    return list(charges)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda c: c.pop("id"), "charges[2].id: Field required", id="missing-id"),
        pytest.param(
            lambda c: c["line_items"][1].update(quantity="abc"),
            "charges[2].line_items[1].quantity: Input should be a valid number",
            id="quantity-abc",
        ),
        pytest.param(
            lambda c: c["line_items"][0]["product"].update(product_id="p-uuid-1"),
            "charges[2].line_items[0].product.product_id: Input should be a UUID",
            id="malformed-uuid",
        ),
        pytest.param(
            lambda c: c["line_items"][0].update(product=None, product_id=MISSING_ID),
            f"charges[2].line_items[0].product_id: {MISSING_ID} refers to a product that is neither in the "
            "file nor in the database",
            id="dangling-product",
        ),
        pytest.param(
            lambda c: c.update(stream_customer=None, stream_customer_id=MISSING_ID),
            f"charges[2].stream_customer_id: {MISSING_ID} refers to a customer",
            id="dangling-customer",
        ),
        pytest.param(
            lambda c: c["line_items"][1].update(uac_invoice_id=_demo_id(1)),
            "charges[2].line_items[1].uac_invoice_id:",
            id="line-of-other-charge",
        ),
    ],
)
async def test_bad_file_is_refused_and_nothing_is_written(
    db: asyncpg.Pool, change: Any, expected: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        await load_charges(db, _with_bad_third_charge(change), progress=None)
    assert str(caught.value).startswith(expected)
    await _assert_nothing_written(db)


async def test_clash_with_a_stored_row_is_refused_and_nothing_is_written(db: asyncpg.Pool) -> None:
    await db.execute(
        "INSERT INTO organization (id, uac_access_token, updated_at) VALUES ($1, $2, now())",
        "0a000000-0000-4000-8000-000000000001",
        ACCESS_TOKEN,
    )

    with pytest.raises(LoadConflictError) as caught:
        await load_charges(db, demo_payload(), progress=None)

    assert "organization_uac_access_token_key" in str(caught.value)
    assert ACCESS_TOKEN not in str(caught.value)
    counts = await row_counts(db)
    assert counts == {**EMPTY, "organization": 1}


async def test_item_with_a_stored_rutter_id_under_another_id_is_refused(db: asyncpg.Pool) -> None:
    await load_charges(db, demo_payload(), progress=None)
    before = await dump_tables(db)

    # The example charge names the platform fee's Rutter item with other uac_item ids than the demo.
    with pytest.raises(LoadConflictError) as caught:
        await load_charges(db, example_charge(), progress=None)

    assert str(caught.value).startswith("uac_item: the database already has another row")
    assert await dump_tables(db) == before


async def test_load_accepts_a_dsn_and_a_connection(database_dsn: str, db: asyncpg.Pool) -> None:
    await load_charges(database_dsn, example_charge(), progress=None)
    assert (await row_counts(db))["uac_invoice"] == 1

    async with db.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        charge = example_charge()
        charge["memo"] = "inside a caller's transaction"
        await load_charges(connection, charge, progress=None)
        assert await connection.fetchval("SELECT memo FROM uac_invoice") == "inside a caller's transaction"
        await transaction.rollback()
    assert await db.fetchval("SELECT memo FROM uac_invoice") is None


async def test_large_load_reports_progress(db: asyncpg.Pool) -> None:
    messages: list[str] = []

    summary = await load_charges(db, numbered_charges(150), progress=messages.append)

    assert summary.charges == 150
    assert summary["uac_line_item"].rows == 600
    assert "validated 100/150 charges" in messages
    assert "validated 150/150 charges" in messages
    assert "wrote uac_invoice 150/150" in messages
    assert messages[-1] == "loaded 150 charges"
    assert (await row_counts(db))["uac_invoice"] == 150


async def test_small_load_is_quiet(db: asyncpg.Pool) -> None:
    messages: list[str] = []
    await load_charges(db, numbered_charges(3), progress=messages.append)
    assert messages == []


async def test_summary_lines_name_every_table(db: asyncpg.Pool) -> None:
    summary = await load_charges(db, example_charge(), progress=None)
    lines = summary.lines()
    assert lines[0] == "Loaded 1 charge."
    assert any(line.split()[:2] == ["uac_line_item", "4"] for line in lines)
    assert summary["uac_line_item"].unchanged == 0
    assert await db.fetchval("SELECT count(*) FROM uac_line_item WHERE id = $1", LINE_1) == 1


async def test_json_columns_keep_their_numbers(db: asyncpg.Pool) -> None:
    charge = decode_json(json.dumps(example_charge()))
    charge["stream_customer"]["additional_fields"] = decode_json('{"rate": 1.5, "tier": "gold", "seats": 12}')
    await load_charges(db, charge, progress=None)
    before = await dump_tables(db)

    await load_charges(db, charge, progress=None)

    stored = await db.fetchval("SELECT additional_fields FROM customer")  # the pool decodes no JSON
    assert json.loads(stored) == {"rate": 1.5, "tier": "gold", "seats": 12}
    assert await dump_tables(db) == before
