"""Selecting fields with a model class (Prisma Client Python's "Selecting Fields"): a class deriving
from a generated `prisma.bases.Base<Model>` (or a partial type) names the fields a query reads.

Its scalar fields are the columns selected; a relation field without a default is always fetched
(with the fields of its own class); one with a default only when the query includes it. The class
is turned once into a projection; each query merges it into its `include` under the FIELDS key,
which the analyzer reads (query.py), so the statement cache keys on the selected fields too.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from prisma_asyncpg.errors import InputError
from prisma_asyncpg.schema import Model, Schema

# The key, in an include mapping, of the scalar fields to select (never a Prisma field name).
FIELDS = "__fields__"


@dataclass(frozen=True)
class Projection:
    """What a model class selects of one schema model."""

    fields: tuple[str, ...]
    # Relation name -> (the projection of its class, whether it is always fetched).
    relations: Mapping[str, tuple[Projection | None, bool]]


def _model_class(annotation: Any) -> type[BaseModel] | None:
    """The pydantic class in `X`, `X | None`, `Optional[X]`, `list[X]`, `List[X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _model_class(argument)
            if found is not None:
                return found
    return None


class Projections:
    """The projections of the classes used so far (built once per class)."""

    def __init__(self, schema: Schema, models: Mapping[str, type[BaseModel]]) -> None:
        self.schema = schema
        self.models = models
        self._built: dict[tuple[type[BaseModel], str], Projection | None] = {}

    def of(self, cls: type[BaseModel], model: Model) -> Projection | None:
        """None when `cls` is the generated model itself (every field, no forced relation)."""
        key = (cls, model.name)
        if key not in self._built:
            self._built[key] = self._build(cls, model)
        return self._built[key]

    def _build(self, cls: type[BaseModel], model: Model) -> Projection | None:
        if cls is self.models.get(model.name):
            return None
        fields: list[str] = []
        relations: dict[str, tuple[Projection | None, bool]] = {}
        for name, info in cls.model_fields.items():
            field = model.fields.get(name)
            if field is None:
                raise InputError(f"{cls.__name__}.{name} is not a field of {model.name}")
            if not field.is_relation:
                fields.append(name)
                continue
            nested = _model_class(info.annotation)
            target = self.schema.model(field.type)
            relations[name] = (
                None if nested is None else self.of(nested, target),
                info.is_required(),
            )
        return Projection(tuple(fields), relations)

    def include(self, projection: Projection | None, include: Mapping[str, Any] | None) -> Any:
        """The query's `include` with the projection merged in (relations it forces, fields)."""
        if projection is None:
            return include
        merged: dict[str, Any] = {FIELDS: projection.fields}
        for name, spec in (include or {}).items():
            if name not in projection.relations and spec:
                raise InputError(f"'{name}' cannot be included: the selected model has no such field")
        for name, (nested, always) in projection.relations.items():
            spec = (include or {}).get(name)
            if not spec and not always:
                continue
            args: dict[str, Any] = dict(spec) if isinstance(spec, Mapping) else {}
            if nested is not None:
                args["include"] = self.include(nested, args.get("include"))
            merged[name] = args or True
        return merged
