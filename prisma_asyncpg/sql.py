"""Query shapes -> SQL text (the second half of compilation); one statement per query, whatever
the include tree: each included relation is a correlated subquery aggregating JSON, and every row
comes back as one JSON document that the Pydantic model parses in a single pass.
"""

from __future__ import annotations

from typing import Any

from prisma_asyncpg.query import Node
from prisma_asyncpg.schema import Field, Model, Relation, Schema

# json_build_object takes at most 100 arguments: wider objects are built in chunks joined as jsonb.
_PAIRS_PER_CALL = 50
_UTC_TEXT = """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'"""
_CMP_TEXT = {"contains": "strpos({c}, {p}) > 0", "startswith": "starts_with({c}, {p})"}


def value_expression(field: Field, value: str) -> str:
    """The JSON-ready expression of one (non-list) value: exact decimals, UTC timestamps, base64."""
    if field.type == "Decimal":
        return f"{value}::text"
    if field.type == "DateTime":
        if field.native_type == "Timestamptz":
            value = f"({value} AT TIME ZONE 'UTC')"
        # to_char's year has no era: a BC moment gets " BC" after it, which no datetime parses (as
        # Python has no such dates), rather than reading as the same year AD.
        return f"(to_char({value}, {_UTC_TEXT}) || CASE WHEN {value} < '0001-01-01' THEN ' BC' ELSE '' END)"
    if field.type == "Bytes":
        return f"translate(encode({value}, 'base64'), E'\\n', '')"
    return value


def json_value(field: Field, column: str) -> str:
    """The JSON-ready expression of a column; a NULL scalar list reads as [] (as in Prisma)."""
    expression = value_expression(field, "x.v")
    if not field.is_list:
        return value_expression(field, column)
    if expression == "x.v":
        return f"coalesce({column}, '{{}}')"
    return (
        f"(SELECT coalesce(json_agg({expression} ORDER BY x.n), '[]') "
        f"FROM unnest({column}) WITH ORDINALITY AS x(v, n))"
    )


def build_object(pairs: list[str]) -> str:
    """A JSON object of `'key', value` pairs (wide objects are built in chunks joined as jsonb)."""
    chunks = [pairs[i : i + _PAIRS_PER_CALL] for i in range(0, len(pairs), _PAIRS_PER_CALL)]
    if len(chunks) <= 1:
        return f"json_build_object({', '.join(pairs)})"
    return "(" + " || ".join(f"jsonb_build_object({', '.join(chunk)})" for chunk in chunks) + ")"


def ref(alias: str, column: str | tuple[str, str]) -> str:
    """A column of the row `alias`, or an aggregate of it: `("avg", column)` -> avg(alias.column)."""
    if isinstance(column, tuple):
        function, name = column
        return f"{function}(*)" if name == "*" else f"{function}({alias}.{name})"
    return f"{alias}.{column}"


class Renderer:
    """Renders one query shape; `aliases` numbers the table aliases of nested subqueries."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.aliases = 0

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    # -- conditions ----------------------------------------------------------------------------

    def condition(self, node: Node, model: Model, alias: str) -> str:
        kind = node[0]
        if kind == "and":
            parts = [self.condition(part, model, alias) for part in node[1]]
            return "(" + " AND ".join(parts) + ")" if parts else "TRUE"
        if kind == "or":
            parts = [self.condition(part, model, alias) for part in node[1]]
            return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
        if kind == "not":
            return f"NOT coalesce({self.condition(node[1], model, alias)}, FALSE)"
        if kind == "null":
            return f"{ref(alias, node[1])} IS {'' if node[2] else 'NOT '}NULL"
        if kind == "cmp":
            _, column, operator, index, cast = node
            left, right = ref(alias, column), f"${index}"
            if cast == "ci":
                left, right = f"lower({left})", f"lower({right})"
            elif cast == "json":
                left, right = f"{left}::jsonb", f"{right}::jsonb"
            return f"{left} {operator} {right}"
        if kind == "any":
            _, column, index, negate, insensitive = node
            left, right = ref(alias, column), f"${index}"
            if insensitive:
                left, right = f"lower({left})", f"ANY(SELECT lower(x) FROM unnest({right}::text[]) AS x)"
            else:
                right = f"ANY({right})"
            return f"{'NOT ' if negate else ''}coalesce({left} = {right}, FALSE)"
        if kind == "match":
            _, column, operator, index, insensitive = node
            left, right = ref(alias, column), f"${index}::text"
            if insensitive:
                left, right = f"lower({left})", f"lower({right})"
            if operator == "endswith":
                return f"right({left}, length({right})) = {right}"
            return _CMP_TEXT[operator].format(c=left, p=right)
        if kind == "has":
            return f"${node[2]} = ANY({ref(alias, node[1])})"
        if kind == "has_every":
            return f"{ref(alias, node[1])} @> ${node[2]}"
        if kind == "has_some":
            return f"{ref(alias, node[1])} && ${node[2]}"
        if kind == "is_empty":
            return f"coalesce(cardinality({ref(alias, node[1])}), 0) {'=' if node[2] else '>'} 0"
        if kind == "rel":
            return self.relation_condition(node, alias)
        raise ValueError(f"unknown condition node {kind!r}")

    def relation_condition(self, node: Node, alias: str) -> str:
        _, mode, (model_name, field_name), inner = node
        model = self.schema.model(model_name)
        relation = model.relations[field_name]
        target = self.schema.model(relation.target)
        other = self.alias()
        link = self.link(relation, model, alias, target, other)
        if mode == "every":
            condition = f"NOT coalesce({self.condition(inner, target, other)}, FALSE)"
            return f"NOT EXISTS (SELECT 1 FROM {target.table} {other} WHERE {link} AND {condition})"
        condition = self.condition(inner, target, other)
        exists = f"EXISTS (SELECT 1 FROM {target.table} {other} WHERE {link} AND {condition})"
        return f"NOT {exists}" if mode in ("none", "is_not") else exists

    def link(self, relation: Relation, model: Model, alias: str, target: Model, other: str) -> str:
        """The condition tying rows `other` of the target to the row `alias` of the model."""
        if relation.kind == "many_to_many":
            local = model.fields[model.primary_key[0]].column
            remote = target.fields[target.primary_key[0]].column
            return (
                f"EXISTS (SELECT 1 FROM {relation.join_table} j "
                f"WHERE j.{relation.self_column} = {alias}.{local} "
                f"AND j.{relation.other_column} = {other}.{remote})"
            )
        return " AND ".join(f"{other}.{remote} = {alias}.{local}" for local, remote in relation.pairs)

    # -- selection -----------------------------------------------------------------------------

    def json_object(self, selection: Node, alias: str) -> str:
        _, model_name, includes, fields = selection
        model = self.schema.model(model_name)
        scalars = model.scalars if fields is None else [model.fields[name] for name in fields]
        pairs = [f"'{f.name}', {json_value(f, f'{alias}.{f.column}')}" for f in scalars]
        for name, kind, child, window in includes:
            relation = model.relations[name]
            target = self.schema.model(relation.target)
            other = self.alias()
            link = self.link(relation, model, alias, target, other)
            if kind == "one":
                row = self.json_object(child, other)
                value = f"(SELECT {row} FROM {target.table} {other} WHERE {link} LIMIT 1)"
            else:
                value = self.json_list(target, other, link, child, window)
            pairs.append(f"'{name}', {value}")
        return build_object(pairs)

    def json_list(self, target: Model, alias: str, link: str, child: Node, window: Node) -> str:
        source, conditions, ordering = self.source(target, alias, window)
        conditions.insert(0, link)
        tail = self.limits(window)
        where = " AND ".join(conditions)
        if not tail and source.endswith(f" {alias}") and not source.startswith("("):
            # No take/skip/distinct: aggregate the rows directly, in order.
            row = self.json_object(child, alias)
            return f"(SELECT coalesce(json_agg({row} ORDER BY {ordering}), '[]') FROM {source} WHERE {where})"
        rows = (
            f"SELECT {self.json_object(child, alias)} AS j, row_number() OVER (ORDER BY {ordering}) AS n "
            f"FROM {source} WHERE {' AND '.join(conditions) or 'TRUE'} ORDER BY {ordering}{tail}"
        )
        return f"(SELECT coalesce(json_agg(s.j ORDER BY s.n), '[]') FROM ({rows}) s)"

    def order_terms(self, model: Model, alias: str, order: tuple[Node, ...]) -> list[tuple[str, str, Any]]:
        """(expression, direction, nulls) of each order key, the primary key appended as tie-breaker."""
        terms = [
            (self.order_expression(model, alias, path, column), direction, nulls)
            for path, column, direction, nulls in order
        ]
        for name in model.primary_key:
            expression = f"{alias}.{model.fields[name].column}"
            if all(term[0] != expression for term in terms):
                terms.append((expression, "asc", None))
        return terms

    def order_expression(self, model: Model, alias: str, path: tuple[str, ...], column: str) -> str:
        if not path:
            return f"{alias}.{column}"
        relation = model.relations[path[0]]
        target = self.schema.model(relation.target)
        other = self.alias()
        link = self.link(relation, model, alias, target, other)
        inner = self.order_expression(target, other, path[1:], column)
        return f"(SELECT {inner} FROM {target.table} {other} WHERE {link} LIMIT 1)"

    @staticmethod
    def order_sql(terms: list[tuple[str, str, Any]]) -> str:
        parts = []
        for expression, direction, nulls in terms:
            part = f"{expression} {direction.upper()}"
            if nulls in ("first", "last"):
                part += f" NULLS {nulls.upper()}"
            parts.append(part)
        return ", ".join(parts)

    def source(self, model: Model, alias: str, window: Node) -> tuple[str, list[str], str]:
        """FROM clause, conditions and ORDER BY of a list window (where, order, cursor, distinct)."""
        where, order, _take, _skip, cursor, distinct = window
        terms = self.order_terms(model, alias, order)
        conditions: list[str] = []
        if distinct:
            inner = self.alias()
            inner_terms = self.order_terms(model, inner, order)
            keys = ", ".join(f"{inner}.{column}" for column in distinct)
            source = (
                f"(SELECT DISTINCT ON ({keys}) {inner}.* FROM {model.table} {inner} "
                f"WHERE {self.condition(where, model, inner)} "
                f"ORDER BY {keys}, {self.order_sql(inner_terms)}) {alias}"
            )
        else:
            source = f"{model.table} {alias}"
            conditions.append(self.condition(where, model, alias))
        if cursor is not None:
            conditions.append(self.cursor_condition(model, alias, cursor, order))
        return source, conditions, self.order_sql(terms)

    def cursor_condition(self, model: Model, alias: str, cursor: Node, order: tuple[Node, ...]) -> str:
        """Rows at or after the cursor row in the order (a lexicographic comparison)."""
        at = self.alias()
        terms = self.order_terms(model, alias, order)
        cursor_terms = self.order_terms(model, at, order)
        where = self.condition(cursor, model, at)
        values = [
            f"(SELECT {expression} FROM {model.table} {at} WHERE {where})"
            for expression, _, _ in cursor_terms
        ]
        alternatives = []
        for i, (expression, direction, _) in enumerate(terms):
            equal = [f"{terms[j][0]} = {values[j]}" for j in range(i)]
            operator = ">" if direction == "asc" else "<"
            alternatives.append(" AND ".join([*equal, f"{expression} {operator} {values[i]}"]))
        alternatives.append(
            " AND ".join(f"{expression} = {values[i]}" for i, (expression, _, _) in enumerate(terms))
        )
        return "(" + " OR ".join(f"({alternative})" for alternative in alternatives) + ")"

    @staticmethod
    def limits(window: Node) -> str:
        take, skip = window[2], window[3]
        return (f" LIMIT ${take}" if take is not None else "") + (
            f" OFFSET ${skip}" if skip is not None else ""
        )

    # -- statements ----------------------------------------------------------------------------

    def document(self, selection: Node, alias: str) -> str:
        """A result row as JSON text: text whatever JSON codec the caller's pool registered."""
        return f"{self.json_object(selection, alias)}::text"

    def render(self, shape: Node) -> str:
        kind = shape[0]
        model = self.schema.model(shape[1])
        if kind == "find":
            _, _, selection, window, ordered = shape
            source, conditions, ordering = self.source(model, "t0", window)
            columns = "t0.*" if selection is None else self.document(selection, "t0")
            order_by = f" ORDER BY {ordering}" if ordered else ""
            return (
                f"SELECT {columns} FROM {source} WHERE {' AND '.join(conditions) or 'TRUE'}"
                f"{order_by}{self.limits(window)}"
            )
        if kind in ("count_select", "group_by"):
            from prisma_asyncpg.aggregate import render_aggregate

            return render_aggregate(self, model, shape)
        if kind == "count":
            window = shape[2]
            source, conditions, ordering = self.source(model, "t0", window)
            return (
                f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {' AND '.join(conditions) or 'TRUE'} "
                f"ORDER BY {ordering}{self.limits(window)}) c"
            )
        if kind == "insert":
            _, _, columns, selection = shape
            if columns:
                values = ", ".join(f"${i + 1}" for i in range(len(columns)))
                insert = f"INSERT INTO {model.table} ({', '.join(columns)}) VALUES ({values})"
            else:
                insert = f"INSERT INTO {model.table} DEFAULT VALUES"
            if selection is None:
                return f"{insert} RETURNING *"
            return f"WITH t0 AS ({insert} RETURNING *) SELECT {self.document(selection, 't0')} FROM t0"
        if kind == "upsert":
            _, _, columns, keys, sets, selection = shape
            values = ", ".join(f"${i + 1}" for i in range(len(columns)))
            # With nothing to update, a no-op assignment still locks and returns the existing row.
            assignments = self.assignments(sets) if sets else f"{keys[0]} = u.{keys[0]}"
            upsert = (
                f"INSERT INTO {model.table} AS u ({', '.join(columns)}) VALUES ({values}) "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {assignments}"
            )
            return f"WITH t0 AS ({upsert} RETURNING u.*) SELECT {self.document(selection, 't0')} FROM t0"
        if kind == "insert_many":
            _, _, columns, pattern, skip_duplicates = shape
            rows = ", ".join(
                "(" + ", ".join("DEFAULT" if index is None else f"${index}" for index in row) + ")"
                for row in pattern
            )
            conflict = " ON CONFLICT DO NOTHING" if skip_duplicates else ""
            return f"INSERT INTO {model.table} ({', '.join(columns)}) VALUES {rows}{conflict}"
        if kind == "update":
            _, _, sets, where, selection = shape
            condition = self.condition(where, model, "u")
            update = f"UPDATE {model.table} u SET {self.assignments(sets)} WHERE {condition}"
            return f"WITH t0 AS ({update} RETURNING u.*) SELECT {self.document(selection, 't0')} FROM t0"
        if kind == "update_many":
            _, _, sets, where = shape
            condition = self.condition(where, model, "u")
            return f"UPDATE {model.table} u SET {self.assignments(sets)} WHERE {condition}"
        if kind == "delete":
            _, _, where, selection = shape
            delete = f"DELETE FROM {model.table} u WHERE {self.condition(where, model, 'u')}"
            return f"WITH t0 AS ({delete} RETURNING u.*) SELECT {self.document(selection, 't0')} FROM t0"
        if kind == "delete_many":
            return f"DELETE FROM {model.table} u WHERE {self.condition(shape[2], model, 'u')}"
        raise ValueError(f"unknown statement {kind!r}")

    @staticmethod
    def assignments(sets: tuple[Node, ...]) -> str:
        operators = {"increment": "+", "decrement": "-", "multiply": "*", "divide": "/", "push": "||"}
        parts = []
        for column, operation, index in sets:
            if operation == "set":
                parts.append(f"{column} = ${index}")
            elif operation == "push":
                parts.append(f"{column} = coalesce(u.{column}, '{{}}') || ${index}")
            else:
                parts.append(f"{column} = u.{column} {operators[operation]} ${index}")
        return ", ".join(parts)


def render(schema: Schema, shape: Node) -> str:
    return Renderer(schema).render(shape)
