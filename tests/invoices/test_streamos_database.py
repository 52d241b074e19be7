"""The whole flow on a database as streamOS's own would be: attached with `migrate --baseline`, with
columns, a table and an enum value the service's schema does not know, and rows it must not touch."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from api.db.migrate import apply_migrations
from api.keys.service import issue_key
from api.main import create_app
from devkit.databases import temporary_database
from sandbox.runner import RunningSandbox
from seed.loader import demo_payload, load_charges
from tests.invoices.conftest import CLEAN_CHARGE, bearer, harness_settings
from tests.support.streamos_db import (
    EXTRA_COLUMN,
    EXTRA_ITEM_TYPE,
    EXTRA_TABLE,
    build_streamos_database,
    snapshot,
)

UNTOUCHED_TABLES = ["carbonarc_vendor_totals", "reminder_settings", EXTRA_TABLE]


@pytest.fixture
async def streamos_dsn(server_dsn: str) -> AsyncIterator[str]:
    async with temporary_database(server_dsn, "streamos_db") as dsn:
        await build_streamos_database(dsn)
        await apply_migrations(dsn, baseline=True)
        await load_charges(dsn, demo_payload(), progress=None)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("UPDATE uac_item SET type = $1", EXTRA_ITEM_TYPE)
        finally:
            await connection.close()
        yield dsn


async def test_charge_is_invoiced_on_a_streamos_database(streamos_dsn: str, sandbox: RunningSandbox) -> None:
    before = await snapshot(streamos_dsn, UNTOUCHED_TABLES)
    connection = await asyncpg.connect(streamos_dsn)
    try:
        api_key = (await issue_key(connection, organization_id=None, name="tests")).key
    finally:
        await connection.close()
    app = create_app(harness_settings(sandbox, streamos_dsn))
    async with app.router.lifespan_context(app):
        await app.state.first_sweep_done.wait()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=bearer(api_key)
        ) as client:
            preview = await client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")
            created = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})
            again = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})
            status = await client.get(f"/invoices/requests/{created.json()['request_id']}")

    assert preview.status_code == 200, preview.text
    assert created.status_code == 201, created.text
    invoice = created.json()["invoice"]
    assert invoice["document_number"] == "INV-1001" and len(invoice["line_items"]) == 2
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVOICE_ALREADY_EXISTS"
    assert again.json()["error"]["details"]["invoice"]["id"] == invoice["id"]
    assert status.status_code == 200 and status.json()["status"] == "COMPLETED"
    assert len(sandbox.rutter.invoices) == 1
    assert await snapshot(streamos_dsn, UNTOUCHED_TABLES) == before
    connection = await asyncpg.connect(streamos_dsn)
    try:
        stored = await connection.fetchrow(
            f"SELECT {EXTRA_COLUMN} FROM acc_uac_invoice WHERE id = $1::uuid",  # noqa: S608
            invoice["id"],
        )
        items = await connection.fetchval(
            "SELECT count(*) FROM uac_item WHERE type::text = $1", EXTRA_ITEM_TYPE
        )
    finally:
        await connection.close()
    assert stored is not None and stored[EXTRA_COLUMN] == "streamos"  # streamOS's default, untouched
    assert items > 0
