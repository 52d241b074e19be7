"""The `db` fixture's emptying of the tables: every model's table, derived from the schema."""

from __future__ import annotations

import asyncpg

from tests.conftest import _EMPTY_TABLES, BUSINESS_TABLES

# The tables the tests wrote before the list came from the schema.
WRITTEN_BY_TESTS = {"api_key", "invoice_email_resend", "invoice_request", "uac_invoice", "organization"}


async def test_every_model_table_is_emptied_and_exists(db: asyncpg.Pool) -> None:
    tables = {
        record["table_name"]
        for record in await db.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    assert WRITTEN_BY_TESTS <= set(BUSINESS_TABLES) <= tables
    await db.execute("INSERT INTO organization (id, updated_at) VALUES (gen_random_uuid(), now())")
    await db.execute("INSERT INTO api_key (key_hash) VALUES ('h')")
    await db.execute(_EMPTY_TABLES)
    assert await db.fetchval("SELECT count(*) FROM organization") == 0
    assert await db.fetchval("SELECT count(*) FROM api_key") == 0
    await db.execute(_EMPTY_TABLES)  # nothing to empty: no statement fails
