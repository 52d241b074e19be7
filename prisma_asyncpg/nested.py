"""Row helpers and nested relation writes (create, connect, connect_or_create, disconnect, set,
delete, update, update_many, upsert, delete_many), always run inside one transaction: the part
of the engine that takes several statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from prisma_asyncpg.errors import InputError, RecordNotFoundError
from prisma_asyncpg.ids import cuid, uuid4
from prisma_asyncpg.query import Analyzer, Node, as_list
from prisma_asyncpg.schema import Model, Relation, Schema

Args = Mapping[str, Any]
Row = dict[str, Any]


def _count(status: str) -> int:
    """The row count of a command status such as `UPDATE 3` or `INSERT 0 2`."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class NestedWrites:
    """Mixin of Engine: needs its `schema`, `statement()` and `_call()`."""

    __slots__ = ()
    schema: Schema

    def statement(self, shape: Node) -> str:
        raise NotImplementedError

    async def _call(self, method: str, sql: str, params: list[Any], *, raw: bool = False) -> Any:
        raise NotImplementedError

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
            elif "update" in operations or "upsert" in operations:
                target = self.schema.model(relation.target)
                current = await self._pointed_at(relation, target, row)
                if "update" in operations:
                    if current is None:
                        raise RecordNotFoundError(
                            f"No '{target.name}' record to update for {model.name}.{name}"
                        )
                    await self._update_row(target, current, operations["update"])
                elif current is not None:
                    await self._update_row(target, current, operations["upsert"]["update"])
                else:
                    parent = await self._create_row(target, operations["upsert"]["create"])
                    for local, remote in zip(relation.local_fields, relation.remote_fields, strict=True):
                        scalars[local] = parent[remote]
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

    async def _pointed_at(self, relation: Relation, target: Model, row: Row) -> Row | None:
        """The record the key fields of `row` point at (None when they are null)."""
        key = {
            remote: row[local]
            for local, remote in zip(relation.local_fields, relation.remote_fields, strict=True)
        }
        return None if any(value is None for value in key.values()) else await self._find_row(target, key)

    def _linked(self, model: Model, row: Row, name: str, link: Row) -> Args:
        """The filter of the target's records related to `row` through the relation `name`."""
        relation = model.relations[name]
        if relation.kind != "many_to_many":
            return link
        field = model.fields[name]
        target = self.schema.model(relation.target)
        opposite = next(
            o.name
            for o in target.fields.values()
            if o.is_relation and o.relation_name == field.relation_name and o is not field
        )
        return {opposite: {"some": self._key(model, row)}}

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
            elif operation in ("update", "upsert", "update_many", "delete_many"):
                await self._change_related(model, row, name, operation, value, link)
            else:
                raise InputError(f"unknown relation operation {operation!r} on {model.name}.{name}")

    async def _change_related(
        self, model: Model, row: Row, name: str, operation: str, value: Any, link: Row
    ) -> None:
        """Nested update, upsert, update_many and delete_many of records related to `row`."""
        relation = model.relations[name]
        target = self.schema.model(relation.target)
        if not relation.is_list:
            if operation not in ("update", "upsert"):
                raise InputError(f"{operation} needs a list relation, {model.name}.{name} is not one")
            current = await self._find_row(target, link)
            if current is not None:
                await self._update_row(target, current, value if operation == "update" else value["update"])
            elif operation == "update":
                raise RecordNotFoundError(f"No '{target.name}' record to update for {model.name}.{name}")
            else:
                await self._create_row(target, {**value["create"], **link})
            return
        linked = self._linked(model, row, name, link)
        for item in as_list(value):
            if operation == "delete_many":
                await self._delete_rows(target, {"AND": [item, linked]}, required=False)
            elif operation == "update_many":
                if item["data"]:
                    matching = {"AND": [item["where"], linked]}
                    await self._update_rows(target, matching, self._touch(target, dict(item["data"])))
            else:
                found = await self._find_row(target, {"AND": [item["where"], linked]})
                if found is not None:
                    await self._update_row(target, found, item["data" if operation == "update" else "update"])
                elif operation == "update":
                    raise RecordNotFoundError(
                        f"No '{target.name}' record linked by {model.name}.{name} for {item['where']!r}"
                    )
                elif relation.kind == "many_to_many":
                    await self._join(
                        relation, model, row, target, await self._create_row(target, item["create"])
                    )
                else:
                    await self._create_row(target, {**item["create"], **link})

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
