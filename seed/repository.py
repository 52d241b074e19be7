"""The seed's data access, on the Prisma client (`prisma`), and its one statement by hand: the
batched upsert (INSERT ... SELECT FROM unnest ... ON CONFLICT DO UPDATE), run through the client's
`query_raw`.

The tables, their columns and column types come from the schema (the generated client's
description of prisma/schema.prisma), limited to the columns the seed's input models carry; only
the upsert keys are chosen here.

Why the upsert stays SQL: the seed's contract is "rerunning updates, never duplicates, and changes
nothing when the data is the same", with counts of new, updated and unchanged rows. Prisma's
`upsert` always updates (and stamps `@updatedAt`), returns the record rather than whether it was
new, and is one statement per row (`batch_()` of upserts too: one per operation, in one
transaction); this statement writes 2,000 rows of a table per round trip, touches only rows whose
values differ, and says which rows were new. A Prisma Client Python user would write it by hand.

One statement writes up to `chunk_size` rows of one table. Rows are dicts of column -> value.
Timestamps the file leaves out are handled so that reloading the same data changes nothing:
`created_at` keeps the stored value (now() for a new row) and `updated_at` keeps the stored value
unless another column changes (then now()). A row whose values are all equal is not touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel

from prisma import Prisma
from prisma.schema import SCHEMA as PRISMA_SCHEMA
from prisma_asyncpg.schema import Field
from seed import schemas

Connection = asyncpg.Connection | PoolConnectionProxy
Row = Mapping[str, Any]
ColumnRole = Literal["value", "generated", "created", "updated"]

DEFAULT_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Column:
    """One column: its PostgreSQL type and how an absent (None) value is treated."""

    name: str
    type: str
    # value: written as given; generated: given, else the stored value, else a new UUID;
    # created: given, else the stored value, else now(); updated: given, else the stored value
    # when nothing else changes, else now().
    role: ColumnRole = "value"

    @property
    def array_type(self) -> str:
        """The element type the values travel as (enums and JSON as text, cast in SQL)."""
        if self.type.startswith('"') or self.type == "jsonb":
            return "text"
        return self.type

    @property
    def now(self) -> str:
        # Zone-less columns hold UTC, as Prisma writes them.
        return "(now() AT TIME ZONE 'UTC')" if self.type == "timestamp" else "now()"


@dataclass(frozen=True)
class Table:
    """A table the seed writes, with the columns it writes and the key it upserts on."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    column_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", frozenset(column.name for column in self.columns))


# PostgreSQL types of Prisma scalars (by Prisma type, then by native type where it differs).
_SCALAR_TYPES = {
    "String": "text",
    "Int": "int4",
    "BigInt": "int8",
    "Float": "float8",
    "Decimal": "numeric",
    "Boolean": "bool",
    "Json": "jsonb",
    "DateTime": "timestamp",
}
_NATIVE_TYPES = {"Uuid": "uuid", "Timestamptz": "timestamptz", "Timestamp": "timestamp", "Date": "date"}


def _column(field: Field, key: tuple[str, ...]) -> Column:
    """A column as the schema declares it: its type, and how the seed fills it when absent."""
    if field.kind == "enum":
        type_ = f'"{PRISMA_SCHEMA.enums[field.type].db_name}"'
    else:
        type_ = _NATIVE_TYPES.get(field.native_type or "", _SCALAR_TYPES[field.type])
    role: ColumnRole = "value"
    if field.name == "updated_at" or field.is_updated_at:
        role = "updated"
    elif field.type == "DateTime" and field.default == "now":
        role = "created"
    elif field.default == "dbgenerated" and field.native_type == "Uuid" and field.name not in key:
        role = "generated"
    return Column(field.db_name, type_, role)


def _table(name: str, key: tuple[str, ...], written: type[BaseModel]) -> Table:
    """The table `name` as the schema declares it, limited to the columns the seed's input model
    `written` carries (by field name or alias): the seed never touches a column it is not given."""
    carried = set(written.model_fields) | {f.alias for f in written.model_fields.values() if f.alias}
    model = PRISMA_SCHEMA.models[name]
    columns = tuple(_column(field, key) for field in model.scalars if field.db_name in carried)
    return Table(name, key, columns)


ORGANIZATION = _table("organization", ("id",), schemas.OrganizationIn)
UAC_CUSTOMER = _table("uac_customer", ("id",), schemas.UacCustomerIn)
UAC_ADDRESS = _table("uac_address", ("uac_customer_id", "type"), schemas.AddressIn)
UAC_ITEM = _table("uac_item", ("id",), schemas.UacItemIn)
PRODUCT = _table("product", ("product_id",), schemas.ProductIn)
CUSTOMER = _table("customer", ("customer_id",), schemas.CustomerIn)
UAC_INVOICE = _table("uac_invoice", ("id",), schemas.ChargeIn)
UAC_LINE_ITEM = _table("uac_line_item", ("id",), schemas.LineItemIn)
INVOICE_ADJUSTMENT = _table("invoice_adjustment", ("invoice_adjustment_id",), schemas.InvoiceAdjustmentIn)
INVOICE_ADJUSTMENT_LINE_ITEM = _table(
    "invoice_adjustment_line_item", ("invoice_adjustment_line_item_id",), schemas.InvoiceAdjustmentLineItemIn
)

# Parents before children: the order the tables are written in.
TABLES: tuple[Table, ...] = (
    ORGANIZATION,
    UAC_CUSTOMER,
    UAC_ADDRESS,
    UAC_ITEM,
    PRODUCT,
    CUSTOMER,
    UAC_INVOICE,
    UAC_LINE_ITEM,
    INVOICE_ADJUSTMENT,
    INVOICE_ADJUSTMENT_LINE_ITEM,
)


def _quote(name: str) -> str:
    return f'"{name}"'


def _row_of(prefix: str, columns: Iterable[Column]) -> str:
    return "ROW(" + ", ".join(f"{prefix}.{_quote(column.name)}" for column in columns) + ")"


def _upsert_statement(table: Table) -> str:
    """The one statement that upserts a batch of rows of `table` (identifiers are constants)."""
    columns = table.columns
    names = ", ".join(_quote(column.name) for column in columns)
    unnest_args = ", ".join(f"${index}::{column.array_type}[]" for index, column in enumerate(columns, 1))
    typed = ", ".join(
        f"s.{_quote(column.name)}::{column.type} AS {_quote(column.name)}" for column in columns
    )
    plain = [column for column in columns if column.role == "value"]
    stored = f"old.{_quote(table.key[0])} IS NOT NULL"
    unchanged = f"{_row_of('old', plain)} IS NOT DISTINCT FROM {_row_of('src', plain)}"

    def chosen(column: Column) -> str:
        name = _quote(column.name)
        if column.role == "generated":
            return f"COALESCE(src.{name}, old.{name}, gen_random_uuid())"
        if column.role == "created":
            return (
                f"CASE WHEN src.{name} IS NOT NULL THEN src.{name} "
                f"WHEN {stored} THEN old.{name} ELSE {column.now} END"
            )
        if column.role == "updated":
            return (
                f"CASE WHEN src.{name} IS NOT NULL THEN src.{name} "
                f"WHEN {stored} AND {unchanged} THEN old.{name} ELSE {column.now} END"
            )
        return f"src.{name}"

    join = " AND ".join(f"old.{_quote(key)} = src.{_quote(key)}" for key in table.key)
    non_key = [column for column in columns if column.name not in table.key]
    assignments = ", ".join(f"{_quote(column.name)} = EXCLUDED.{_quote(column.name)}" for column in non_key)
    # Every identifier below comes from the constant table definitions, never from input.
    return (
        f"WITH src AS (SELECT {typed} FROM unnest({unnest_args}) AS s({names})) "  # noqa: S608
        f"INSERT INTO {_quote(table.name)} AS cur ({names}) "
        f"SELECT {', '.join(chosen(column) for column in columns)} "
        f"FROM src LEFT JOIN {_quote(table.name)} AS old ON {join} "
        f"ON CONFLICT ({', '.join(_quote(key) for key in table.key)}) DO UPDATE SET {assignments} "
        f"WHERE {_row_of('cur', non_key)} IS DISTINCT FROM {_row_of('EXCLUDED', non_key)} "
        "RETURNING (xmax = 0) AS inserted"
    )


_UPSERT_STATEMENTS = {table.name: _upsert_statement(table) for table in TABLES}


def _json_default(value: object) -> object:
    # Files are parsed with Decimal floats; JSON columns take them back as numbers.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _encode(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "jsonb":
        return json.dumps(value, default=_json_default)
    if column.type == "timestamp" and isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass
class Written:
    """What one upsert did: rows inserted, rows updated; the others were already equal."""

    inserted: int = 0
    updated: int = 0

    def add(self, other: Written) -> None:
        self.inserted += other.inserted
        self.updated += other.updated


async def upsert(
    db: Prisma,
    table: Table,
    rows: Sequence[Row],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
) -> Written:
    """Inserts or updates `rows` of `table` by its key, `chunk_size` rows per statement.

    `on_chunk` is called with the number of rows written so far after each statement.
    """
    written = Written()
    statement = _UPSERT_STATEMENTS[table.name]
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        for row in chunk:
            unknown = row.keys() - table.column_names
            if unknown:
                raise ValueError(f"{table.name} has no column {sorted(unknown)}")
        arrays = [[_encode(column, row.get(column.name)) for row in chunk] for column in table.columns]
        records = await db.query_raw(statement, *arrays)
        inserted = sum(1 for record in records if record["inserted"])
        written.add(Written(inserted=inserted, updated=len(records) - inserted))
        if on_chunk is not None:
            on_chunk(start + len(chunk))
    return written


async def insert_missing_organizations(
    db: Prisma, organization_ids: Collection[str], *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Creates a bare organization row for each id not stored yet; returns how many it created."""
    ids = list(organization_ids)
    created = 0
    for start in range(0, len(ids), chunk_size):
        now = datetime.now(UTC)
        created += await db.organization.create_many(
            data=[{"id": id_, "updated_at": now} for id_ in ids[start : start + chunk_size]],
            skip_duplicates=True,
        )
    return created


async def delete_moved_addresses(db: Prisma, rows: Sequence[Row]) -> int:
    """Deletes stored addresses whose id the batch reuses for another (customer, type)."""
    wanted = {row["id"]: (row["uac_customer_id"], row["type"]) for row in rows if row.get("id") is not None}
    if not wanted:
        return 0
    stored = await db.uac_address.find_many(where={"id": {"in": list(wanted)}})
    moved = [
        address.id for address in stored if (address.uac_customer_id, address.type) != wanted[address.id]
    ]
    return await db.uac_address.delete_many(where={"id": {"in": moved}}) if moved else 0


async def delete_line_items_not_in(
    db: Prisma, charge_ids: Collection[str], kept_line_ids: Collection[str]
) -> int:
    """Deletes the charges' own line items (not invoice lines) that are not in `kept_line_ids`."""
    if not charge_ids:
        return 0
    return await db.uac_line_item.delete_many(
        where={
            "uac_invoice_id": {"in": list(charge_ids)},
            "acc_uac_invoice_id": None,
            "id": {"not_in": list(kept_line_ids)},
        }
    )


async def existing_ids(db: Prisma, table: Table, ids: Collection[str]) -> set[str]:
    """The subset of `ids` that are keys of stored rows of `table` (one-column keys)."""
    if not ids:
        return set()
    (key,) = table.key
    actions: Any = getattr(db, table.name.lower())
    rows = await actions.find_many(where={key: {"in": list(ids)}})
    return {getattr(row, key) for row in rows}
