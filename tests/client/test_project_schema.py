"""The generator on the project's own schema (prisma/schema.prisma, whatever it holds): a client
generated into a temporary directory reads the demo charges with every relation included."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import asyncpg
import pytest

from api.paths import SCHEMA_PATH
from prisma_asyncpg.generator.check import regenerate
from prisma_asyncpg.schema import Schema
from seed.loader import demo_payload, load_charges

from .conftest import PRISMA_CLI

BLOCK = (
    'generator project_client {\n  provider = "python3 -m prisma_asyncpg.generator"\n  output = "out"\n}\n'
)


@pytest.fixture(scope="module")
def project_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The client of a copy of the schema with a prisma_asyncpg block, imported as `project_client`."""
    root = tmp_path_factory.mktemp("project")
    schema = root / "schema.prisma"
    schema.write_text(SCHEMA_PATH.read_text() + "\n" + BLOCK)
    regenerate([str(PRISMA_CLI)], schema, "project_client", root / "project_client")
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module("project_client")
    finally:
        sys.path.remove(str(root))


def include_tree(schema: Schema, model: str, depth: int) -> dict[str, Any]:
    """Every relation of `model`, and theirs, `depth` levels deep."""
    tree: dict[str, Any] = {}
    for name, relation in schema.models[model].relations.items():
        tree[name] = {"include": include_tree(schema, relation.target, depth - 1)} if depth > 1 else True
    return tree


async def test_every_model_reads_with_every_relation(
    project_client: Any, db: asyncpg.Pool, database_dsn: str
) -> None:
    await load_charges(db, demo_payload(), progress=None)
    schema: Schema = project_client.schema.SCHEMA
    async with project_client.Prisma(datasource={"url": database_dsn}) as client:
        for name, model in schema.models.items():
            rows = await getattr(client, name.lower()).find_many(include=include_tree(schema, name, 2))
            assert len(rows) == await db.fetchval(f"SELECT count(*) FROM {model.table}")  # noqa: S608
            for field, relation in model.relations.items():
                if not relation.is_list or relation.kind != "fk_there" or len(relation.pairs) != 1:
                    continue
                target = schema.models[relation.target]
                linked = await db.fetchval(
                    f"SELECT count(*) FROM {target.table} WHERE {relation.pairs[0][1]} IS NOT NULL"  # noqa: S608
                )
                assert sum(len(getattr(row, field)) for row in rows) == linked, f"{name}.{field}"
