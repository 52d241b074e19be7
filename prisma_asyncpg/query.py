"""Query arguments -> a hashable query shape plus its parameters (the first half of compilation).

The shape is a tree of tuples naming fields, operators and parameter numbers but no values; the
same shape always renders to the same SQL (`prisma_asyncpg.sql`), so rendered statements are
cached by it. Values are converted for asyncpg here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prisma_asyncpg.convert import to_db, to_db_element, to_db_list
from prisma_asyncpg.errors import InputError
from prisma_asyncpg.fields import Json
from prisma_asyncpg.projection import FIELDS
from prisma_asyncpg.schema import Field, Model, Schema

Node = tuple[Any, ...]

_COMPARISONS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_TEXT_MATCHES = ("contains", "startswith", "endswith")
_ATOMIC = {"set", "increment", "decrement", "multiply", "divide", "push"}
EMPTY: Node = ("and", ())


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Analyzer:
    """Collects the parameters of one query while building its shape."""

    __slots__ = ("params", "schema")

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.params: list[Any] = []

    def param(self, value: Any) -> int:
        self.params.append(value)
        return len(self.params)

    # -- where ---------------------------------------------------------------------------------

    def where(self, model: Model, where: Mapping[str, Any] | None) -> Node:
        if not where:
            return EMPTY
        parts: list[Node] = []
        for key, value in where.items():
            if key == "AND":
                parts.append(("and", tuple(self.where(model, item) for item in as_list(value))))
            elif key == "OR":
                parts.append(("or", tuple(self.where(model, item) for item in as_list(value))))
            elif key == "NOT":
                # Prisma's NOT: every listed condition must be false.
                parts.extend(("not", self.where(model, item)) for item in as_list(value))
            elif key in model.compound_keys and key not in model.fields:
                for name in model.compound_keys[key]:
                    parts.extend(self.scalar_filter(model.field(name), value[name]))
            else:
                field = model.field(key)
                if field.is_relation:
                    parts.append(self.relation_filter(model, field, value))
                else:
                    parts.extend(self.scalar_filter(field, value))
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def scalar_filter(self, field: Field, value: Any, column: Any = None) -> list[Node]:
        """The conditions of one field's filter; `column` overrides what is compared (an aggregate
        of the column in group_by's `having`)."""
        column = column or field.column
        if not isinstance(value, dict) or isinstance(value, Json):
            return [self.equals(field, value, insensitive=False, column=column)]
        insensitive = value.get("mode") == "insensitive"
        parts: list[Node] = []
        for operator, operand in value.items():
            if operator == "equals":
                parts.append(self.equals(field, operand, insensitive, column))
            elif operator == "not":
                if isinstance(operand, dict) and not isinstance(operand, Json):
                    inner = self.scalar_filter(field, {"mode": value.get("mode"), **operand}, column)
                    parts.append(("not", ("and", tuple(inner))))
                elif operand is None:
                    parts.append(("null", column, False))
                else:
                    parts.append(
                        (
                            "cmp",
                            column,
                            "<>",
                            self.param(to_db(field, operand)),
                            self.cast(field, insensitive),
                        )
                    )
            elif operator in ("in", "not_in"):
                index = self.param(to_db_list(field, operand))
                parts.append(("any", column, index, operator == "not_in", insensitive))
            elif operator in _COMPARISONS:
                parts.append(
                    (
                        "cmp",
                        column,
                        _COMPARISONS[operator],
                        self.param(to_db(field, operand)),
                        self.cast(field, insensitive),
                    )
                )
            elif operator in _TEXT_MATCHES:
                parts.append(("match", column, operator, self.param(str(operand)), insensitive))
            elif operator == "has":
                parts.append(("has", column, self.param(to_db_element(field, operand))))
            elif operator in ("has_every", "has_some"):
                parts.append((operator, column, self.param(to_db_list(field, operand))))
            elif operator == "is_empty":
                parts.append(("is_empty", column, bool(operand)))
            elif operator != "mode":
                raise InputError(f"unknown filter {operator!r} on {field.name}")
        return parts

    def equals(self, field: Field, value: Any, insensitive: bool, column: Any = None) -> Node:
        column = column or field.column
        if value is None:
            return ("null", column, True)
        return ("cmp", column, "=", self.param(to_db(field, value)), self.cast(field, insensitive))

    @staticmethod
    def cast(field: Field, insensitive: bool) -> str:
        if field.type == "Json":
            return "json"
        return "ci" if insensitive else ""

    def relation_filter(self, model: Model, field: Field, value: Any) -> Node:
        target = self.schema.model(field.type)
        relation = (model.name, field.name)
        modes: tuple[str, ...] = ("some", "every", "none") if field.is_list else ("is", "is_not")
        if not field.is_list and (value is None or not (set(value) & set(modes))):
            value = {"is": value}
        parts: list[Node] = []
        for mode, inner in value.items():
            if mode not in modes:
                raise InputError(f"unknown relation filter {mode!r} on {model.name}.{field.name}")
            if inner is None:
                parts.append(("rel", "none" if mode == "is" else "some", relation, EMPTY))
            else:
                parts.append(("rel", mode, relation, self.where(target, inner)))
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    # -- reading -------------------------------------------------------------------------------

    def order(self, model: Model, order: Any) -> tuple[Node, ...]:
        if not order:
            return ()
        entries: list[Node] = []
        for item in as_list(order):
            for key, direction in item.items():
                entries.extend(self._order_entry(model, key, direction, ()))
        return tuple(entries)

    def _order_entry(self, model: Model, key: str, direction: Any, path: tuple[str, ...]) -> list[Node]:
        field = model.field(key)
        if field.is_relation:
            if field.is_list:
                raise InputError(f"cannot order by the list relation {model.name}.{key}")
            target = self.schema.model(field.type)
            return [
                entry
                for sub_key, sub_direction in direction.items()
                for entry in self._order_entry(target, sub_key, sub_direction, (*path, key))
            ]
        nulls = None
        if isinstance(direction, dict):
            nulls = direction.get("nulls")
            direction = direction["sort"]
        if direction not in ("asc", "desc"):
            raise InputError(f"order of {key} must be 'asc' or 'desc', not {direction!r}")
        return [(path, field.column, direction, nulls)]

    def window(self, model: Model, args: Mapping[str, Any], order_key: str) -> Node:
        """where, order, take, skip, cursor and distinct of a list (top level or included)."""
        take = args.get("take")
        skip = args.get("skip")
        if take is not None and take < 0:
            raise InputError("a negative take is not supported")
        distinct = args.get("distinct")
        cursor = args.get("cursor")
        return (
            self.where(model, args.get("where")),
            self.order(model, args.get(order_key)),
            None if take is None else self.param(int(take)),
            None if not skip else self.param(int(skip)),
            None if not cursor else self.where(model, cursor),
            tuple(model.field(name).column for name in distinct) if distinct else (),
        )

    def selection(self, model: Model, include: Mapping[str, Any] | None) -> Node:
        """The fields a result carries: every scalar (or those under FIELDS, set by a selection
        model, see projection.py) and the included relations."""
        if not include:
            return ("sel", model.name, (), None)
        fields: tuple[str, ...] | None = include.get(FIELDS)
        parts: list[Node] = []
        for name, spec in include.items():
            if not spec or name == FIELDS:
                continue
            field = model.field(name)
            if not field.is_relation:
                raise InputError(f"{model.name}.{name} is not a relation and cannot be included")
            target = self.schema.model(field.type)
            args: Mapping[str, Any] = spec if isinstance(spec, dict) else {}
            child = self.selection(target, args.get("include"))
            if field.is_list:
                parts.append((name, "many", child, self.window(target, args, "order_by")))
            else:
                parts.append((name, "one", child, None))
        return ("sel", model.name, tuple(parts), fields)

    def find(
        self, model: Model, args: Mapping[str, Any], *, first: bool = False, unique: bool = False
    ) -> Node:
        """A read; `unique` (find_unique: at most one row) needs no ORDER BY."""
        if first:
            args = {**args, "take": 1}
        selection = self.selection(model, args.get("include"))
        return ("find", model.name, selection, self.window(model, args, "order"), not unique)

    def count(self, model: Model, args: Mapping[str, Any]) -> Node:
        return ("count", model.name, self.window(model, args, "order"))

    # -- writing -------------------------------------------------------------------------------

    def insert(self, model: Model, row: Mapping[str, Any], include: Mapping[str, Any] | None) -> Node:
        columns = tuple(row)
        for name, value in row.items():
            self.param(to_db(model.field(name), value))
        return (
            "insert",
            model.name,
            tuple(model.field(name).column for name in columns),
            self.selection(model, include),
        )

    def insert_many(self, model: Model, rows: list[dict[str, Any]], skip_duplicates: bool) -> Node:
        names = [f.name for f in model.scalars if any(f.name in row for row in rows)]
        pattern: list[tuple[int | None, ...]] = []
        for row in rows:
            pattern.append(
                tuple(
                    self.param(to_db(model.fields[name], row[name])) if name in row else None
                    for name in names
                )
            )
        return (
            "insert_many",
            model.name,
            tuple(model.fields[n].column for n in names),
            tuple(pattern),
            skip_duplicates,
        )

    def upsert(
        self,
        model: Model,
        row: Mapping[str, Any],
        conflict: tuple[str, ...],
        data: Mapping[str, Any],
        include: Mapping[str, Any] | None,
    ) -> Node:
        """INSERT ... ON CONFLICT (the unique key) DO UPDATE: one statement, safe under concurrency."""
        columns = tuple(model.field(name).column for name in row)
        for name, value in row.items():
            self.param(to_db(model.field(name), value))
        sets = self.assignments(model, data)
        keys = tuple(model.field(name).column for name in conflict)
        return ("upsert", model.name, columns, keys, sets, self.selection(model, include))

    def assignments(self, model: Model, data: Mapping[str, Any]) -> tuple[Node, ...]:
        sets: list[Node] = []
        for name, value in data.items():
            field = model.field(name)
            if field.is_relation:
                raise InputError(f"{model.name}.{name}: relation writes are handled by the engine")
            if isinstance(value, dict) and not isinstance(value, Json) and field.type != "Json":
                for operator, operand in value.items():
                    if operator not in _ATOMIC:
                        raise InputError(f"unknown update operation {operator!r} on {model.name}.{name}")
                    if operator == "push":
                        operand = to_db_list(field, as_list(operand))
                    else:
                        operand = to_db(field, operand)
                    sets.append((field.column, operator, self.param(operand)))
            else:
                sets.append((field.column, "set", self.param(to_db(field, value))))
        return tuple(sets)

    def update(
        self,
        model: Model,
        data: Mapping[str, Any],
        where: Mapping[str, Any],
        include: Mapping[str, Any] | None,
    ) -> Node:
        sets = self.assignments(model, data)
        return ("update", model.name, sets, self.where(model, where), self.selection(model, include))

    def update_many(self, model: Model, data: Mapping[str, Any], where: Mapping[str, Any] | None) -> Node:
        sets = self.assignments(model, data)
        return ("update_many", model.name, sets, self.where(model, where))

    def delete(self, model: Model, where: Mapping[str, Any], include: Mapping[str, Any] | None) -> Node:
        return ("delete", model.name, self.where(model, where), self.selection(model, include))

    def delete_many(self, model: Model, where: Mapping[str, Any] | None) -> Node:
        return ("delete_many", model.name, self.where(model, where))
