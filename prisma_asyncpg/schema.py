"""The schema a generated client describes: models, fields, relations, as the compiler needs them.

The generator reduces Prisma's DMMF to plain JSON (`schema_data`); the generated package holds that
JSON and the runtime rebuilds these objects from it once, at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from prisma_asyncpg.errors import FieldNotFoundError

DefaultKind = Literal["autoincrement", "cuid", "uuid", "now", "dbgenerated", "value"]
RelationKind = Literal["fk_here", "fk_there", "many_to_many"]


def quote(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(slots=True)
class Field:
    name: str
    db_name: str
    kind: Literal["scalar", "enum", "object"]
    type: str
    is_list: bool
    is_required: bool
    is_id: bool = False
    is_unique: bool = False
    is_updated_at: bool = False
    default: DefaultKind | None = None
    native_type: str | None = None
    relation_name: str | None = None
    from_fields: tuple[str, ...] = ()
    to_fields: tuple[str, ...] = ()
    column: str = ""  # quoted db_name

    @property
    def is_relation(self) -> bool:
        return self.kind == "object"


@dataclass(slots=True)
class Relation:
    """How rows of `target` relate to a row of the model holding the field.

    fk_here: target.remote = self.local (this model holds the key); fk_there: the target holds it;
    many_to_many: rows of the implicit join table `join_table` link the two primary keys.
    """

    kind: RelationKind
    target: str
    is_list: bool
    pairs: tuple[tuple[str, str], ...] = ()  # (local column, remote column), quoted
    local_fields: tuple[str, ...] = ()
    remote_fields: tuple[str, ...] = ()
    join_table: str = ""
    self_column: str = ""
    other_column: str = ""


@dataclass(slots=True)
class Model:
    name: str
    db_name: str
    fields: dict[str, Field]
    primary_key: tuple[str, ...]  # the @id fields (else the fields of the first unique criterion)
    compound_keys: dict[str, tuple[str, ...]]  # `name_surname` -> ("name", "surname"), incl. a compound id
    table: str = ""
    scalars: tuple[Field, ...] = ()
    relations: dict[str, Relation] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        try:
            return self.fields[name]
        except KeyError:
            raise FieldNotFoundError(f"{self.name} has no field {name!r}") from None


@dataclass(slots=True)
class Enum:
    name: str
    db_name: str
    values: tuple[tuple[str, str], ...]  # (name, database value)


@dataclass(slots=True)
class Schema:
    models: dict[str, Model]
    enums: dict[str, Enum]
    # SQL rendered per query shape, shared by every client of this schema.
    statements: dict[tuple[Any, ...], str] = field(default_factory=dict)
    # find_unique's plans (engine.py): (model, where keys, output class, include) -> (SQL, where fields).
    unique_plans: dict[tuple[Any, ...], tuple[str, tuple[Field, ...]]] = field(default_factory=dict)

    def model(self, name: str) -> Model:
        return self.models[name]

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """The schema of `schema_data(...)`'s JSON, with relations resolved."""
        data = json.loads(text)
        models: dict[str, Model] = {}
        for raw in data["models"]:
            fields = {f["name"]: _field(f) for f in raw["fields"]}
            # A model without @id is identified by its first unique field (or compound unique).
            identity = raw["primary_key"] or next(
                ([f.name] for f in fields.values() if f.is_unique),
                next(iter(raw["compound_keys"].values()), []),
            )
            model = Model(
                name=raw["name"],
                db_name=raw["db_name"],
                fields=fields,
                primary_key=tuple(identity),
                compound_keys={k: tuple(v) for k, v in raw["compound_keys"].items()},
                table=quote(raw["db_name"]),
                scalars=tuple(f for f in fields.values() if not f.is_relation),
            )
            models[model.name] = model
        enums = {
            e["name"]: Enum(e["name"], e["db_name"], tuple(map(tuple, e["values"]))) for e in data["enums"]
        }
        schema = cls(models, enums)
        for model in models.values():
            for f in model.fields.values():
                if f.is_relation:
                    model.relations[f.name] = _relation(schema, model, f)
        return schema


def _field(raw: dict[str, Any]) -> Field:
    return Field(
        name=raw["name"],
        db_name=raw["db_name"],
        kind=raw["kind"],
        type=raw["type"],
        is_list=raw["is_list"],
        is_required=raw["is_required"],
        is_id=raw.get("is_id", False),
        is_unique=raw.get("is_unique", False),
        is_updated_at=raw.get("is_updated_at", False),
        default=raw.get("default"),
        native_type=raw.get("native_type"),
        relation_name=raw.get("relation_name"),
        from_fields=tuple(raw.get("from_fields", ())),
        to_fields=tuple(raw.get("to_fields", ())),
        column=quote(raw["db_name"]),
    )


def _relation(schema: Schema, model: Model, f: Field) -> Relation:
    target = schema.models[f.type]
    if f.from_fields:
        return Relation(
            kind="fk_here",
            target=target.name,
            is_list=False,
            pairs=tuple(
                (model.fields[a].column, target.fields[b].column)
                for a, b in zip(f.from_fields, f.to_fields, strict=True)
            ),
            local_fields=f.from_fields,
            remote_fields=f.to_fields,
        )
    opposite = next(
        o
        for o in target.fields.values()
        if o.relation_name == f.relation_name and o.is_relation and (o is not f)
    )
    if opposite.from_fields:
        return Relation(
            kind="fk_there",
            target=target.name,
            is_list=f.is_list,
            pairs=tuple(
                (model.fields[b].column, target.fields[a].column)
                for a, b in zip(opposite.from_fields, opposite.to_fields, strict=True)
            ),
            local_fields=opposite.to_fields,
            remote_fields=opposite.from_fields,
        )
    # Implicit many-to-many: Prisma's `_<relation>` table, column A for the model named first.
    self_is_a = (model.name, f.name) < (target.name, opposite.name)
    return Relation(
        kind="many_to_many",
        target=target.name,
        is_list=True,
        join_table=quote("_" + (f.relation_name or "")),
        self_column='"A"' if self_is_a else '"B"',
        other_column='"B"' if self_is_a else '"A"',
        local_fields=model.primary_key,
        remote_fields=target.primary_key,
    )


def schema_data(dmmf: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready description of a DMMF's datamodel that `Schema.from_json` reads."""
    datamodel = dmmf["datamodel"]
    models = []
    for model in datamodel["models"]:
        fields = []
        for f in model["fields"]:
            entry: dict[str, Any] = {
                "name": f["name"],
                "db_name": f.get("dbName") or f["name"],
                "kind": f["kind"],
                "type": f["type"],
                "is_list": f["isList"],
                "is_required": f["isRequired"],
            }
            if f["isId"]:
                entry["is_id"] = True
            if f["isUnique"]:
                entry["is_unique"] = True
            if f.get("isUpdatedAt"):
                entry["is_updated_at"] = True
            if f.get("hasDefaultValue"):
                entry["default"] = _default_kind(f.get("default"))
            if f.get("nativeType"):
                entry["native_type"] = f["nativeType"][0]
            if f["kind"] == "object":
                entry["relation_name"] = f.get("relationName")
                entry["from_fields"] = list(f.get("relationFromFields") or [])
                entry["to_fields"] = list(f.get("relationToFields") or [])
            fields.append(entry)
        primary = model.get("primaryKey")
        primary_key = (
            list(primary["fields"]) if primary else [f["name"] for f in model["fields"] if f["isId"]]
        )
        compound: dict[str, list[str]] = {}
        if primary:
            compound[primary.get("name") or "_".join(primary["fields"])] = list(primary["fields"])
        for index in model.get("uniqueIndexes") or []:
            compound[index.get("name") or "_".join(index["fields"])] = list(index["fields"])
        models.append(
            {
                "name": model["name"],
                "db_name": model.get("dbName") or model["name"],
                "primary_key": primary_key,
                "compound_keys": compound,
                "fields": fields,
            }
        )
    enums = [
        {
            "name": enum["name"],
            "db_name": enum.get("dbName") or enum["name"],
            "values": [[v["name"], v.get("dbName") or v["name"]] for v in enum["values"]],
        }
        for enum in datamodel["enums"]
    ]
    return {"models": models, "enums": enums}


def _default_kind(default: Any) -> str:
    if isinstance(default, dict) and default.get("name") in (
        "autoincrement",
        "cuid",
        "uuid",
        "now",
        "dbgenerated",
    ):
        return str(default["name"])
    return "value"
