"""A database as streamOS's own would be: its schema created outside the service (no recorded
migrations), rows in tables the service never touches, and things the service's schema does not know:
an extra column on every table, an extra table, an extra enum value in use."""

from __future__ import annotations

from typing import Any

import asyncpg

from api.db.migrate import BASELINE, read_migrations

EXTRA_COLUMN = "streamos_added"
EXTRA_TABLE = "streamos_feature_flags"
# An enum value streamOS has and the schema does not; demo items are switched to it.
EXTRA_ITEM_TYPE = "Bundle"

# Rows in tables the service never reads or writes, with no foreign key to satisfy.
UNTOUCHED_ROWS = (
    "INSERT INTO carbonarc_vendor_totals (vendorname, year, month, total) VALUES ('acme', 2024, 5, 12.5)",
    "INSERT INTO reminder_settings (organization_id, days_before_due) "
    "VALUES ('0b9a6d3c-0000-4000-8000-00000000000a', 3)",
    f"INSERT INTO {EXTRA_TABLE} (name, enabled) VALUES ('invoices_v2', true)",  # noqa: S608
)


async def build_streamos_database(dsn: str) -> list[str]:
    """Creates streamOS's schema as streamOS would (the baseline's SQL, nothing recorded), then the
    unknown column, table and enum value and the untouched rows; returns the tables it extended."""
    baseline = next(m for m in read_migrations() if m.name == BASELINE)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(baseline.script)
        tables = [
            row["table_name"]
            for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            )
        ]
        for table in tables:
            await connection.execute(
                f"ALTER TABLE \"{table}\" ADD COLUMN {EXTRA_COLUMN} text NOT NULL DEFAULT 'streamos'"
            )
        await connection.execute(f"CREATE TABLE {EXTRA_TABLE} (name text PRIMARY KEY, enabled boolean)")
        await connection.execute(f"ALTER TYPE uac_item_type ADD VALUE '{EXTRA_ITEM_TYPE}'")
        for statement in UNTOUCHED_ROWS:
            await connection.execute(statement)
        return tables
    finally:
        await connection.close()


async def snapshot(dsn: str, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of `tables`, as comparable dictionaries."""
    connection = await asyncpg.connect(dsn)
    try:
        return {
            table: [
                dict(row)
                for row in await connection.fetch(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
            ]
            for table in tables
        }
    finally:
        await connection.close()
