"""prisma/schema.prisma keeps streamOS's models field for field, and the migrated database matches it."""

from __future__ import annotations

import asyncpg
import pytest

from tests.conftest import shared_file
from tests.db.prisma_schema import PrismaField, PrismaSchema, load_schema

STREAMOS_MODELS = (
    "uac_invoice",
    "uac_line_item",
    "customer",
    "uac_customer",
    "uac_address",
    "product",
    "uac_item",
    "organization",
    "acc_uac_invoice",
    "invoice_adjustment",
    "invoice_adjustment_line_item",
)

# PostgreSQL column types Prisma creates, by Prisma type (no @db.*) and by @db.* native type.
DEFAULT_COLUMN_TYPES = {
    "String": "text",
    "Int": "integer",
    "BigInt": "bigint",
    "Float": "double precision",
    "Decimal": "numeric(65,30)",
    "Boolean": "boolean",
    "DateTime": "timestamp(3) without time zone",
    "Json": "jsonb",
    "Bytes": "bytea",
}


def signature(field: PrismaField) -> dict[str, object]:
    """What must be equal between the two schemas for a column."""
    return {
        "type": field.type,
        "optional": field.optional,
        "list": field.is_list,
        "native": field.native_type,
        "default": field.attributes.get("@default"),
        "unique": field.attributes.get("@unique"),
        "id": field.attributes.get("@id"),
    }


def expected_column_type(schema: PrismaSchema, field: PrismaField) -> str:
    """The column type, as `column_type` spells it, that Prisma creates for a field."""
    if field.is_list:
        return "ARRAY"
    if schema.kind(field) == "enum":
        return field.type
    native = field.native_type
    if native is None:
        return DEFAULT_COLUMN_TYPES[field.type]
    name, _, arguments = native.partition("(")
    arguments = arguments.rstrip(")").replace(" ", "")
    if name == "Uuid":
        return "uuid"
    if name == "Decimal":
        return f"numeric({arguments})"
    if name in ("Timestamptz", "Timestamp"):
        zone = "with" if name == "Timestamptz" else "without"
        return f"timestamp({arguments or 6}) {zone} time zone"
    raise AssertionError(f"extend expected_column_type for @db.{native}")


def column_type(row: asyncpg.Record) -> str:
    """An information_schema.columns row's type as one string, e.g. `numeric(10,2)`."""
    data_type = row["data_type"]
    if data_type == "numeric":
        return f"numeric({row['numeric_precision']},{row['numeric_scale']})"
    if data_type.startswith("timestamp"):
        return str(data_type).replace("timestamp", f"timestamp({row['datetime_precision']})", 1)
    if data_type == "USER-DEFINED":
        return str(row["udt_name"])
    return str(data_type)


@pytest.fixture(scope="module")
def provided() -> PrismaSchema:
    return load_schema(shared_file("reference/provided-schema.prisma"))


@pytest.mark.parametrize("model", STREAMOS_MODELS)
def test_streamos_fields_are_kept(model: str, schema: PrismaSchema, provided: PrismaSchema) -> None:
    ours = schema.columns(model)
    differences = {
        name: {"provided": signature(field), "ours": signature(ours[name]) if name in ours else None}
        for name, field in provided.columns(model).items()
        if name not in ours or signature(ours[name]) != signature(field)
    }
    assert differences == {}


def test_streamos_enums_are_kept(schema: PrismaSchema, provided: PrismaSchema) -> None:
    used = {f.type for model in STREAMOS_MODELS for f in provided.columns(model).values()} & set(
        provided.enums
    )
    assert used
    assert {name: schema.enums.get(name) for name in used} == {name: provided.enums[name] for name in used}


async def test_database_columns_match_the_schema(database_dsn: str, schema: PrismaSchema) -> None:
    connection = await asyncpg.connect(database_dsn)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name, data_type, udt_name, numeric_precision, numeric_scale, "
            "datetime_precision, is_nullable FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name <> '_prisma_migrations'"
        )
    finally:
        await connection.close()
    actual = {(r["table_name"], r["column_name"]): (column_type(r), r["is_nullable"] == "YES") for r in rows}
    expected = {
        (model, name): (expected_column_type(schema, field), field.optional)
        for model in schema.models
        for name, field in schema.columns(model).items()
    }
    assert actual == expected
    assert actual[("uac_invoice", "total_amount")] == ("numeric(10,2)", True)
    assert actual[("uac_invoice", "issue_date")] == ("timestamp(3) without time zone", True)
    assert actual[("acc_uac_invoice", "issue_date")] == ("timestamp(6) with time zone", True)
    assert actual[("uac_line_item", "sort_order")] == ("bigint", False)


async def test_database_enums_match_the_schema(database_dsn: str, schema: PrismaSchema) -> None:
    connection = await asyncpg.connect(database_dsn)
    try:
        rows = await connection.fetch(
            "SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels "
            "FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY t.typname"
        )
    finally:
        await connection.close()
    assert {row["typname"]: list(row["labels"]) for row in rows} == schema.enums
