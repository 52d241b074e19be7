"""prisma/schema.prisma keeps streamOS's models field for field, and the migrated database matches it."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from api.paths import SCHEMA_PATH
from devkit.schema_parts import streamos_schema
from tests.db.prisma_schema import (
    BLOCK,
    FIELD,
    PrismaField,
    PrismaSchema,
    parse_attributes,
    strip_comment,
)

# The only changes streamOS's schema (CockroachDB flavour) gets to run on PostgreSQL, as the README
# lists them: applied to the provided text, they must give streamOS's part of prisma/schema.prisma.
POSTGRESQL_CHANGES = (
    ('provider = "cockroachdb"', 'provider = "postgresql"'),
    ("@db.String(", "@db.VarChar("),
    ('dbgenerated("uuid_generate_v4()")', 'dbgenerated("gen_random_uuid()")'),
)
# Three models name their primary key `contract_signature_pkey`; PostgreSQL needs distinct names.
RENAMED_PRIMARY_KEYS = {
    "customer_signature": "customer_signature_pkey",
    "product_signature": "product_signature_pkey",
}


def normalized_line(line: str) -> str:
    """A schema line, comment dropped, whitespace folded and a field's attributes in one order
    (`prisma format` may reorder them)."""
    text = " ".join(strip_comment(line).split())
    match = FIELD.match(text)
    if not match or text.startswith("@@"):
        return text
    name, type_name, is_list, optional, rest = match.groups()
    attributes = sorted(f"{key}({value})" if value else key for key, value in parse_attributes(rest).items())
    return " ".join([f"{name} {type_name}{is_list or ''}{optional or ''}", *attributes])


def normalized_blocks(text: str) -> dict[str, list[str]]:
    """Each model's and enum's lines, normalized."""
    blocks = {}
    for match in BLOCK.finditer(text):
        kind, name, body = match.groups()
        lines = [normalized_line(line) for line in body.splitlines()]
        blocks[f"{kind} {name}"] = [line for line in lines if line]
    return blocks


def provided_for_postgresql(provided_text: str) -> dict[str, list[str]]:
    """The provided schema's blocks with the PostgreSQL changes applied."""
    text = provided_text
    for before, after in POSTGRESQL_CHANGES:
        text = text.replace(before, after)
    blocks = normalized_blocks(text)
    for model, key in RENAMED_PRIMARY_KEYS.items():
        blocks[f"model {model}"] = [
            line.replace('@id(map: "contract_signature_pkey")', f'@id(map: "{key}")')
            for line in blocks[f"model {model}"]
        ]
    return blocks


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
        return f"numeric({arguments})" if arguments else "numeric"
    if name in ("Timestamptz", "Timestamp"):
        zone = "with" if name == "Timestamptz" else "without"
        return f"timestamp({arguments or 6}) {zone} time zone"
    if name == "VarChar":
        return f"character varying({arguments})"
    if name == "Date":
        return "date"
    raise AssertionError(f"extend expected_column_type for @db.{native}")


def column_type(row: asyncpg.Record) -> str:
    """An information_schema.columns row's type as one string, e.g. `numeric(10,2)`."""
    data_type = row["data_type"]
    if data_type == "numeric" and row["numeric_precision"] is None:
        return "numeric"
    if data_type == "numeric":
        return f"numeric({row['numeric_precision']},{row['numeric_scale']})"
    if data_type == "character varying" and row["character_maximum_length"] is not None:
        return f"character varying({row['character_maximum_length']})"
    if data_type.startswith("timestamp"):
        return str(data_type).replace("timestamp", f"timestamp({row['datetime_precision']})", 1)
    if data_type == "USER-DEFINED":
        return str(row["udt_name"])
    return str(data_type)


@pytest.fixture(scope="module")
def provided_text(provided_schema_path: Path) -> str:
    return provided_schema_path.read_text(encoding="utf-8")


def test_streamos_part_is_the_provided_schema_with_the_postgresql_changes(provided_text: str) -> None:
    blocks = provided_for_postgresql(provided_text)
    ours = normalized_blocks(streamos_schema(SCHEMA_PATH.read_text(encoding="utf-8")))

    assert len([name for name in blocks if name.startswith("model ")]) == 73
    assert set(ours) == set(blocks)
    differences = {name: (blocks[name], ours[name]) for name in blocks if ours[name] != blocks[name]}
    assert differences == {}


def test_service_additions_to_streamos_models_are_marked(provided_text: str) -> None:
    provided = provided_for_postgresql(provided_text)
    whole = normalized_blocks(SCHEMA_PATH.read_text(encoding="utf-8"))
    marked = [line for line in SCHEMA_PATH.read_text(encoding="utf-8").splitlines() if "// service:" in line]
    added = {
        name: [line for line in lines if line not in provided[name]]
        for name, lines in whole.items()
        if name in provided
    }
    added_lines = sorted(line for lines in added.values() for line in lines)
    # Every line the service added to a streamOS model carries the marker, and nothing else does.
    assert added_lines == sorted(normalized_line(line) for line in marked[1:])
    assert len(added_lines) == 7
    assert all(line.startswith(("invoice_request ", "@@index(")) for line in added_lines)


async def test_database_columns_match_the_schema(database_dsn: str, schema: PrismaSchema) -> None:
    connection = await asyncpg.connect(database_dsn)
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name, data_type, udt_name, numeric_precision, numeric_scale, "
            "datetime_precision, character_maximum_length, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'"
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
            "FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
            # Prisma's schema is `public`; pgqueuer keeps its own objects in a schema of their own.
            "WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname"
        )
    finally:
        await connection.close()
    assert {row["typname"]: list(row["labels"]) for row in rows} == schema.enums
