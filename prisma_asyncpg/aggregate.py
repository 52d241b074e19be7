"""Aggregation: `count(select=...)` and `group_by(...)`, each one statement.

Shapes (hashable, no values) are built here from the arguments, rendered to SQL by
`render_aggregate` (called from `sql.Renderer.render`), and results, returned by PostgreSQL as one
JSON document per row, are converted to the Python types of the fields (`decode_group`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from prisma_asyncpg.errors import InputError
from prisma_asyncpg.fields import Json
from prisma_asyncpg.query import Analyzer, Node, as_list
from prisma_asyncpg.schema import Field, Model
from prisma_asyncpg.sql import Renderer, build_object, json_value, ref, value_expression

NUMBERS = frozenset({"Int", "BigInt", "Float", "Decimal"})
# Types PostgreSQL can take the min/max of (Booleans through bool_and/bool_or).
ORDERED = NUMBERS | {"String", "DateTime", "Boolean"}
AGGREGATES = ("_count", "_avg", "_sum", "_min", "_max")
_FUNCTIONS = {"_count": "count", "_avg": "avg", "_sum": "sum", "_min": "min", "_max": "max"}


def _function(key: str, field: Field) -> str:
    """The SQL aggregate of `key` (`_min`...) for the field."""
    if field.type == "Boolean" and key in ("_min", "_max"):
        return "bool_and" if key == "_min" else "bool_or"
    return _FUNCTIONS[key]


def _check(model: Model, key: str, field: Field) -> None:
    """Raises InputError when the aggregate `key` cannot be taken of the field."""
    if key == "_count":
        return
    if field.is_list:
        raise InputError(f"{key} of the list field {model.name}.{field.name} is not supported")
    if key in ("_avg", "_sum") and field.type not in NUMBERS:
        raise InputError(f"{key} needs a number field, {model.name}.{field.name} is {field.type}")
    if key in ("_min", "_max") and field.type not in ORDERED and field.kind != "enum":
        raise InputError(f"{key} of {model.name}.{field.name} ({field.type}) is not supported")


def _aggregate_field(field: Field, key: str) -> Field:
    """The field as its aggregate reads (a count is an Int, an average a Float or Decimal)."""
    if key == "_count":
        return dataclasses.replace(field, kind="scalar", type="Int", is_list=False, native_type=None)
    if key == "_avg" and field.type != "Decimal":
        return dataclasses.replace(field, type="Float", native_type=None)
    return field


# -- shapes ------------------------------------------------------------------------------------


def count_shape(analyzer: Analyzer, model: Model, args: Mapping[str, Any], select: Mapping[str, Any]) -> Node:
    """count(select={'_all': True, 'name': True}, ...): the counts of rows and of non-null values
    (an empty `select` counts the rows, as in Prisma Client Python)."""
    select = select or {"_all": True}
    counted = tuple(
        (name, "*" if name == "_all" else model.field(name).column)
        for name, wanted in select.items()
        if wanted
    )
    return ("count_select", model.name, analyzer.window(model, args, "order"), counted)


def group_by_shape(analyzer: Analyzer, model: Model, args: Mapping[str, Any]) -> Node:
    by = list(args["by"])
    if not by:
        raise InputError("group_by needs at least one field in `by`")
    fields = [model.field(name) for name in by]
    if any(field.is_relation for field in fields):
        raise InputError("group_by takes scalar fields only")
    aggregates: list[Node] = []
    count = args.get("count")
    if count is True:
        count = {"_all": True}
    for key, selected in (
        ("_count", count),
        ("_avg", args.get("avg")),
        ("_sum", args.get("sum")),
        ("_min", args.get("min")),
        ("_max", args.get("max")),
    ):
        if not selected:
            continue
        entries = []
        for name, wanted in selected.items():
            if not wanted:
                continue
            if name == "_all" and key == "_count":
                entries.append((name, "count", "*"))
                continue
            field = model.field(name)
            _check(model, key, field)
            entries.append((name, _function(key, field), field.column))
        aggregates.append((key, tuple(entries)))
    where = analyzer.where(model, args.get("where"))
    having = _having(analyzer, model, args.get("having"), set(by))
    order: list[Node] = []
    for item in as_list(args.get("order") or []):
        for name, direction in item.items():
            if name not in by:
                raise InputError(f"group_by can only order by fields in `by`, not {name!r}")
            nulls = None
            if isinstance(direction, dict):
                direction, nulls = direction["sort"], direction.get("nulls")
            if direction not in ("asc", "desc"):
                raise InputError(f"order of {name} must be 'asc' or 'desc', not {direction!r}")
            order.append((model.field(name).column, direction, nulls))
    take, skip = args.get("take"), args.get("skip")
    if take is not None and take < 0:
        raise InputError("a negative take is not supported")
    return (
        "group_by",
        model.name,
        tuple((field.name, field.column) for field in fields),
        tuple(aggregates),
        where,
        having,
        tuple(order),
        None if take is None else analyzer.param(int(take)),
        None if not skip else analyzer.param(int(skip)),
    )


def _having(analyzer: Analyzer, model: Model, having: Any, by: set[str]) -> Node:
    """`having`: filters of grouped fields, and of aggregates (`{'views': {'_avg': {'gt': 2}}}`)."""
    if not having:
        return ("and", ())
    parts: list[Node] = []
    for key, value in having.items():
        if key in ("AND", "OR"):
            parts.append((key.lower(), tuple(_having(analyzer, model, item, by) for item in as_list(value))))
            continue
        if key == "NOT":
            parts.extend(("not", _having(analyzer, model, item, by)) for item in as_list(value))
            continue
        field = model.field(key)
        if field.is_relation:
            raise InputError(f"having cannot filter the relation {model.name}.{key}")
        plain = value
        if isinstance(value, dict) and not isinstance(value, Json):
            plain = {k: v for k, v in value.items() if k not in AGGREGATES}
            for aggregate in AGGREGATES:
                if aggregate in value:
                    _check(model, aggregate, field)
                    column = (_function(aggregate, field), field.column)
                    target = _aggregate_field(field, aggregate)
                    parts.extend(analyzer.scalar_filter(target, value[aggregate], column))
            if not plain:
                continue
        if key not in by:
            raise InputError(f"having filters {key!r} without an aggregate, but it is not in `by`")
        parts.extend(analyzer.scalar_filter(field, plain))
    return parts[0] if len(parts) == 1 else ("and", tuple(parts))


# -- SQL ---------------------------------------------------------------------------------------


def _aggregate_value(field: Field | None, function: str, expression: str) -> str:
    """The JSON-ready value of an aggregate: exact decimals as text, timestamps as UTC text."""
    if field is None or function in ("count", "bool_and", "bool_or"):
        return expression
    if function == "avg" and field.type != "Decimal":
        return f"{expression}::float8"
    return value_expression(field, expression)


def render_aggregate(renderer: Renderer, model: Model, shape: Node) -> str:
    by_column = {f.column: f for f in model.scalars}
    if shape[0] == "count_select":
        _, _, window, counted = shape
        source, conditions, ordering = renderer.source(model, "t0", window)
        pairs = [f"'{name}', {ref('c', ('count', column))}" for name, column in counted]
        return (
            f"SELECT {build_object(pairs)}::text FROM (SELECT t0.* FROM {source} "
            f"WHERE {' AND '.join(conditions) or 'TRUE'} ORDER BY {ordering}{renderer.limits(window)}) c"
        )
    _, _, by, aggregates, where, having, order, take, skip = shape
    pairs = [f"'{name}', {json_value(by_column[column], f'g.{column}')}" for name, column in by]
    for key, entries in aggregates:
        inner = [
            f"'{name}', {_aggregate_value(by_column.get(column), function, ref('g', (function, column)))}"
            for name, function, column in entries
        ]
        pairs.append(f"'{key}', {build_object(inner)}")
    terms = [(f"g.{column}", direction, nulls) for column, direction, nulls in order]
    terms += [(f"g.{column}", "asc", None) for _, column in by if all(t[0] != f"g.{column}" for t in terms)]
    condition = renderer.condition(where, model, "g")
    sql = (
        f"SELECT {build_object(pairs)}::text FROM {model.table} g WHERE {condition} "
        f"GROUP BY {', '.join(f'g.{column}' for _, column in by)}"
    )
    if having != ("and", ()):
        sql += f" HAVING {renderer.condition(having, model, 'g')}"
    sql += f" ORDER BY {renderer.order_sql(terms)}"
    return (
        sql
        + (f" LIMIT ${take}" if take is not None else "")
        + (f" OFFSET ${skip}" if skip is not None else "")
    )


# -- results -----------------------------------------------------------------------------------


@cache
def _adapter(model: type[BaseModel], name: str, average: bool) -> TypeAdapter[Any]:
    """Validates a field's value as the model declares it (an average of integers: a float)."""
    annotation: Any = model.model_fields[name].annotation
    if average and annotation in (int, int | None):
        annotation = float | None
    return TypeAdapter(annotation)


def decode_group(model: type[BaseModel], text: str) -> dict[str, Any]:
    """One group_by row (JSON text) with its values as the model's field types."""
    row: dict[str, Any] = json.loads(text)
    for key, value in row.items():
        if key.startswith("_"):
            if key == "_count" or not isinstance(value, dict):
                continue
            average = key == "_avg"
            for name, item in value.items():
                value[name] = _adapter(model, name, average).validate_python(item)
        else:
            row[key] = _adapter(model, key, False).validate_python(value)
    return row
