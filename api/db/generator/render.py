"""Turns Prisma's DMMF into the source of api/db/models.py (formatted as `ruff format` would)."""

from __future__ import annotations

import keyword
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from api.paths import PROJECT_ROOT

LINE_LENGTH = 110
INDENT = "    "

# Prisma scalar type -> (Python annotation, module it needs or "").
SCALARS: dict[str, tuple[str, str]] = {
    "String": ("str", ""),
    "Int": ("int", ""),
    "BigInt": ("int", ""),
    "Float": ("float", ""),
    "Decimal": ("decimal.Decimal", "decimal"),
    "Boolean": ("bool", ""),
    "DateTime": ("datetime.datetime", "datetime"),
    "Json": ("Any", ""),
    "Bytes": ("bytes", ""),
}
IMPORTED_NAMES = {"datetime", "decimal", "enum", "Any", "ClassVar", "BaseModel", "ConfigDict", "Field"}
ENUM_BASE = "DatabaseEnum"
# The base of every generated enum: a value the schema does not list (one streamOS added after this
# schema was written) is read as a member of its own instead of failing the whole row.
ENUM_BASE_SOURCE = f'''class {ENUM_BASE}(enum.StrEnum):
    """A Prisma enum whose unknown database values are kept as they are, not refused."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member'''.splitlines()


class GeneratorError(ValueError):
    """The schema uses something the generator cannot express."""


def class_name(prisma_name: str) -> str:
    """PascalCase of a Prisma model or enum name: `uac_bill_status` -> `UacBillStatus`."""
    return "".join(part[:1].upper() + part[1:] for part in prisma_name.split("_") if part)


def py_string(text: str) -> str:
    """A string literal with the quotes ruff would choose (double unless that needs more escapes)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return quote + escaped + quote


def docstring(text: str, indent: str) -> list[str]:
    """A docstring as ruff formats it: trailing spaces trimmed, continuation lines indented."""
    lines = [line.rstrip() for line in text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return []
    if len(lines) == 1:
        body = lines[0] + (" " if lines[0].endswith('"') else "")
        return [f'{indent}"""{body}"""']
    first, *rest = lines
    return [f'{indent}"""{first}', *[f"{indent}{line}" if line else "" for line in rest], f'{indent}"""']


def field_line(name: str, annotation: str, arguments: list[str]) -> list[str]:
    """One annotated field, with `Field(...)` exploded over several lines when it is too long."""
    if not arguments:
        return [f"{INDENT}{name}: {annotation}"]
    if arguments == ["default=None"]:
        return [f"{INDENT}{name}: {annotation} = None"]
    line = f"{INDENT}{name}: {annotation} = Field({', '.join(arguments)})"
    if len(line) <= LINE_LENGTH:
        return [line]
    return [
        f"{INDENT}{name}: {annotation} = Field(",
        *[f"{INDENT * 2}{argument}," for argument in arguments],
        f"{INDENT})",
    ]


def render_enum(enum: dict[str, Any]) -> list[str]:
    lines = [f"class {class_name(enum['name'])}({ENUM_BASE}):"]
    lines += docstring(enum.get("documentation") or "", INDENT)
    if len(lines) > 1:
        lines.append("")
    for value in enum["values"]:
        member = value["name"]
        if keyword.iskeyword(member) or member.startswith("_"):
            raise GeneratorError(f"enum {enum['name']}: value {member!r} is not a usable Python name")
        lines.append(f"{INDENT}{member} = {py_string(value.get('dbName') or member)}")
    return lines


def render_field(model: str, field: dict[str, Any], enums: dict[str, str], modules: set[str]) -> list[str]:
    name = field["name"]
    if field["kind"] == "enum":
        annotation = enums[field["type"]]
    elif field["kind"] == "scalar" and field["type"] in SCALARS:
        annotation, module = SCALARS[field["type"]]
        if module:
            modules.add(module)
    else:
        raise GeneratorError(f"{model}.{name}: unsupported {field['kind']} type {field['type']!r}")
    if field["isList"]:
        annotation = f"list[{annotation}]"
    arguments: list[str] = []
    if not field["isRequired"]:
        annotation += " | None"
        arguments.append("default=None")
    python_name = name
    if keyword.iskeyword(name) or hasattr(BaseModel, name) or name.startswith("_"):
        python_name = name.strip("_") + "_"
        arguments.append(f"alias={py_string(name)}")
    if python_name in IMPORTED_NAMES or python_name in enums.values():
        raise GeneratorError(f"{model}.{name}: field name would shadow the name {python_name!r} in models.py")
    if field.get("documentation"):
        arguments.append(f"description={py_string(field['documentation'])}")
    return field_line(python_name, annotation, arguments)


def render_model(model: dict[str, Any], enums: dict[str, str], modules: set[str]) -> list[str]:
    fields = [f for f in model["fields"] if f["kind"] in ("scalar", "enum")]
    primary_key = (model.get("primaryKey") or {}).get("fields") or [f["name"] for f in fields if f["isId"]]
    quoted = ", ".join(py_string(name) for name in primary_key)
    key = f"({quoted},)" if len(primary_key) == 1 else f"({quoted})"
    lines = [f"class {class_name(model['name'])}(BaseModel):"]
    lines += docstring(model.get("documentation") or "", INDENT)
    if len(lines) > 1:
        lines.append("")
    lines += [
        # Columns the schema does not know (streamOS's database may be ahead of it) are ignored.
        f'{INDENT}model_config = ConfigDict(extra="ignore")',
        f"{INDENT}__tablename__: ClassVar[str] = {py_string(model.get('dbName') or model['name'])}",
        f"{INDENT}__primary_key__: ClassVar[tuple[str, ...]] = {key}",
        "",
    ]
    for field in fields:
        lines += render_field(model["name"], field, enums, modules)
    return lines


def mapping(name: str, annotation: str, items: list[tuple[str, str]]) -> list[str]:
    return [
        f"{name}: {annotation} = {{",
        *[f"{INDENT}{py_string(key)}: {value}," for key, value in items],
        "}",
    ]


def header(schema_path: str | None) -> list[str]:
    schema = "prisma/schema.prisma"
    if schema_path:
        path = Path(schema_path).resolve()
        schema = path.relative_to(PROJECT_ROOT).as_posix() if path.is_relative_to(PROJECT_ROOT) else path.name
    return [
        f"# Generated by `prisma generate` from {schema} (generator python_models, api/db/generator).",
        "# Do not edit: change the schema, then run `make generate` (prisma/tools/prisma.sh generate).",
        '"""Typed rows of the database: one Pydantic model per Prisma model, one StrEnum per Prisma enum.',
        "",
        'Reads are tolerant: columns the schema does not know are ignored, unknown enum values kept."""',
    ]


def render_models(dmmf: dict[str, Any], schema_path: str | None = None) -> str:
    """The whole models.py for a DMMF (`params.dmmf` of Prisma's `generate` request)."""
    datamodel = dmmf["datamodel"]
    enums = {enum["name"]: class_name(enum["name"]) for enum in datamodel["enums"]}
    models = {model["name"]: class_name(model["name"]) for model in datamodel["models"]}
    names = [*enums.values(), *models.values(), ENUM_BASE]
    duplicates = sorted({name for name in names if names.count(name) > 1} | (set(names) & IMPORTED_NAMES))
    if duplicates:
        raise GeneratorError(f"class names clash: {', '.join(duplicates)}")

    modules = {"enum"}
    blocks = [ENUM_BASE_SOURCE, *[render_enum(enum) for enum in datamodel["enums"]]]
    blocks += [render_model(model, enums, modules) for model in datamodel["models"]]
    model_items = [(m.get("dbName") or m["name"], models[m["name"]]) for m in datamodel["models"]]
    enum_items = [(e.get("dbName") or e["name"], enums[e["name"]]) for e in datamodel["enums"]]
    blocks.append(
        [
            *mapping("MODELS", "dict[str, type[BaseModel]]", model_items),
            "",
            *mapping("ENUMS", "dict[str, type[enum.StrEnum]]", enum_items),
        ]
    )

    imports = [f"import {module}" for module in sorted(modules)]
    imports += ["from typing import Any, ClassVar", "", "from pydantic import BaseModel, ConfigDict, Field"]
    lines = [*header(schema_path), "", *imports]
    for block in blocks:
        lines += ["", "", *block]
    return "\n".join(lines) + "\n"
