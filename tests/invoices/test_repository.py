"""The invoice flow's SQL against real PostgreSQL: loading a charge, writing Rutter's invoice back."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from api.db.pool import create_pool
from api.invoices import repository as repo
from api.invoices.schemas import InvoiceOut
from api.rutter.schemas import RutterInvoice
from prisma import Prisma
from prisma.errors import UniqueViolationError
from seed.loader import demo_payload, load_charges
from tests.invoices.conftest import ADJUSTED_CHARGE, CLEAN_CHARGE, ORG_ID
from tests.invoices.factories import API_CALLS_RUTTER_ITEM_ID, PLATFORM_FEE_RUTTER_ITEM_ID

MANY_LINES = 300


def client(pool: asyncpg.Pool) -> Prisma:
    """The Prisma client on a pool of the tests (the service builds it the same way)."""
    return Prisma(pool=pool)


@pytest.fixture
async def seeded(db: asyncpg.Pool) -> asyncpg.Pool:
    await load_charges(db, demo_payload(), progress=None)
    return db


@pytest.fixture
async def counted(database_dsn: str) -> AsyncIterator[tuple[asyncpg.Pool, list[str]]]:
    """A one-connection pool that records every query it sends, but asyncpg's own one-off type
    introspection (the first use of an enum or array type on a connection)."""
    queries: list[str] = []

    def record(query: Any) -> None:
        if "pg_type" not in query.query and "'jit'" not in query.query:
            queries.append(query.query)

    pool = await create_pool(database_dsn, min_size=1, max_size=1)
    async with pool.acquire() as connection:
        connection.add_query_logger(record)
    yield pool, queries
    await pool.close()


def _charge_with_many_lines() -> dict[str, Any]:
    template: dict[str, Any] = next(c for c in demo_payload() if c["id"] == CLEAN_CHARGE)
    charge = copy.deepcopy(template)
    charge["id"] = str(uuid.uuid4())
    charge["document_number"] = "INV-MANY"
    charge["pricer_invoice_id"] = str(uuid.uuid4())
    first = template["line_items"][0]
    charge["line_items"] = []
    for index in range(MANY_LINES):
        line = copy.deepcopy(first)
        line.update(id=str(uuid.uuid4()), uac_invoice_id=charge["id"], sort_order=str(index))
        line["total_amount"] = "19.99"
        line["invoice_adjustment_line_item"] = []
        charge["line_items"].append(line)
    return charge


async def test_charge_loads_with_exact_money_and_aware_timestamps(seeded: asyncpg.Pool) -> None:
    state = await repo.load_charge_state(client(seeded), CLEAN_CHARGE)

    assert state is not None
    charge = state.charge
    assert charge.uac_invoice.total_amount == Decimal("1750.00")
    assert charge.uac_invoice.issue_date == datetime(2024, 5, 1, tzinfo=UTC)
    assert charge.uac_invoice.due_date is not None and charge.uac_invoice.due_date.tzinfo is not None
    assert charge.organization.id == ORG_ID
    assert charge.customer is not None and charge.uac_customer is not None
    assert charge.uac_customer.id == charge.customer.uac_customer_id
    assert [a.type for a in charge.addresses]
    totals = [line.line.total_amount for line in charge.line_items]
    assert Decimal("1500.00") in totals
    for line in charge.line_items:
        if line.line.product_id is not None:
            assert line.product is not None and line.product.product_id == line.line.product_id
    assert state.live_request is None
    holders = await repo.document_number_holders(client(seeded), charge)
    assert holders.invoice_id is None and holders.request_id is None


async def test_adjustments_are_attached_to_their_line(seeded: asyncpg.Pool) -> None:
    state = await repo.load_charge_state(client(seeded), ADJUSTED_CHARGE)

    assert state is not None
    adjusted = [line for line in state.charge.line_items if line.adjustments]
    assert len(adjusted) == 1
    # The demo charge's API-calls line carries both of its adjustments.
    assert sorted(a.quantity for a in adjusted[0].adjustments if a.quantity is not None) == [800.0, 900.0]


async def test_unknown_charge_loads_as_none(seeded: asyncpg.Pool) -> None:
    assert await repo.load_charge_state(client(seeded), str(uuid.uuid4())) is None


async def test_a_charge_with_many_lines_loads_in_one_query(
    seeded: asyncpg.Pool, counted: tuple[asyncpg.Pool, list[str]]
) -> None:
    charge = _charge_with_many_lines()
    await load_charges(seeded, charge, progress=None)
    pool, queries = counted

    state = await repo.load_charge_state(client(pool), charge["id"])

    assert state is not None
    assert len(state.charge.line_items) == MANY_LINES
    assert [line.line.id for line in state.charge.line_items] == [line["id"] for line in charge["line_items"]]
    assert len(queries) == 1


def _rutter_invoice(rutter_id: str, total: str) -> RutterInvoice:
    return RutterInvoice.model_validate(
        {
            "id": rutter_id,
            "platform_id": "145",
            "customer_id": "5d0c7a8e-0123-4c1e-9b23-000000000123",
            "issue_date": "2024-05-01T00:00:00.000Z",
            "due_date": "2024-05-31T00:00:00.000Z",
            "status": "open",
            "currency_code": "USD",
            "document_number": "INV-1001",
            "total_amount": total,
            "sub_total": total,
            "tax_amount": "0",
            "amount_due": total,
            "line_items": [
                {"id": "l1", "item_id": PLATFORM_FEE_RUTTER_ITEM_ID, "description": "Platform fee",
                 "quantity": 1, "unit_amount": "1234567.89", "amount": "1234567.89"},
                {"id": "l2", "item_id": API_CALLS_RUTTER_ITEM_ID, "description": "Usage",
                 "quantity": 3, "unit_amount": "0.1", "amount": "0.30"},
            ],
        }
    )  # fmt: skip


async def _pending_request(pool: asyncpg.Pool, charge_id: str) -> Any:
    request_id = str(uuid.uuid4())
    return await repo.insert_request(
        client(pool),
        request_id=request_id,
        charge_id=charge_id,
        organization_id=ORG_ID,
        send_email=False,
        client_idempotency_key=None,
        request_fingerprint=None,
        rutter_idempotency_key=request_id,
        rutter_version="2023-03-14",
        rutter_request_body='{"invoice": {}}',
        document_number=None,
        lease_owner="test",
        lease_s=30,
    )


async def test_write_back_stores_invoice_lines_and_completion_in_one_statement(
    seeded: asyncpg.Pool, counted: tuple[asyncpg.Pool, list[str]]
) -> None:
    state = await repo.load_charge_state(client(seeded), CLEAN_CHARGE)
    assert state is not None
    request = await _pending_request(seeded, CLEAN_CHARGE)
    pool, queries = counted

    stored = await repo.complete_request(
        client(pool), request, state.charge, _rutter_invoice("rut-1", "1234568.19")
    )

    assert len(queries) == 1
    assert stored.request.status == "COMPLETED"
    assert stored.request.acc_uac_invoice_id == stored.invoice.id
    assert stored.invoice.total_amount == Decimal("1234568.19")
    assert stored.invoice.customer_id == state.charge.uac_customer.id  # type: ignore[union-attr]
    assert [line.total_amount for line in stored.lines] == [Decimal("1234567.89"), Decimal("0.30")]
    row = await seeded.fetchrow("SELECT total_amount FROM acc_uac_invoice WHERE id = $1", stored.invoice.id)
    assert row is not None and row["total_amount"] == Decimal("1234568.19")
    # Each line as Rutter gave it; the fields it left out or sent as null are NULL.
    rows = await seeded.fetch(
        "SELECT provider_entity_id, description, quantity, unit_amount, total_amount, tax_amount,"
        " account_id, discount_percentage, sort_order FROM uac_line_item"
        " WHERE acc_uac_invoice_id = $1 ORDER BY sort_order",
        stored.invoice.id,
    )
    fee = (PLATFORM_FEE_RUTTER_ITEM_ID, "Platform fee", 1.0, 1234567.89, Decimal("1234567.89"))
    usage = (API_CALLS_RUTTER_ITEM_ID, "Usage", 3.0, 0.1, Decimal("0.30"))
    assert [tuple(row) for row in rows] == [(*fee, None, None, None, 0), (*usage, None, None, None, 1)]
    # The answer's lines are the rows read back, taken as they are (validated once, when read), by
    # the write-back and by a later read of the invoice alike.
    loaded = await repo.load_invoice(client(seeded), stored.invoice.id)
    assert loaded is not None and loaded[1] == stored.lines
    for invoice, lines in ((stored.invoice, stored.lines), loaded):
        answer = InvoiceOut.from_rows(invoice, lines)
        assert all(out is line for out, line in zip(answer.line_items, lines, strict=True))


async def test_the_job_id_is_recorded_without_changing_the_sessions_commit_setting(
    seeded: asyncpg.Pool, counted: tuple[asyncpg.Pool, list[str]]
) -> None:
    request = await _pending_request(seeded, CLEAN_CHARGE)
    pool, queries = counted

    await repo.record_job_id(client(pool), request.id, "job-7")

    assert len(queries) == 1
    row = await seeded.fetchrow("SELECT rutter_job_id, status FROM invoice_request WHERE id = $1", request.id)
    assert row is not None and (row["rutter_job_id"], row["status"]) == ("job-7", "PENDING")
    # The flush is skipped for that statement's own transaction only: the pool's connection (the one
    # the statement ran on) still waits for its commits.
    assert await pool.fetchval("SHOW synchronous_commit") == "on"


async def test_write_back_of_the_same_rutter_invoice_updates_instead_of_duplicating(
    seeded: asyncpg.Pool,
) -> None:
    state = await repo.load_charge_state(client(seeded), CLEAN_CHARGE)
    assert state is not None
    first = await repo.complete_request(
        client(seeded),
        await _pending_request(seeded, CLEAN_CHARGE),
        state.charge,
        _rutter_invoice("rut-2", "10.00"),
    )
    await seeded.execute("UPDATE invoice_request SET active_charge_id = NULL")  # let a second request exist
    second = await repo.complete_request(
        client(seeded),
        await _pending_request(seeded, CLEAN_CHARGE),
        state.charge,
        _rutter_invoice("rut-2", "12.00"),
    )

    assert second.invoice.id == first.invoice.id
    assert await seeded.fetchval("SELECT count(*) FROM acc_uac_invoice") == 1
    assert (
        await seeded.fetchval("SELECT count(*) FROM uac_line_item WHERE acc_uac_invoice_id IS NOT NULL") == 2
    )
    assert second.invoice.total_amount == Decimal("12.00")


async def test_one_live_request_per_charge_is_enforced_by_the_database(seeded: asyncpg.Pool) -> None:
    await _pending_request(seeded, CLEAN_CHARGE)
    with pytest.raises(UniqueViolationError) as raised:
        await _pending_request(seeded, CLEAN_CHARGE)
    assert raised.value.constraint == "invoice_request_active_charge_id_key"


async def test_idempotency_keys_are_forgotten_after_the_retention(seeded: asyncpg.Pool) -> None:
    old = await _pending_request(seeded, CLEAN_CHARGE)
    await seeded.execute(
        "UPDATE invoice_request SET client_idempotency_key = 'old-key', request_fingerprint = 'f', "
        "created_at = now() - interval '25 hours' WHERE id = $1",
        old.id,
    )
    await seeded.execute("UPDATE invoice_request SET active_charge_id = NULL")
    recent = await _pending_request(seeded, CLEAN_CHARGE)
    await seeded.execute(
        "UPDATE invoice_request SET client_idempotency_key = 'new-key' WHERE id = $1", recent.id
    )

    assert await repo.prune_idempotency_keys(client(seeded), older_than_hours=24) == 1

    assert await repo.get_request_by_client_key(client(seeded), "old-key") is None
    kept = await repo.get_request_by_client_key(client(seeded), "new-key")
    assert kept is not None and kept.id == recent.id
    assert await repo.get_request(client(seeded), old.id) is not None  # the request itself stays
