"""The generated package's `types.py`: the input TypedDicts of every model, as Prisma Client Python
names them (filters, create/update inputs, nested writes, include, order, aggregates)."""

from __future__ import annotations

from typing import Any

from prisma_asyncpg.generator.common import INDENT, NUMBERS, ORDERED, SCALARS, header, typed_dict


class TypesRenderer:
    """Mixin of PackageRenderer: renders types.py."""

    enums: list[dict[str, Any]]
    models: list[dict[str, Any]]
    schema_file: str

    def base_type(self, field: dict[str, Any], *, model_side: bool) -> str:
        raise NotImplementedError

    def fk_fields(self, model: dict[str, Any]) -> set[str]:
        raise NotImplementedError

    def data_model(self, name: str) -> dict[str, Any]:
        raise NotImplementedError

    def types_module(self) -> str:
        blocks = [
            f"{e['name']}Filter = TypedDict(\n{INDENT}{e['name'] + 'Filter'!r},\n{INDENT}{{\n"
            f"{INDENT * 2}'equals': Optional[enums.{e['name']}],\n"
            f"{INDENT * 2}'not': Union[enums.{e['name']}, None, '{e['name']}Filter'],\n"
            f"{INDENT * 2}'in': List[enums.{e['name']}],\n"
            f"{INDENT * 2}'not_in': List[enums.{e['name']}],\n"
            f"{INDENT}}},\n{INDENT}total=False,\n)"
            for e in self.enums
        ]
        for model in self.models:
            blocks += self.model_types(model)
        return (
            header(
                self.schema_file,
                "The input types of the queries (TypedDicts), as Prisma Client Python names them.",
            )
            + "import datetime\nimport decimal\n"
            + "from typing import (\n"
            + f"{INDENT}TYPE_CHECKING,\n{INDENT}Any,\n{INDENT}List,\n{INDENT}Literal,\n{INDENT}NotRequired,\n"
            + f"{INDENT}Optional,\n{INDENT}TypedDict,\n{INDENT}Union,\n)\n\n"
            + "from prisma_asyncpg.types import (\n"
            + "".join(
                f"{INDENT}{n} as {n},\n"
                for n in [
                    "AtomicInput",
                    "BigIntFilter",
                    "BooleanFilter",
                    "BytesFilter",
                    "DateTimeFilter",
                    "DecimalFilter",
                    "FloatFilter",
                    "IntFilter",
                    "JsonFilter",
                    "ListFilter",
                    "ListUpdate",
                    "SortOrder",
                    "SortOrderInput",
                    "StringFilter",
                ]
            )
            + ")\n\n"
            + "from . import enums, fields\n\n\n"
            + "\n\n\n".join(blocks)
            + self.lazy_aggregates()
        )

    def aggregate_names(self) -> list[str]:
        """The names aggregates.py defines (types.py re-exports them, loading the module lazily)."""
        kinds = ["Count", "Avg", "Sum", "Min", "Max"]
        names = [f"{e['name']}WithAggregatesFilter" for e in self.enums]
        for model in self.models:
            n = model["name"]
            names += [f"{n}{kind}AggregateInput" for kind in kinds]
            names += [f"{n}{kind}AggregateOutput" for kind in kinds]
            names += [f"{n}ScalarWhereWithAggregatesInput", f"{n}GroupByOutput"]
        return names

    def lazy_aggregates(self) -> str:
        """The end of types.py: the aggregate types, imported from aggregates.py on first use."""
        names = self.aggregate_names()
        return (
            "\n\n\n# count(select=...) and group_by's types live in .aggregates, imported on first use:\n"
            "# they are a third of the types, and most programs never use them.\n"
            "if TYPE_CHECKING:\n"
            f"{INDENT}from .aggregates import (\n"
            + "".join(f"{INDENT * 2}{name} as {name},\n" for name in names)
            + f"{INDENT})\nelse:\n"
            f"{INDENT}_AGGREGATES = frozenset(\n{INDENT * 2}[\n"
            + "".join(f"{INDENT * 3}{name!r},\n" for name in names)
            + f"{INDENT * 2}]\n{INDENT})\n\n"
            f"{INDENT}def __getattr__(name: str) -> Any:\n"
            f"{INDENT * 2}if name in _AGGREGATES:\n"
            f"{INDENT * 3}from . import aggregates\n\n"
            f"{INDENT * 3}return getattr(aggregates, name)\n"
            f"{INDENT * 2}raise AttributeError(f'module {{__name__!r}} has no attribute {{name!r}}')\n"
        )

    def aggregates_module(self) -> str:
        blocks = [
            f"class {e['name']}WithAggregatesFilter({e['name']}Filter, total=False):\n"
            f"{INDENT}_count: IntFilter\n{INDENT}_min: {e['name']}Filter\n{INDENT}_max: {e['name']}Filter"
            for e in self.enums
        ]
        for model in self.models:
            scalars = [f for f in model["fields"] if f["kind"] != "object"]
            blocks += self.aggregate_types(model["name"], scalars)
        filters = sorted({SCALARS[t][2] for t in SCALARS} | {"IntFilter"})
        imported = sorted(
            [*filters, *(name.replace("Filter", "WithAggregatesFilter") for name in filters), "ListFilter"]
        )
        enum_filters = "".join(f"{INDENT}{e['name']}Filter as {e['name']}Filter,\n" for e in self.enums)
        return (
            header(self.schema_file, "The types of count(select=...) and group_by (TypedDicts).")
            + "import datetime\nimport decimal\n"
            + "from typing import Any, List, Optional, TypedDict, Union\n\n"
            + "from prisma_asyncpg.types import (\n"
            + "".join(f"{INDENT}{n} as {n},\n" for n in dict.fromkeys(imported))
            + ")\n\n"
            + "from . import enums, fields\n"
            + (f"from .types import (\n{enum_filters})\n" if enum_filters else "")
            + "\n\n"
            + "\n\n\n".join(blocks)
            + "\n"
        )

    def filter_type(self, field: dict[str, Any]) -> str:
        base = self.base_type(field, model_side=False)
        if field["isList"]:
            return f"ListFilter[{base}]"
        kind = f"{field['type']}Filter" if field["kind"] == "enum" else SCALARS[field["type"]][2]
        if field["isRequired"]:
            return f"Union[{base}, {kind}]"
        return f"Union[{base}, None, {kind}]"

    def update_type(self, field: dict[str, Any]) -> str:
        base = self.base_type(field, model_side=False)
        if field["isList"]:
            value = f"Union[List[{base}], ListUpdate[{base}]]"
        elif field["type"] in NUMBERS:
            value = f"Union[{base}, AtomicInput[{base}]]"
        else:
            value = base
        return value if field["isRequired"] else f"Optional[{value}]"

    def create_type(self, field: dict[str, Any], fks: set[str]) -> str:
        base = self.base_type(field, model_side=False)
        value = f"List[{base}]" if field["isList"] else base
        if not field["isRequired"]:
            value = f"Optional[{value}]"
        optional = (
            not field["isRequired"]
            or field["isList"]
            or field.get("hasDefaultValue")
            or field.get("isUpdatedAt")
            or field["name"] in fks
        )
        return f"NotRequired[{value}]" if optional else value

    def model_types(self, model: dict[str, Any]) -> list[str]:
        n = model["name"]
        scalars = [f for f in model["fields"] if f["kind"] != "object"]
        relations = [f for f in model["fields"] if f["kind"] == "object"]
        fks = self.fk_fields(model)
        q = repr
        where = [(f["name"], self.filter_type(f)) for f in scalars]
        for f in relations:
            kind = "ListRelationFilter" if f["isList"] else "RelationFilter"
            where.append((f["name"], q(f"{f['type']}{kind}")))
        where += [(key, f"List['{n}WhereInput']") for key in ("AND", "OR", "NOT")]
        blocks = [typed_dict(f"{n}WhereInput", where, total=False)]
        blocks.append(
            typed_dict(
                f"{n}RelationFilter",
                [("is", f"Optional['{n}WhereInput']"), ("is_not", f"Optional['{n}WhereInput']")],
                total=False,
            )
        )
        blocks.append(
            typed_dict(
                f"{n}ListRelationFilter",
                [(k, q(f"{n}WhereInput")) for k in ("some", "every", "none")],
                total=False,
            )
        )
        unique = [
            (f["name"], self.base_type(f, model_side=False)) for f in scalars if f["isId"] or f["isUnique"]
        ]
        compounds = self.data_model(n)["compound_keys"]
        for key, names in compounds.items():
            inner = f"{n}_{key}_CompoundKey"
            fields_by_name = {f["name"]: f for f in scalars}
            blocks.append(
                typed_dict(inner, [(m, self.base_type(fields_by_name[m], model_side=False)) for m in names])
            )
            unique.append((key, inner))
        blocks.append(typed_dict(f"{n}WhereUniqueInput", unique, total=False))
        plain_create = [(f["name"], self.create_type(f, fks)) for f in scalars]
        blocks.append(typed_dict(f"{n}CreateWithoutRelationsInput", plain_create))
        create = list(plain_create)
        for f in relations:
            kind = "CreateManyNestedInput" if f["isList"] else "CreateOneNestedInput"
            create.append((f["name"], f"NotRequired['{f['type']}{kind}']"))
        blocks.append(typed_dict(f"{n}CreateInput", create))
        # Own types defined above are named without quotes: a quoted name is a ForwardRef, which
        # Python compiles when the module is imported.
        unique_ref, create_ref, coc_ref = (
            f"{n}WhereUniqueInput",
            f"{n}CreateWithoutRelationsInput",
            f"{n}ConnectOrCreateInput",
        )
        blocks.append(typed_dict(coc_ref, [("where", unique_ref), ("create", create_ref)]))
        one = [("create", create_ref), ("connect", unique_ref), ("connect_or_create", coc_ref)]
        many = [
            ("create", f"Union[{create_ref}, List[{create_ref}]]"),
            ("connect", f"Union[{unique_ref}, List[{unique_ref}]]"),
            ("connect_or_create", f"Union[{coc_ref}, List[{coc_ref}]]"),
        ]
        blocks.append(typed_dict(f"{n}CreateOneNestedInput", one, total=False))
        blocks.append(typed_dict(f"{n}CreateManyNestedInput", many, total=False))
        plain_update = [(f["name"], self.update_type(f)) for f in scalars]
        blocks.append(typed_dict(f"{n}UpdateManyMutationInput", plain_update, total=False))
        update = list(plain_update)
        for f in relations:
            kind = "UpdateManyNestedInput" if f["isList"] else "UpdateOneNestedInput"
            update.append((f["name"], q(f"{f['type']}{kind}")))
        blocks.append(typed_dict(f"{n}UpdateInput", update, total=False))
        blocks.append(
            typed_dict(f"{n}UpsertInput", [("create", q(f"{n}CreateInput")), ("update", f"{n}UpdateInput")])
        )
        blocks += self.nested_update_types(n, one, many)
        include = []
        for f in relations:
            args = "FindManyArgs" if f["isList"] else "IncludeArgs"
            include.append((f["name"], f"Union[bool, '{f['type']}{args}']"))
        blocks.append(typed_dict(f"{n}Include", include, total=False))
        blocks.append(typed_dict(f"{n}IncludeArgs", [("include", q(f"{n}Include"))], total=False))
        blocks.append(
            typed_dict(
                f"{n}FindManyArgs",
                [
                    ("where", q(f"{n}WhereInput")),
                    ("order_by", f"Union['{n}OrderByInput', List['{n}OrderByInput']]"),
                    ("take", "int"),
                    ("skip", "int"),
                    ("cursor", unique_ref),
                    ("include", q(f"{n}Include")),
                    ("distinct", f"List['{n}ScalarFieldKeys']"),
                ],
                total=False,
            )
        )
        order = [(f["name"], "Union[SortOrder, SortOrderInput]") for f in scalars]
        order += [(f["name"], q(f"{f['type']}OrderByInput")) for f in relations if not f["isList"]]
        blocks.append(typed_dict(f"{n}OrderByInput", order, total=False))
        keys = ", ".join(repr(f["name"]) for f in scalars)
        blocks.append(f"{n}ScalarFieldKeys = Literal[{keys}]")
        return blocks

    def nested_update_types(
        self, n: str, one: list[tuple[str, str]], many: list[tuple[str, str]]
    ) -> list[str]:
        """The relation writes of `update`: connect/create/... plus nested changes of the related
        records (an update's data is a full UpdateInput, so it can nest further; a created record is
        CreateWithoutRelationsInput, as in `create`)."""
        unique, create, update, where = (
            f"{n}WhereUniqueInput",
            f"{n}CreateWithoutRelationsInput",
            f"{n}UpdateInput",
            f"{n}WhereInput",
        )
        update_one, update_many, upsert_one = (
            f"{n}UpdateWithWhereUniqueInput",
            f"{n}UpdateManyWithWhereInput",
            f"{n}UpsertWithWhereUniqueInput",
        )
        return [
            typed_dict(f"{n}NestedUpsertInput", [("create", create), ("update", update)]),
            typed_dict(update_one, [("where", unique), ("data", update)]),
            typed_dict(update_many, [("where", where), ("data", f"{n}UpdateManyMutationInput")]),
            typed_dict(upsert_one, [("where", unique), ("create", create), ("update", update)]),
            typed_dict(
                f"{n}UpdateOneNestedInput",
                [
                    *one,
                    ("disconnect", "bool"),
                    ("delete", "bool"),
                    ("update", update),
                    ("upsert", f"{n}NestedUpsertInput"),
                ],
                total=False,
            ),
            typed_dict(
                f"{n}UpdateManyNestedInput",
                [
                    *many,
                    ("disconnect", f"Union[{unique}, List[{unique}]]"),
                    ("set", f"List[{unique}]"),
                    ("delete", f"Union[{unique}, List[{unique}]]"),
                    ("update", f"Union[{update_one}, List[{update_one}]]"),
                    ("update_many", f"Union[{update_many}, List[{update_many}]]"),
                    ("upsert", f"Union[{upsert_one}, List[{upsert_one}]]"),
                    ("delete_many", f"Union[{where}, List[{where}]]"),
                ],
                total=False,
            ),
        ]

    def aggregate_types(self, n: str, scalars: list[dict[str, Any]]) -> list[str]:
        """count(select=...) and group_by's inputs and outputs."""
        numbers = [f for f in scalars if f["type"] in NUMBERS and not f["isList"]]
        ordered = [f for f in scalars if not f["isList"] and (f["kind"] == "enum" or f["type"] in ORDERED)]
        flags = [("_all", "bool")] + [(f["name"], "bool") for f in scalars]
        blocks = [
            typed_dict(f"{n}CountAggregateInput", flags, total=False),
            typed_dict(f"{n}CountAggregateOutput", [(k, "int") for k, _ in flags], total=False),
        ]
        for kind, fields in (("Avg", numbers), ("Sum", numbers), ("Min", ordered), ("Max", ordered)):
            blocks.append(
                typed_dict(f"{n}{kind}AggregateInput", [(f["name"], "bool") for f in fields], total=False)
            )
            outputs = []
            for f in fields:
                value = self.base_type(f, model_side=True)
                if kind == "Avg" and f["type"] != "Decimal":
                    value = "float"
                outputs.append((f["name"], f"Optional[{value}]"))
            blocks.append(typed_dict(f"{n}{kind}AggregateOutput", outputs, total=False))
        having = [(f["name"], self.having_type(f)) for f in scalars]
        having += [(key, f"List['{n}ScalarWhereWithAggregatesInput']") for key in ("AND", "OR", "NOT")]
        blocks.append(typed_dict(f"{n}ScalarWhereWithAggregatesInput", having, total=False))
        output = []
        for f in scalars:
            value = self.base_type(f, model_side=True)
            value = f"List[{value}]" if f["isList"] else value
            output.append((f["name"], value if f["isRequired"] else f"Optional[{value}]"))
        output += [(f"_{kind.lower()}", f"{n}{kind}AggregateOutput") for kind in ("Sum", "Avg", "Min", "Max")]
        output.append(("_count", f"{n}CountAggregateOutput"))
        blocks.append(typed_dict(f"{n}GroupByOutput", output, total=False))
        return blocks

    def having_type(self, field: dict[str, Any]) -> str:
        """A field's filter in group_by's `having` (with its aggregates' filters)."""
        if field["isList"]:
            return self.filter_type(field)
        base = self.base_type(field, model_side=False)
        if field["kind"] == "enum":
            kind = f"{field['type']}WithAggregatesFilter"
        else:
            kind = SCALARS[field["type"]][2].replace("Filter", "WithAggregatesFilter")
        return f"Union[{base}, {kind}]" if field["isRequired"] else f"Union[{base}, None, {kind}]"
