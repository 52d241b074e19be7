"""The benchmark's history: invoices kept by every rewind, so the tables are never emptied between
runs (an emptied, analysed table gets sequential-scan plans, and a backend keeps the plans of its
foreign-key checks: the runs would measure those scans instead of the service)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bench.database import BenchDatabase
from devkit.charges import generate_charges, seed_charges
from devkit.databases import temporary_database


@pytest.fixture
async def bench_database(server_dsn: str) -> AsyncIterator[BenchDatabase]:
    async with temporary_database(server_dsn, "bench_history_test", migrated=True) as dsn:
        await seed_charges(dsn, generate_charges(2, tag="HIST", rng=random.Random(7)))
        yield BenchDatabase(server_dsn, "test", dsn)


async def _invoice(connection: asyncpg.Connection, charge_id: str) -> str:
    """An acc_uac_invoice with one line and the completed request of `charge_id`, as a run leaves them."""
    organization_id = await connection.fetchval(
        "SELECT organization_id FROM uac_invoice WHERE id = $1", charge_id
    )
    invoice_id = await connection.fetchval(
        "INSERT INTO acc_uac_invoice (organization_id, document_number) VALUES ($1, $2) RETURNING id",
        organization_id,
        f"DOC-{charge_id[:8]}",
    )
    await connection.execute("INSERT INTO uac_line_item (acc_uac_invoice_id) VALUES ($1)", invoice_id)
    await connection.execute(
        "INSERT INTO invoice_request (id, charge_id, organization_id, status, rutter_idempotency_key,"
        " rutter_version, acc_uac_invoice_id)"
        " VALUES (gen_random_uuid(), $1, $2, 'COMPLETED', gen_random_uuid()::text, '2024-08-31', $3)",
        charge_id,
        organization_id,
        invoice_id,
    )
    return str(invoice_id)


async def test_a_rewind_keeps_the_history_and_forgets_the_rest(bench_database: BenchDatabase) -> None:
    connection = await asyncpg.connect(bench_database.dsn)
    try:
        history_charge, run_charge = [
            str(row["id"])
            for row in await connection.fetch(
                "SELECT id FROM uac_invoice WHERE document_number LIKE 'HIST-%' ORDER BY document_number"
            )
        ]
        kept = await _invoice(connection, history_charge)
        await bench_database.keep_history()
        await _invoice(connection, run_charge)
        await connection.execute(
            "INSERT INTO invoice_request (id, charge_id, organization_id, status, rutter_idempotency_key,"
            " rutter_version)"
            " SELECT gen_random_uuid(), id, organization_id, 'PENDING', gen_random_uuid()::text, '2024-08-31'"
            " FROM uac_invoice WHERE id = $1",
            run_charge,
        )

        await bench_database.rewind()

        invoices = [str(row["id"]) for row in await connection.fetch("SELECT id FROM acc_uac_invoice")]
        assert invoices == [kept]
        lines = await connection.fetch(
            "SELECT acc_uac_invoice_id FROM uac_line_item WHERE acc_uac_invoice_id IS NOT NULL"
        )
        assert [str(row["acc_uac_invoice_id"]) for row in lines] == [kept]
        requests = await connection.fetch("SELECT charge_id FROM invoice_request")
        assert [str(row["charge_id"]) for row in requests] == [history_charge]
        # The seeded charges' own lines (no acc_uac_invoice) are never touched.
        assert (
            await connection.fetchval("SELECT count(*) FROM uac_line_item WHERE uac_invoice_id IS NOT NULL")
            > 0
        )
    finally:
        await connection.close()


async def test_without_a_history_a_rewind_forgets_every_invoice(bench_database: BenchDatabase) -> None:
    connection = await asyncpg.connect(bench_database.dsn)
    try:
        charge_id = str(await connection.fetchval("SELECT id FROM uac_invoice LIMIT 1"))
        await _invoice(connection, charge_id)
        await bench_database.rewind()
        assert await connection.fetchval("SELECT count(*) FROM acc_uac_invoice") == 0
        assert await connection.fetchval("SELECT count(*) FROM invoice_request") == 0
    finally:
        await connection.close()
