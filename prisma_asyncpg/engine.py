"""Runs queries on asyncpg: compiles (with a statement cache by query shape), executes, decodes,
and carries out nested writes (several statements, in one transaction)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from pydantic import BaseModel

from prisma_asyncpg import aggregate
from prisma_asyncpg.convert import to_db
from prisma_asyncpg.errors import InputError, TransactionExpiredError, map_database_error
from prisma_asyncpg.fields import Json
from prisma_asyncpg.nested import Args, NestedWrites, Row, _count
from prisma_asyncpg.projection import Projections
from prisma_asyncpg.query import Analyzer, Node
from prisma_asyncpg.schema import Model, Schema
from prisma_asyncpg.sql import render

log = logging.getLogger("prisma_asyncpg")

# The class a result is read into when it is not the generated model (a selection of fields).
Output = type[BaseModel] | None
# An asyncpg Pool, Connection or pooled connection: all have fetch/fetchval/fetchrow/execute.
Database = Any


# find_unique plans kept at most (their keys come from code: where keys, include, output class).
MAX_PLANS = 1024


def _frozen(value: Any) -> Any:
    """`include` as a hashable key, order kept (it orders the SQL); TypeError when it holds
    something unhashable."""
    if isinstance(value, Mapping) and not isinstance(value, Json):
        return tuple((name, _frozen(item)) for name, item in value.items())
    if isinstance(value, (list, tuple)):
        return ("list", *(_frozen(item) for item in value))
    hash(value)
    return value


def _plan_key(model: str, where: Args, include: Args | None, output: Output) -> tuple[Any, ...] | None:
    """The key of find_unique's plan cache, or None when this call cannot use one: a `where` value
    that is None, a filter object or Json (those change the SQL), or an unhashable `include`."""
    for value in where.values():
        if value is None or isinstance(value, (dict, Json)):
            return None
    try:
        return (model, tuple(where), output, None if include is None else _frozen(include))
    except TypeError:
        return None


class Engine(NestedWrites):
    """One database handle (pool, or the connection of a transaction) plus the shared caches."""

    __slots__ = ("cache", "db", "deadline", "log_queries", "models", "projections", "schema")

    def __init__(
        self,
        schema: Schema,
        models: Mapping[str, type[BaseModel]],
        db: Database,
        cache: dict[Node, str],
        deadline: float | None = None,
        projections: Projections | None = None,
    ) -> None:
        self.schema = schema
        self.models = models
        self.projections = projections or Projections(schema, models)
        self.db = db
        self.cache = cache
        self.deadline = deadline  # event-loop time a transaction expires at
        self.log_queries = False

    # -- execution -----------------------------------------------------------------------------

    def statement(self, shape: Node) -> str:
        sql = self.cache.get(shape)
        if sql is None:
            sql = self.cache[shape] = render(self.schema, shape)
        return sql

    async def _call(self, method: str, sql: str, params: list[Any], *, raw: bool = False) -> Any:
        if self.deadline is not None and asyncio.get_running_loop().time() > self.deadline:
            raise TransactionExpiredError("the transaction ran past its timeout and was rolled back")
        if self.log_queries:
            log.info("prisma_asyncpg.query", extra={"sql": sql, "parameters": len(params)})
        try:
            return await getattr(self.db, method)(sql, *params)
        except asyncpg.PostgresError as error:
            mapped = map_database_error(error, raw=raw)
            if mapped is error:
                raise
            raise mapped from error

    async def _value(self, analyzer: Analyzer, shape: Node) -> Any:
        return await self._call("fetchval", self.statement(shape), analyzer.params)

    def _decode(self, model: str, text: str | None, output: Output = None) -> Any:
        if text is None:
            return None
        return (output or self.models[model]).model_validate_json(text)

    def _include(self, model: str, include: Args | None, output: Output) -> Any:
        """`include` with what the output class selects merged in (projection.py)."""
        if output is None:
            return include
        return self.projections.include(self.projections.of(output, self.schema.models[model]), include)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Engine]:
        """This engine inside a transaction (a savepoint when one is already open)."""
        if isinstance(self.db, asyncpg.Pool):
            async with self.db.acquire() as connection, connection.transaction():
                yield Engine(self.schema, self.models, connection, self.cache, projections=self.projections)
        else:
            async with self.db.transaction():
                yield self

    # -- reading -------------------------------------------------------------------------------

    async def find_unique(self, model: str, where: Args, include: Args | None, output: Output = None) -> Any:
        # Fast path for the commonest queries: `where` comparing unique fields with plain values,
        # the same `include` and output class as a call before (an `include` that adds no
        # parameters). No shape to build and no projection to merge: the plan holds the SQL.
        key = _plan_key(model, where, include, output)
        plan = self.schema.unique_plans.get(key) if key is not None else None
        if plan is not None:
            sql, fields = plan
            params = [to_db(field, value) for field, value in zip(fields, where.values(), strict=True)]
            return self._decode(model, await self._call("fetchval", sql, params), output)
        include = self._include(model, include, output)
        schema_model = self.schema.models[model]
        analyzer = Analyzer(self.schema)
        shape = analyzer.find(schema_model, {"where": where, "include": include}, unique=True)
        text = await self._value(analyzer, shape)
        if (
            key is not None
            and len(analyzer.params) == len(where)
            and len(self.schema.unique_plans) < MAX_PLANS
            and self._plain_equalities(schema_model, where)
        ):
            fields = tuple(schema_model.fields[name] for name in where)
            self.schema.unique_plans[key] = (self.statement(shape), fields)
        return self._decode(model, text, output)

    @staticmethod
    def _plain_equalities(model: Model, where: Args) -> bool:
        """Whether `where` only compares scalar fields with plain values (the fast path's shape)."""
        for name, value in where.items():
            field = model.fields.get(name)
            if field is None or field.is_relation or value is None or isinstance(value, (dict, Json)):
                return False
        return True

    async def find_first(self, model: str, args: Args, output: Output = None) -> Any:
        if output is not None:
            args = {**args, "include": self._include(model, args.get("include"), output)}
        analyzer = Analyzer(self.schema)
        shape = analyzer.find(self.schema.models[model], args, first=True)
        return self._decode(model, await self._value(analyzer, shape), output)

    async def find_many(self, model: str, args: Args, output: Output = None) -> list[Any]:
        if output is not None:
            args = {**args, "include": self._include(model, args.get("include"), output)}
        analyzer = Analyzer(self.schema)
        shape = analyzer.find(self.schema.models[model], args)
        rows = await self._call("fetch", self.statement(shape), analyzer.params)
        validate = (output or self.models[model]).model_validate_json
        return [validate(row[0]) for row in rows]

    async def count(self, model: str, args: Args, select: Args | None = None) -> Any:
        """The number of rows; with `select`, a dict of counts (`_all` and non-null values per field)."""
        analyzer = Analyzer(self.schema)
        if select is not None:
            shape = aggregate.count_shape(analyzer, self.schema.models[model], args, select)
            return json.loads(await self._value(analyzer, shape))
        shape = analyzer.count(self.schema.models[model], args)
        return int(await self._value(analyzer, shape))

    async def group_by(self, model: str, args: Args) -> list[dict[str, Any]]:
        analyzer = Analyzer(self.schema)
        shape = aggregate.group_by_shape(analyzer, self.schema.models[model], args)
        rows = await self._call("fetch", self.statement(shape), analyzer.params)
        return [aggregate.decode_group(self.models[model], row[0]) for row in rows]

    # -- writing -------------------------------------------------------------------------------

    async def create(self, model: str, data: Args, include: Args | None, output: Output = None) -> Any:
        schema_model = self.schema.models[model]
        scalars, relations = self._split(schema_model, data)
        if not relations:
            analyzer = Analyzer(self.schema)
            projected = self._include(model, include, output)
            shape = analyzer.insert(schema_model, self._with_defaults(schema_model, scalars), projected)
            return self._decode(model, await self._value(analyzer, shape), output)
        async with self.transaction() as engine:
            row = await engine._create_row(schema_model, data)
            return await engine.find_unique(model, self._key(schema_model, row), include, output)

    async def create_many(self, model: str, data: list[Args], skip_duplicates: bool) -> int:
        if not data:
            return 0
        schema_model = self.schema.models[model]
        rows = []
        for item in data:
            scalars, relations = self._split(schema_model, item)
            if relations:
                raise InputError("create_many does not take relation fields")
            rows.append(self._with_defaults(schema_model, scalars))
        analyzer = Analyzer(self.schema)
        shape = analyzer.insert_many(schema_model, rows, skip_duplicates)
        return _count(await self._call("execute", self.statement(shape), analyzer.params))

    async def update(
        self, model: str, data: Args, where: Args, include: Args | None, output: Output = None
    ) -> Any:
        schema_model = self.schema.models[model]
        scalars, relations = self._split(schema_model, data)
        if not relations and scalars:
            analyzer = Analyzer(self.schema)
            projected = self._include(model, include, output)
            shape = analyzer.update(schema_model, self._touch(schema_model, scalars), where, projected)
            return self._decode(model, await self._value(analyzer, shape), output)
        async with self.transaction() as engine:
            row = await engine._find_row(schema_model, where)
            if row is None:
                return None
            await engine._update_row(schema_model, row, data)
            return await engine.find_unique(model, self._key(schema_model, row), include, output)

    async def update_many(self, model: str, data: Args, where: Args | None) -> int:
        schema_model = self.schema.models[model]
        if not data:
            return 0
        analyzer = Analyzer(self.schema)
        shape = analyzer.update_many(schema_model, self._touch(schema_model, dict(data)), where)
        return _count(await self._call("execute", self.statement(shape), analyzer.params))

    async def upsert(
        self, model: str, where: Args, data: Args, include: Args | None, output: Output = None
    ) -> Any:
        schema_model = self.schema.models[model]
        create, create_relations = self._split(schema_model, data["create"])
        update, update_relations = self._split(schema_model, data["update"])
        conflict = self._conflict_key(schema_model, where, create)
        if conflict and not create_relations and not update_relations:
            analyzer = Analyzer(self.schema)
            complete = self._with_defaults(schema_model, create)
            changes = self._touch(schema_model, update)
            projected = self._include(model, include, output)
            shape = analyzer.upsert(schema_model, complete, conflict, changes, projected)
            return self._decode(model, await self._value(analyzer, shape), output)
        # Otherwise (Prisma does the same): find, then update or create, in one transaction.
        async with self.transaction() as engine:
            row = await engine._find_row(schema_model, where)
            if row is None:
                return await engine.create(model, data["create"], include, output)
            key = self._key(schema_model, row)
            return await engine.update(model, data["update"], key, include, output)

    @staticmethod
    def _conflict_key(model: Model, where: Args, create: Row) -> tuple[str, ...]:
        """The unique fields of `where` when it is one unique criterion whose values `create` repeats."""
        if len(where) != 1:
            return ()
        ((key, value),) = where.items()
        if key in model.compound_keys and key not in model.fields and isinstance(value, dict):
            names = model.compound_keys[key]
            values = [value.get(name) for name in names]
        else:
            field = model.fields.get(key)
            if (
                field is None
                or not (field.is_unique or model.primary_key == (key,))
                or isinstance(value, dict)
            ):
                return ()
            names, values = (key,), [value]
        if any(
            v is None or name not in create or create[name] != v
            for name, v in zip(names, values, strict=True)
        ):
            return ()
        return tuple(names)

    async def delete(self, model: str, where: Args, include: Args | None, output: Output = None) -> Any:
        analyzer = Analyzer(self.schema)
        projected = self._include(model, include, output)
        shape = analyzer.delete(self.schema.models[model], where, projected)
        return self._decode(model, await self._value(analyzer, shape), output)

    async def delete_many(self, model: str, where: Args | None) -> int:
        analyzer = Analyzer(self.schema)
        shape = analyzer.delete_many(self.schema.models[model], where)
        return _count(await self._call("execute", self.statement(shape), analyzer.params))

    # -- raw -----------------------------------------------------------------------------------

    async def query_raw(self, query: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        rows = await self._call("fetch", query, list(args), raw=True)
        return [dict(row) for row in rows]

    async def execute_raw(self, query: str, args: tuple[Any, ...]) -> int:
        return _count(await self._call("execute", query, list(args), raw=True))
