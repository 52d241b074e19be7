"""Runs queries on asyncpg: compiles (with a statement cache by query shape), executes, decodes,
and carries out nested writes (several statements, in one transaction)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from pydantic import BaseModel

from prisma_asyncpg import aggregate
from prisma_asyncpg.convert import to_db
from prisma_asyncpg.errors import InputError, RecordNotFoundError, TransactionExpiredError, map_database_error
from prisma_asyncpg.fields import Json
from prisma_asyncpg.ids import cuid, uuid4
from prisma_asyncpg.query import Analyzer, Node, as_list
from prisma_asyncpg.schema import Model, Relation, Schema
from prisma_asyncpg.sql import render

log = logging.getLogger("prisma_asyncpg")

Args = Mapping[str, Any]
Row = dict[str, Any]
# An asyncpg Pool, Connection or pooled connection: all have fetch/fetchval/fetchrow/execute.
Database = Any


def _count(status: str) -> int:
    """The row count of a command status such as `UPDATE 3` or `INSERT 0 2`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class Engine:
    """One database handle (pool, or the connection of a transaction) plus the shared caches."""

    __slots__ = ("cache", "db", "deadline", "log_queries", "models", "schema")

    def __init__(
        self,
        schema: Schema,
        models: Mapping[str, type[BaseModel]],
        db: Database,
        cache: dict[Node, str],
        deadline: float | None = None,
    ) -> None:
        self.schema = schema
        self.models = models
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

    def _decode(self, model: str, text: str | None) -> Any:
        return None if text is None else self.models[model].model_validate_json(text)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Engine]:
        """This engine inside a transaction (a savepoint when one is already open)."""
        if isinstance(self.db, asyncpg.Pool):
            async with self.db.acquire() as connection, connection.transaction():
                yield Engine(self.schema, self.models, connection, self.cache)
        else:
            async with self.db.transaction():
                yield self

    # -- reading -------------------------------------------------------------------------------

    async def find_unique(self, model: str, where: Args, include: Args | None) -> Any:
        # Fast path for the commonest query, `where={"id": value}`: no shape to build at all.
        plan = self.schema.unique_plans.get((model, *where)) if include is None else None
        if plan is not None:
            sql, fields = plan
            values = list(where.values())
            if not any(value is None or isinstance(value, (dict, Json)) for value in values):
                params = [to_db(field, value) for field, value in zip(fields, values, strict=True)]
                return self._decode(model, await self._call("fetchval", sql, params))
        schema_model = self.schema.models[model]
        analyzer = Analyzer(self.schema)
        shape = analyzer.find(schema_model, {"where": where, "include": include}, unique=True)
        text = await self._value(analyzer, shape)
        if include is None and self._plain_equalities(schema_model, where):
            fields = tuple(schema_model.fields[name] for name in where)
            self.schema.unique_plans[(model, *where)] = (self.statement(shape), fields)
        return self._decode(model, text)

    @staticmethod
    def _plain_equalities(model: Model, where: Args) -> bool:
        """Whether `where` only compares scalar fields with plain values (the fast path's shape)."""
        for name, value in where.items():
            field = model.fields.get(name)
            if field is None or field.is_relation or value is None or isinstance(value, (dict, Json)):
                return False
        return True

    async def find_first(self, model: str, args: Args) -> Any:
        analyzer = Analyzer(self.schema)
        shape = analyzer.find(self.schema.models[model], args, first=True)
        return self._decode(model, await self._value(analyzer, shape))

    async def find_many(self, model: str, args: Args) -> list[Any]:
        analyzer = Analyzer(self.schema)
        shape = analyzer.find(self.schema.models[model], args)
        rows = await self._call("fetch", self.statement(shape), analyzer.params)
        validate = self.models[model].model_validate_json
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

    async def _find_row(self, model: Model, where: Args) -> Row | None:
        """The row (native values, by field name) matching `where`, or None."""
        analyzer = Analyzer(self.schema)
        shape = (
            "find",
            model.name,
            None,
            analyzer.window(model, {"where": where, "take": 1}, "order"),
            False,
        )
        record = await self._call("fetchrow", self.statement(shape), analyzer.params)
        return None if record is None else {f.name: record[f.db_name] for f in model.scalars}

    async def _require_row(self, model: Model, where: Args) -> Row:
        row = await self._find_row(model, where)
        if row is None:
            raise RecordNotFoundError(
                f"No '{model.name}' record was found for a nested connect on {dict(where)!r}"
            )
        return row

    # -- writing -------------------------------------------------------------------------------

    def _split(self, model: Model, data: Args) -> tuple[Row, Row]:
        scalars: Row = {}
        relations: Row = {}
        for name, value in data.items():
            (relations if model.field(name).is_relation else scalars)[name] = value
        return scalars, relations

    @staticmethod
    def _with_defaults(model: Model, row: Row) -> Row:
        """The row plus the defaults Prisma computes in the client (ids, @updatedAt, empty lists)."""
        complete = dict(row)
        now = dt.datetime.now(dt.UTC)  # one instant for @default(now()) and @updatedAt, as Prisma does
        for field in model.scalars:
            if field.name in complete:
                continue
            if field.default == "cuid":
                complete[field.name] = cuid()
            elif field.default == "uuid":
                complete[field.name] = uuid4()
            elif field.is_updated_at or field.default == "now":
                complete[field.name] = now
            elif field.is_list and field.is_required and field.default is None:
                complete[field.name] = []
        return complete

    @staticmethod
    def _touch(model: Model, scalars: Row) -> Row:
        """The assignments plus every @updatedAt field not set explicitly."""
        stamped = [f.name for f in model.scalars if f.is_updated_at and f.name not in scalars]
        if not stamped or not scalars:
            return scalars
        now = dt.datetime.now(dt.UTC)
        return {**scalars, **dict.fromkeys(stamped, now)}

    def _key(self, model: Model, row: Row) -> Row:
        return {name: row[name] for name in model.primary_key}

    async def create(self, model: str, data: Args, include: Args | None) -> Any:
        schema_model = self.schema.models[model]
        scalars, relations = self._split(schema_model, data)
        if not relations:
            analyzer = Analyzer(self.schema)
            shape = analyzer.insert(schema_model, self._with_defaults(schema_model, scalars), include)
            return self._decode(model, await self._value(analyzer, shape))
        async with self.transaction() as engine:
            row = await engine._create_row(schema_model, data)
            return await engine.find_unique(model, self._key(schema_model, row), include)

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

    async def update(self, model: str, data: Args, where: Args, include: Args | None) -> Any:
        schema_model = self.schema.models[model]
        scalars, relations = self._split(schema_model, data)
        if not relations and scalars:
            analyzer = Analyzer(self.schema)
            shape = analyzer.update(schema_model, self._touch(schema_model, scalars), where, include)
            return self._decode(model, await self._value(analyzer, shape))
        async with self.transaction() as engine:
            row = await engine._find_row(schema_model, where)
            if row is None:
                return None
            await engine._update_row(schema_model, row, data)
            return await engine.find_unique(model, self._key(schema_model, row), include)

    async def update_many(self, model: str, data: Args, where: Args | None) -> int:
        schema_model = self.schema.models[model]
        if not data:
            return 0
        analyzer = Analyzer(self.schema)
        shape = analyzer.update_many(schema_model, self._touch(schema_model, dict(data)), where)
        return _count(await self._call("execute", self.statement(shape), analyzer.params))

    async def upsert(self, model: str, where: Args, data: Args, include: Args | None) -> Any:
        schema_model = self.schema.models[model]
        create, create_relations = self._split(schema_model, data["create"])
        update, update_relations = self._split(schema_model, data["update"])
        conflict = self._conflict_key(schema_model, where, create)
        if conflict and not create_relations and not update_relations:
            analyzer = Analyzer(self.schema)
            complete = self._with_defaults(schema_model, create)
            changes = self._touch(schema_model, update)
            shape = analyzer.upsert(schema_model, complete, conflict, changes, include)
            return self._decode(model, await self._value(analyzer, shape))
        # Otherwise (Prisma does the same): find, then update or create, in one transaction.
        async with self.transaction() as engine:
            row = await engine._find_row(schema_model, where)
            if row is None:
                return await engine.create(model, data["create"], include)
            return await engine.update(model, data["update"], self._key(schema_model, row), include)

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

    async def delete(self, model: str, where: Args, include: Args | None) -> Any:
        analyzer = Analyzer(self.schema)
        shape = analyzer.delete(self.schema.models[model], where, include)
        return self._decode(model, await self._value(analyzer, shape))

    async def delete_many(self, model: str, where: Args | None) -> int:
        analyzer = Analyzer(self.schema)
        shape = analyzer.delete_many(self.schema.models[model], where)
        return _count(await self._call("execute", self.statement(shape), analyzer.params))

    # -- nested writes (always inside a transaction) ---------------------------------------------

    async def _insert_row(self, model: Model, row: Row) -> Row:
        analyzer = Analyzer(self.schema)
        shape = analyzer.insert(model, row, None)
        shape = (*shape[:3], None)
        record = await self._call("fetchrow", self.statement(shape), analyzer.params)
        return {f.name: record[f.db_name] for f in model.scalars}

    async def _update_rows(self, model: Model, where: Args, values: Row) -> int:
        analyzer = Analyzer(self.schema)
        shape = analyzer.update_many(model, values, where)
        return _count(await self._call("execute", self.statement(shape), analyzer.params))

    async def _create_row(self, model: Model, data: Args) -> Row:
        scalars, relations = self._split(model, data)
        row = dict(scalars)
        later = []
        for name, operations in relations.items():
            relation = model.relations[name]
            if relation.kind == "fk_here":
                parent = await self._parent(self.schema.model(relation.target), operations)
                for local, remote in zip(relation.local_fields, relation.remote_fields, strict=True):
                    row[local] = parent[remote]
            else:
                later.append((name, operations))
        created = await self._insert_row(model, self._with_defaults(model, row))
        for name, operations in later:
            await self._relation_writes(model, created, name, operations)
        return created

    async def _update_row(self, model: Model, row: Row, data: Args) -> None:
        scalars, relations = self._split(model, data)
        later = []
        doomed = []  # records this one points at, deleted after it stops pointing at them
        for name, operations in relations.items():
            relation = model.relations[name]
            if relation.kind != "fk_here":
                later.append((name, operations))
                continue
            if operations.get("delete") or operations.get("disconnect"):
                if operations.get("delete"):
                    target_key = dict(
                        zip(relation.remote_fields, (row[f] for f in relation.local_fields), strict=True)
                    )
                    doomed.append((self.schema.model(relation.target), target_key))
                scalars.update(dict.fromkeys(relation.local_fields))
            else:
                parent = await self._parent(self.schema.model(relation.target), operations)
                for local, remote in zip(relation.local_fields, relation.remote_fields, strict=True):
                    scalars[local] = parent[remote]
        if scalars:
            await self._update_rows(model, self._key(model, row), self._touch(model, scalars))
        for target, target_key in doomed:
            await self._delete_rows(target, target_key, required=True)
        for name, operations in later:
            await self._relation_writes(model, row, name, operations)

    async def _parent(self, target: Model, operations: Args) -> Row:
        """The row a to-one relation holding the key points at: created, connected or either."""
        if "create" in operations:
            return await self._create_row(target, operations["create"])
        if "connect" in operations:
            return await self._require_row(target, operations["connect"])
        if "connect_or_create" in operations:
            spec = operations["connect_or_create"]
            found = await self._find_row(target, spec["where"])
            return found if found is not None else await self._create_row(target, spec["create"])
        raise InputError(f"unsupported relation operations {sorted(operations)!r}")

    async def _relation_writes(self, model: Model, row: Row, name: str, operations: Args) -> None:
        relation = model.relations[name]
        target = self.schema.model(relation.target)
        many_to_many = relation.kind == "many_to_many"
        link = {
            remote: row[local]
            for local, remote in zip(relation.local_fields, relation.remote_fields, strict=True)
        }
        unlink = dict.fromkeys(relation.remote_fields)
        for operation, value in operations.items():
            if operation == "create" and not many_to_many and self._plain_rows(target, as_list(value)):
                # Children holding the key and nothing nested: one multi-row INSERT.
                rows = [self._with_defaults(target, {**item, **link}) for item in as_list(value)]
                analyzer = Analyzer(self.schema)
                shape = analyzer.insert_many(target, rows, False)
                await self._call("execute", self.statement(shape), analyzer.params)
            elif operation == "create":
                for item in as_list(value):
                    if many_to_many:
                        await self._join(relation, model, row, target, await self._create_row(target, item))
                    else:
                        await self._create_row(target, {**item, **link})
            elif operation == "connect":
                for where in as_list(value):
                    if many_to_many:
                        await self._join(relation, model, row, target, await self._require_row(target, where))
                    elif not await self._update_rows(target, where, link):
                        raise RecordNotFoundError(f"No '{target.name}' record to connect for {dict(where)!r}")
            elif operation == "connect_or_create":
                for item in as_list(value):
                    found = await self._find_row(target, item["where"])
                    if found is None and many_to_many:
                        await self._join(
                            relation, model, row, target, await self._create_row(target, item["create"])
                        )
                    elif found is None:
                        await self._create_row(target, {**item["create"], **link})
                    elif many_to_many:
                        await self._join(relation, model, row, target, found)
                    else:
                        await self._update_rows(target, self._key(target, found), link)
            elif operation == "delete":
                if not relation.is_list:
                    if value is True:
                        await self._delete_rows(target, link, required=True)
                    continue
                for where in as_list(value):
                    if many_to_many:
                        found = await self._require_row(target, where)
                        if not await self._joined(relation, model, row, target, found):
                            raise RecordNotFoundError(
                                f"No '{target.name}' record linked to delete for {where!r}"
                            )
                        await self._delete_rows(target, self._key(target, found), required=True)
                    else:
                        await self._delete_rows(target, {"AND": [where, link]}, required=True)
            elif operation in ("disconnect", "set"):
                if operation == "set" or not relation.is_list:
                    if operation == "disconnect" and value is not True:
                        continue
                    if many_to_many:
                        await self._unjoin(relation, model, row, target, None)
                    else:
                        await self._update_rows(target, link, unlink)
                    if operation == "set":
                        await self._relation_writes(model, row, name, {"connect": value})
                    continue
                for where in as_list(value):
                    if many_to_many:
                        found = await self._find_row(target, where)
                        if found is not None:
                            await self._unjoin(relation, model, row, target, found)
                    else:
                        await self._update_rows(target, {"AND": [where, link]}, unlink)
            else:
                raise InputError(f"unknown relation operation {operation!r} on {model.name}.{name}")

    def _plain_rows(self, model: Model, items: list[Any]) -> bool:
        return len(items) > 1 and all(not self._split(model, item)[1] for item in items)

    async def _delete_rows(self, model: Model, where: Args, *, required: bool) -> int:
        analyzer = Analyzer(self.schema)
        shape = analyzer.delete_many(model, where)
        deleted = _count(await self._call("execute", self.statement(shape), analyzer.params))
        if required and not deleted:
            raise RecordNotFoundError(f"No '{model.name}' record to delete for {dict(where)!r}")
        return deleted

    async def _joined(self, relation: Relation, model: Model, row: Row, target: Model, other: Row) -> bool:
        sql = (
            f"SELECT EXISTS (SELECT 1 FROM {relation.join_table} "
            f"WHERE {relation.self_column} = $1 AND {relation.other_column} = $2)"
        )
        params = [row[model.primary_key[0]], other[target.primary_key[0]]]
        return bool(await self._call("fetchval", sql, params))

    async def _join(self, relation: Relation, model: Model, row: Row, target: Model, other: Row) -> None:
        sql = (
            f"INSERT INTO {relation.join_table} ({relation.self_column}, {relation.other_column}) "
            "VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )
        await self._call("execute", sql, [row[model.primary_key[0]], other[target.primary_key[0]]])

    async def _unjoin(
        self, relation: Relation, model: Model, row: Row, target: Model, other: Row | None
    ) -> None:
        sql = f"DELETE FROM {relation.join_table} WHERE {relation.self_column} = $1"
        params = [row[model.primary_key[0]]]
        if other is not None:
            sql += f" AND {relation.other_column} = $2"
            params.append(other[target.primary_key[0]])
        await self._call("execute", sql, params)

    # -- raw -----------------------------------------------------------------------------------

    async def query_raw(self, query: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        rows = await self._call("fetch", query, list(args), raw=True)
        return [dict(row) for row in rows]

    async def execute_raw(self, query: str, args: tuple[Any, ...]) -> int:
        return _count(await self._call("execute", query, list(args), raw=True))
