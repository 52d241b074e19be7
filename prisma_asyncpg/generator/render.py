"""Prisma's `generate` request -> the files of the generated client package (deterministic text).

The package imports its own modules relatively and the runtime (`prisma_asyncpg`) absolutely, so
it works under whatever name the output directory gives it.
"""

from __future__ import annotations

import json
import keyword
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from prisma_asyncpg.client import BasePrisma
from prisma_asyncpg.generator.common import INDENT, MARKER, SCALARS, GeneratorError, header

__all__ = ["MARKER", "GeneratorError", "PackageRenderer", "render_package"]
from prisma_asyncpg.generator.types_module import TypesRenderer
from prisma_asyncpg.schema import schema_data

EXPORTS = [
    "Base64",
    "Batch",
    "Json",
    "Prisma",
    "actions",
    "bases",
    "enums",
    "errors",
    "fields",
    "get_client",
    "models",
    "register",
    "types",
]
# Names models.py imports or defines besides the models.
MODULE_NAMES = {
    "Any",
    "List",
    "Optional",
    "BaseModel",
    "ConfigDict",
    "datetime",
    "decimal",
    "enums",
    "fields",
    "MODELS",
    "TYPE_CHECKING",
    "actions",
    "Prisma",
}
# Field names that would shadow a module or type name models.py's annotations use.
SHADOWING_FIELDS = {"Any", "List", "Optional", "datetime", "decimal", "enums", "fields", "prisma"}


class PackageRenderer(TypesRenderer):
    def __init__(self, params: dict[str, Any]) -> None:
        self.datamodel = params["dmmf"]["datamodel"]
        self.models: list[dict[str, Any]] = self.datamodel["models"]
        self.enums: list[dict[str, Any]] = self.datamodel["enums"]
        self.enum_names = {enum["name"] for enum in self.enums}
        self.by_name = {model["name"]: model for model in self.models}
        self.schema_file = Path(params.get("schemaPath") or "schema.prisma").name
        self.data = schema_data(params["dmmf"])
        datasources = params.get("datasources") or []
        url = (datasources[0].get("url") or {}) if datasources else {}
        self.datasource_env = url.get("fromEnvVar") or "DATABASE_URL"
        self.check_names()

    # -- naming --------------------------------------------------------------------------------

    def check_names(self) -> None:
        reserved = set(dir(BasePrisma)) | {"batch_"}
        class_names = [model["name"] for model in self.models]
        taken = sorted(set(class_names) & MODULE_NAMES)
        if taken:
            raise GeneratorError(f"model names clash with names models.py uses: {', '.join(taken)}")
        generated = [f"{name}{suffix}" for name in class_names for suffix in ("Actions", "BatchActions")]
        if len(set(generated)) != len(generated):
            raise GeneratorError("two models give the same <Model>Actions/<Model>BatchActions class name")
        for model in self.models:
            accessor = model["name"].lower()
            if accessor in reserved or keyword.iskeyword(accessor) or not accessor.isidentifier():
                raise GeneratorError(f"model {model['name']}: accessor {accessor!r} is not usable")
            for field in model["fields"]:
                name = field["name"]
                unusable = keyword.iskeyword(name) or hasattr(BaseModel, name) or name in SHADOWING_FIELDS
                if unusable or name.startswith("_"):
                    raise GeneratorError(
                        f"{model['name']}.{name}: field name is not usable on a Pydantic model"
                    )
        for enum in self.enums:
            for value in enum["values"]:
                if keyword.iskeyword(value["name"]) or value["name"].startswith("_"):
                    raise GeneratorError(f"enum {enum['name']}: value {value['name']!r} is not a usable name")

    def fk_fields(self, model: dict[str, Any]) -> set[str]:
        return {
            name
            for f in model["fields"]
            if f["kind"] == "object"
            for name in f.get("relationFromFields") or []
        }

    def base_type(self, field: dict[str, Any], *, model_side: bool) -> str:
        if field["kind"] == "enum":
            return f"enums.{field['type']}"
        if field["type"] not in SCALARS:
            raise GeneratorError(f"unsupported type {field['type']!r} of field {field['name']}")
        model_type, input_type, _ = SCALARS[field["type"]]
        return model_type if model_side else input_type

    # -- files ---------------------------------------------------------------------------------

    def files(self) -> dict[str, str]:
        return {
            "__init__.py": self.init(),
            "actions.py": self.actions(),
            "aggregates.py": self.aggregates_module(),
            "bases.py": self.bases_module(),
            "client.py": self.client(),
            "enums.py": self.enums_module(),
            "errors.py": self.reexport(
                "errors", "Errors the client raises (from the prisma_asyncpg runtime)."
            ),
            "fields.py": self.reexport("fields", "Json and Base64 (from the prisma_asyncpg runtime)."),
            "models.py": self.models_module(),
            "schema.py": self.schema_module(),
            "types.py": self.types_module(),
        }

    def init(self) -> str:
        text = header(self.schema_file, "The generated Prisma Client: `from <package> import Prisma`.")
        return text + (
            "from . import actions, bases, enums, errors, fields, models, types\n"
            "from .client import Batch, Prisma, get_client, register\n"
            "from .fields import Base64, Json\n\n"
            "__all__ = [\n" + "".join(f"{INDENT}{name!r},\n" for name in sorted(EXPORTS)) + "]\n"
        )

    def reexport(self, module: str, purpose: str) -> str:
        import importlib

        runtime = importlib.import_module(f"prisma_asyncpg.{module}")
        names = sorted(runtime.__all__)
        lines = [f"from prisma_asyncpg.{module} import ("]
        lines += [f"{INDENT}{name} as {name}," for name in names]
        lines.append(")")
        return header(self.schema_file, purpose) + "\n".join(lines) + "\n"

    def enums_module(self) -> str:
        blocks = []
        for enum in self.enums:
            lines = [f"class {enum['name']}(DatabaseEnum):"]
            lines += [f"{INDENT}{v['name']} = {(v.get('dbName') or v['name'])!r}" for v in enum["values"]]
            blocks.append("\n".join(lines))
        body = "\n\n\n".join(blocks) if blocks else ""
        return (
            header(self.schema_file, "One StrEnum per Prisma enum (values as stored).")
            + "from prisma_asyncpg.enums import DatabaseEnum\n\n\n"
            + body
            + "\n"
        )

    def models_module(self) -> str:
        blocks = []
        for model in self.models:
            name = model["name"]
            lines = [f"class {name}(BaseModel):"]
            if model.get("documentation"):
                lines.append(f"{INDENT}{json.dumps(model['documentation'])}")
            # Validators are built on first use: a process pays only for the models it reads (a
            # 73-model schema imports in half the time and a third less memory).
            lines.append(f"{INDENT}model_config = ConfigDict(extra='ignore', defer_build=True)")
            lines.append("")
            for field in model["fields"]:
                if field["kind"] == "object":
                    # Through an underscore alias (defined below the classes): a relation field is often
                    # named like its model (`organization: organization`), and the class namespace
                    # would shadow the model's own name; no field name can start with an underscore.
                    target = repr(f"_{field['type']}")
                    annotation = f"Optional[List[{target}]]" if field["isList"] else f"Optional[{target}]"
                    lines.append(f"{INDENT}{field['name']}: {annotation} = None")
                    continue
                annotation = self.base_type(field, model_side=True)
                if field["isList"]:
                    annotation = f"List[{annotation}]"
                if field["isRequired"]:
                    lines.append(f"{INDENT}{field['name']}: {annotation}")
                else:
                    lines.append(f"{INDENT}{field['name']}: Optional[{annotation}] = None")
            lines += [
                "",
                f"{INDENT}@classmethod",
                f"{INDENT}def prisma(cls, client: Optional[Prisma] = None) -> actions.{name}Actions[{name}]:",
                f'{INDENT * 2}"""{name} actions on `client` (or a transaction), else on get_client()."""',
                f"{INDENT * 2}from .client import get_client",
                "",
                f"{INDENT * 2}return (client or get_client()).{model['name'].lower()}",
            ]
            blocks.append("\n".join(lines))
        aliases = "".join(f"_{model['name']} = {model['name']}\n" for model in self.models)
        mapping = "".join(f"{INDENT}{model['name']!r}: {model['name']},\n" for model in self.models)
        return (
            header(self.schema_file, "One Pydantic model per Prisma model, with its relation fields.")
            + "import datetime\nimport decimal\n"
            + "from typing import TYPE_CHECKING, Any, List, Optional\n\n"
            + "from pydantic import BaseModel, ConfigDict\n\n"
            + "from . import enums, fields\n\n"
            + "if TYPE_CHECKING:\n"
            + f"{INDENT}from . import actions\n"
            + f"{INDENT}from .client import Prisma\n\n\n"
            + "\n\n\n".join(blocks)
            + "\n\n\n"
            + aliases
            + "\nMODELS: dict[str, type[BaseModel]] = {\n"
            + mapping
            + "}\n"
        )

    def bases_module(self) -> str:
        names = [model["name"] for model in self.models]
        blocks = []
        for model in self.models:
            name = model["name"]
            blocks.append(
                "\n".join(
                    [
                        f"class Base{name}(BaseModel):",
                        f'{INDENT}"""Derive from it to read some of {name}\'s fields: the subclass\'s',
                        f"{INDENT}fields are the ones selected, a relation field without a default is",
                        f"{INDENT}always fetched.",
                        f'{INDENT}`await Sub.prisma().find_many(...)` returns Sub instances."""',
                        "",
                        f"{INDENT}model_config = ConfigDict(extra='ignore')",
                        "",
                        f"{INDENT}@classmethod",
                        f"{INDENT}def prisma(",
                        f"{INDENT * 2}cls: type[_T{name}], client: Optional[Prisma] = None",
                        f"{INDENT}) -> actions.{name}Actions[_T{name}]:",
                        f'{INDENT * 2}"""{name} actions reading into this class, on `client` (or a',
                        f'{INDENT * 2}transaction), else on get_client()."""',
                        f"{INDENT * 2}from . import actions",
                        f"{INDENT * 2}from .client import get_client",
                        "",
                        f"{INDENT * 2}return actions.{name}Actions(client or get_client(), cls)",
                    ]
                )
            )
        return (
            header(
                self.schema_file,
                "Base classes that select fields (Prisma Client Python's `prisma.bases`): one per model.",
            )
            + "from typing import TYPE_CHECKING, Optional, TypeVar\n\n"
            + "from pydantic import BaseModel, ConfigDict\n\n"
            + "if TYPE_CHECKING:\n"
            + f"{INDENT}from . import actions\n"
            + f"{INDENT}from .client import Prisma\n\n"
            + "".join(f"_T{n} = TypeVar('_T{n}', bound='Base{n}')\n" for n in names)
            + "\n\n"
            + "\n\n\n".join(blocks)
            + "\n"
        )

    def schema_module(self) -> str:
        text = json.dumps(self.data, indent=1, sort_keys=True)
        if "'''" in text:
            raise GeneratorError("the schema data cannot be embedded")
        return (
            header(
                self.schema_file, "The schema the runtime compiles queries from (models, columns, relations)."
            )
            + "from prisma_asyncpg.schema import Schema\n\n"
            + f"SCHEMA = Schema.from_json(\n    r'''{text}'''\n)\n"
            + f"DATASOURCE_ENV = {self.datasource_env!r}\n"
        )

    def types_names(self, name: str) -> list[str]:
        suffixes = [
            "Model",
            "WhereInput",
            "WhereUniqueInput",
            "CreateInput",
            "CreateWithoutRelationsInput",
            "UpdateInput",
            "UpdateManyMutationInput",
            "UpsertInput",
            "Include",
            "OrderByInput",
            "ScalarFieldKeys",
            "CountAggregateInput",
            "CountAggregateOutput",
            "AvgAggregateInput",
            "SumAggregateInput",
            "MinAggregateInput",
            "MaxAggregateInput",
            "ScalarWhereWithAggregatesInput",
            "GroupByOutput",
        ]
        # The aggregate types as strings: types.py loads them lazily, a string does not load them.
        return [
            f"models.{name}"
            if s == "Model"
            else f"'types.{name}{s}'"
            if "Aggregate" in s or s == "GroupByOutput"
            else f"types.{name}{s}"
            for s in suffixes
        ]

    def actions(self) -> str:
        blocks = []
        for model in self.models:
            name = model["name"]
            arguments = self.types_names(name)
            blocks.append(
                f"class {name}Actions(\n{INDENT}runtime.ModelActions[\n"
                + "".join(f"{INDENT * 2}{a},\n" for a in ["_M", *arguments[1:]])
                + f'{INDENT}]\n):\n{INDENT}"""Queries on {name}."""\n\n{INDENT}_model = {name!r}'
            )
            batch_arguments = [arguments[i] for i in (1, 2, 3, 4, 5, 6, 7)]
            blocks.append(
                f"class {name}BatchActions(\n{INDENT}runtime.BatchActions[\n"
                + "".join(f"{INDENT * 2}{a},\n" for a in batch_arguments)
                + f'{INDENT}]\n):\n{INDENT}"""Writes on {name} inside `batch_()`."""\n\n'
                + f"{INDENT}_model = {name!r}"
            )
        return (
            header(
                self.schema_file,
                "One `<Model>Actions` class per model (`db.<model>`), typed; the runtime runs them.",
            )
            + "from typing import TypeVar\n\n"
            + "from pydantic import BaseModel\n\n"
            + "from prisma_asyncpg import client as runtime\n\n"
            + "from . import types\n\n"
            + "# What results are read into: the model of prisma.models, or a selection (prisma.bases).\n"
            + "_M = TypeVar('_M', bound=BaseModel)\n\n\n"
            + "\n\n\n".join(blocks)
            + "\n"
        )

    def client(self) -> str:
        accessors = [(model["name"].lower(), model["name"]) for model in self.models]
        client_attributes = "".join(f"{INDENT}{a}: actions.{n}Actions[models.{n}]\n" for a, n in accessors)
        binds = (
            "".join(f"{INDENT * 2}self.{a} = actions.{n}Actions(self, models.{n})\n" for a, n in accessors)
            or f"{INDENT * 2}pass\n"
        )
        batch_attributes = "".join(f"{INDENT}{a}: actions.{n}BatchActions\n" for a, n in accessors)
        batch_binds = "".join(f"{INDENT * 2}self.{a} = actions.{n}BatchActions(self)\n" for a, n in accessors)
        return (
            header(self.schema_file, "The `Prisma` client class of this schema.")
            + "from typing import cast\n\n"
            + "from prisma_asyncpg import client as runtime\n\n"
            + "from . import actions, models\n"
            + "from .schema import DATASOURCE_ENV, SCHEMA\n\n"
            + "__all__ = ['Batch', 'Prisma', 'get_client', 'register']\n\n\n"
            + "class Prisma(runtime.BasePrisma):\n"
            + f'{INDENT}"""Prisma Client Python\'s asyncio client, on asyncpg (prisma_asyncpg.client)."""\n\n'
            + f"{INDENT}_schema = SCHEMA\n{INDENT}_models = models.MODELS\n"
            + f"{INDENT}_datasource_env = DATASOURCE_ENV\n\n"
            + client_attributes
            + f"\n{INDENT}def _bind_actions(self) -> None:\n"
            + binds
            + f"\n{INDENT}def batch_(self) -> Batch:\n{INDENT * 2}return Batch(self)\n\n\n"
            + "class Batch(runtime.BaseBatch):\n"
            + batch_attributes
            + f"\n{INDENT}def __init__(self, client: Prisma) -> None:\n{INDENT * 2}super().__init__(client)\n"
            + batch_binds
            + "\n\ndef register(client: Prisma) -> None:\n"
            + f"{INDENT}runtime.register(client)\n\n\n"
            + "def get_client() -> Prisma:\n"
            + f"{INDENT}return cast(Prisma, runtime.get_client())\n"
        )

    def data_model(self, name: str) -> dict[str, Any]:
        return next(m for m in self.data["models"] if m["name"] == name)


def render_package(params: dict[str, Any]) -> dict[str, str]:
    """File name -> text of the generated package for a `generate` request's params."""
    return PackageRenderer(params).files()
