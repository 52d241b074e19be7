"""Compilation without a database: query shapes carry no values, so statements are reused by shape."""

from __future__ import annotations

from decimal import Decimal

from prisma_asyncpg.query import Analyzer, Node
from prisma_asyncpg.sql import render

from .generated.client_db import Prisma
from .generated.client_db.schema import SCHEMA

USER = SCHEMA.models["User"]


def shape_and_params(
    where: dict[str, object], include: dict[str, object] | None = None
) -> tuple[Node, list[object]]:
    analyzer = Analyzer(SCHEMA)
    shape = analyzer.find(USER, {"where": where, "include": include, "take": 3})
    return shape, analyzer.params


def test_the_same_query_with_other_values_has_the_same_shape() -> None:
    first, first_params = shape_and_params({"name": {"in": ["a", "b"]}, "balance": {"gt": Decimal("1.5")}})
    second, second_params = shape_and_params({"name": {"in": ["c"]}, "balance": {"gt": 7}})
    assert first == second and hash(first) == hash(second)
    assert first_params == [["a", "b"], Decimal("1.5"), 3]
    assert second_params == [["c"], Decimal("7"), 3]


def test_null_insensitivity_and_includes_change_the_shape() -> None:
    base, _ = shape_and_params({"nickname": "x"})
    assert shape_and_params({"nickname": None})[0] != base
    assert shape_and_params({"nickname": {"equals": "x", "mode": "insensitive"}})[0] != base
    assert shape_and_params({"nickname": "x"}, {"posts": True})[0] != base


def test_rendered_sql_uses_parameters_and_column_names() -> None:
    shape, params = shape_and_params({"nickname": {"contains": "o'clock"}}, {"posts": {"take": 2}})
    sql = render(SCHEMA, shape)
    assert "o'clock" not in sql
    assert params == [2, "o'clock", 3]  # the include's take, the filter, the top-level take
    assert 't0."nick_name"' in sql and "'nickname'" in sql  # column @map, JSON key = field name
    assert sql.count("json_agg") == 1 and "LIMIT $1" in sql and sql.endswith("LIMIT $3")


async def test_statements_are_cached_by_shape(client: Prisma) -> None:
    client.engine.cache.clear()
    await client.user.find_many(where={"name": {"startswith": "A"}}, include={"posts": True})
    cached = dict(client.engine.cache)
    await client.user.find_many(where={"name": {"startswith": "B"}}, include={"posts": True})
    assert client.engine.cache == cached and len(cached) == 1
