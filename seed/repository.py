"""All SQL of the seed: batched upserts (INSERT ... SELECT FROM unnest ... ON CONFLICT DO UPDATE).

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


def _columns(type_: str, *names: str) -> tuple[Column, ...]:
    return tuple(Column(name, type_) for name in names)


def _timestamps(type_: str = "timestamptz") -> tuple[Column, ...]:
    return (Column("created_at", type_, "created"), Column("updated_at", type_, "updated"))


ORGANIZATION = Table(
    "organization",
    key=("id",),
    columns=(
        Column("id", "uuid"),
        *_columns(
            "text",
            "business_name",
            "business_email",
            "business_phone",
            "business_website",
            "business_address_1",
            "business_address_2",
            "business_zip_code",
            "business_city",
            "uac_access_token",
            "uac_platform",
            "uac_realm_id",
            "uac_connection_id",
            "uac_business_id",
            "uac_user_id",
        ),
        Column("uac_token_expires_in", "int4"),
        *_columns("bool", "agent_status", "uac_email_external_send_enabled", "invoice_create_override"),
        *_timestamps(),
    ),
)

UAC_CUSTOMER = Table(
    "uac_customer",
    key=("id",),
    columns=(
        *_columns("uuid", "id", "organization_id"),
        *_columns("text", "provider_entity_id", "platform_id"),
        Column("status", '"uac_customer_status"'),
        Column("contact_name", "text"),
        Column("currency_code", '"currency"'),
        *_columns("text", "customer_name", "email", "phone", "registration_number", "tax_number"),
        Column("objType", "text"),
        Column("subsidiary_id", "uuid"),
        Column("source_type", "text"),
        *_timestamps(),
    ),
)

UAC_ADDRESS = Table(
    "uac_address",
    key=("uac_customer_id", "type"),
    columns=(
        Column("id", "uuid", "generated"),
        *_columns("uuid", "uac_customer_id", "uac_vendor_id", "organization_id"),
        Column("type", '"uac_address_type"'),
        *_columns("text", "address1", "address2", "city", "country", "postal_code", "region"),
        *_timestamps(),
    ),
)

UAC_ITEM = Table(
    "uac_item",
    key=("id",),
    columns=(
        Column("id", "uuid"),
        Column("provider_entity_id", "text"),
        Column("organization_id", "uuid"),
        Column("platform_id", "text"),
        *_columns("uuid", "bill_item_id", "invoice_item_id"),
        Column("status", '"uac_item_status"'),
        Column("type", '"uac_item_type"'),
        *_columns("text", "code", "name"),
        Column("quantity_on_hand", "int4"),
        *_timestamps(),
    ),
)

PRODUCT = Table(
    "product",
    key=("product_id",),
    columns=(
        Column("product_id", "uuid"),
        *_columns("text", "product_name", "description"),
        Column("organization_id", "uuid"),
        Column("unit_price", "float8"),
        Column("is_addon", "bool"),
        Column("additional_fields", "jsonb"),
        Column("reason", "text"),
        Column("uac_item_id", "uuid"),
        Column("reconciliation_status", '"ReconciliationStatus"'),
        *_columns("bool", "true_product", "is_vendor"),
        *_timestamps(),
    ),
)

CUSTOMER = Table(
    "customer",
    key=("customer_id",),
    columns=(
        Column("customer_id", "uuid"),
        *_columns("text", "customer_name", "customer_email"),
        Column("additional_fields", "jsonb"),
        Column("objType", "text"),
        *_columns("uuid", "organization_id", "uac_customer_id"),
        Column("reconciliation_status", '"ReconciliationStatus"'),
        Column("is_vendor", "bool"),
        Column("uac_vendor_id", "uuid"),
        *_timestamps(),
    ),
)

UAC_INVOICE = Table(
    "uac_invoice",
    key=("id",),
    columns=(
        *_columns("uuid", "id", "organization_id"),
        *_columns("text", "provider_entity_id", "platform_id", "account_id", "customer_id"),
        Column("stream_customer_id", "uuid"),
        Column("subsidiary_id", "text"),
        *_columns("timestamp", "issue_date", "due_date", "period_start_date", "period_end_date"),
        Column("payment_terms", "int4"),
        *_columns("text", "contract_id", "memo", "document_number", "currency_code"),
        *_columns("numeric", "amount_due", "total_amount", "sub_total", "tax_amount", "total_discount"),
        Column("synced", "bool"),
        Column("pricer_invoice_id", "uuid"),
        *_columns("text", "term", "platform_url"),
        Column("is_vendor", "bool"),
        *_timestamps(),
    ),
)

UAC_LINE_ITEM = Table(
    "uac_line_item",
    key=("id",),
    columns=(
        *_columns(
            "uuid", "id", "uac_invoice_id", "uac_bill_id", "uac_bill_payments_id", "uac_purchase_order_id"
        ),
        *_columns(
            "text",
            "provider_entity_id",
            "description",
            "account_id",
            "platform_id",
            "class_id",
            "customer_id",
            "department_id",
            "item_id",
            "location_id",
            "tax_rate_id",
        ),
        *_columns("float8", "amount", "discount_percentage", "discount_amount", "quantity", "sub_total"),
        Column("allocated_amount", "numeric"),
        Column("allocated_at", "text"),
        *_columns("float8", "tax_amount", "unit_amount"),
        Column("total_amount", "numeric"),
        Column("product_id", "uuid"),
        Column("pricer_index", "int4"),
        Column("contract_id", "uuid"),
        Column("suppress_line_item", "bool"),
        Column("sort_order", "int8"),
        *_timestamps(),
    ),
)

INVOICE_ADJUSTMENT = Table(
    "invoice_adjustment",
    key=("invoice_adjustment_id",),
    columns=(
        *_columns("uuid", "invoice_adjustment_id", "organization_id", "invoice_id"),
        Column("adjusted_by", "text"),
        Column("adjustment_date", "timestamp", "created"),
        Column("customer_id", "uuid"),
        Column("customer_name", "text"),
        Column("total_amount", "float8"),
        Column("invoice_date", "timestamp"),
        *_columns("text", "approved_by", "original_value"),
        Column("adjustment_reason", '"AdjustmentReason"'),
        Column("stream_customer_id", "uuid"),
        Column("reason", "text"),
        *_timestamps(),
    ),
)

INVOICE_ADJUSTMENT_LINE_ITEM = Table(
    "invoice_adjustment_line_item",
    key=("invoice_adjustment_line_item_id",),
    columns=(
        *_columns("uuid", "invoice_adjustment_line_item_id", "organization_id"),
        Column("customer_sf_id", "text"),
        Column("action", '"InvoiceAdjustmentLineItemAction"'),
        *_columns("uuid", "invoice_line_item_id", "invoice_adjustment_id", "item_id"),
        Column("description", "text"),
        *_columns(
            "float8",
            "quantity",
            "unit_price",
            "prev_quantity",
            "prev_unit_price",
            "prev_total_amount",
            "total_amount",
            "amount_to_adjust",
        ),
        Column("date_created", "timestamp", "created"),
        Column("department_id", "text"),
        *_timestamps(),
    ),
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
    connection: Connection,
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
        records = await connection.fetch(statement, *arrays)
        inserted = sum(1 for record in records if record["inserted"])
        written.add(Written(inserted=inserted, updated=len(records) - inserted))
        if on_chunk is not None:
            on_chunk(start + len(chunk))
    return written


async def insert_missing_organizations(connection: Connection, organization_ids: Collection[str]) -> int:
    """Creates a bare organization row for each id not stored yet; returns how many it created."""
    if not organization_ids:
        return 0
    records = await connection.fetch(
        "INSERT INTO organization (id, updated_at) SELECT id, now() FROM unnest($1::uuid[]) AS s(id) "
        "ON CONFLICT (id) DO NOTHING RETURNING id",
        list(organization_ids),
    )
    return len(records)


async def delete_moved_addresses(connection: Connection, rows: Sequence[Row]) -> int:
    """Deletes stored addresses whose id the batch reuses for another (customer, type)."""
    with_id = [row for row in rows if row.get("id") is not None]
    if not with_id:
        return 0
    status = await connection.execute(
        "DELETE FROM uac_address AS a "
        "USING unnest($1::uuid[], $2::uuid[], $3::text[]) AS s(id, uac_customer_id, type) "
        "WHERE a.id = s.id "
        "AND (a.uac_customer_id IS DISTINCT FROM s.uac_customer_id OR a.type::text <> s.type)",
        [row["id"] for row in with_id],
        [row["uac_customer_id"] for row in with_id],
        [row["type"] for row in with_id],
    )
    return int(status.split()[-1])


async def delete_line_items_not_in(
    connection: Connection, charge_ids: Collection[str], kept_line_ids: Collection[str]
) -> int:
    """Deletes the charges' own line items (not invoice lines) that are not in `kept_line_ids`."""
    if not charge_ids:
        return 0
    status = await connection.execute(
        "DELETE FROM uac_line_item WHERE uac_invoice_id = ANY($1::uuid[]) "
        "AND acc_uac_invoice_id IS NULL AND id <> ALL($2::uuid[])",
        list(charge_ids),
        list(kept_line_ids),
    )
    return int(status.split()[-1])


_KEYS = {table.name: table.key[0] for table in TABLES if len(table.key) == 1}


async def existing_ids(connection: Connection, table: Table, ids: Collection[str]) -> set[str]:
    """The subset of `ids` that are keys of stored rows of `table`."""
    if not ids:
        return set()
    key = _KEYS[table.name]
    records = await connection.fetch(
        f"SELECT {_quote(key)}::text AS id FROM {_quote(table.name)} "  # noqa: S608 - constant identifiers
        f"WHERE {_quote(key)} = ANY($1::uuid[])",
        list(ids),
    )
    return {record["id"] for record in records}
