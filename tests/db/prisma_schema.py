"""A small parser for what the tests compare in a Prisma schema: models, their fields and enums."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SCALAR_TYPES = {"String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"}
BLOCK = re.compile(r"^(model|enum)\s+(\w+)\s*\{(.*?)^\}", re.MULTILINE | re.DOTALL)
FIELD = re.compile(r"^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$")


@dataclass(frozen=True)
class PrismaField:
    """One field line: name, type, `?`, `[]` and its attributes (`@db.Uuid` -> "", `@default` -> "now()")."""

    name: str
    type: str
    optional: bool
    is_list: bool
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def native_type(self) -> str | None:
        """The `@db.*` attribute with its arguments, e.g. `Decimal(10, 2)`, or None."""
        for name, arguments in self.attributes.items():
            if name.startswith("@db."):
                return name.removeprefix("@db.") + (f"({arguments})" if arguments else "")
        return None


@dataclass
class PrismaSchema:
    """Models (all fields, relations included) and enums (their values) by name."""

    models: dict[str, dict[str, PrismaField]]
    enums: dict[str, list[str]]
    # Models marked `@@ignore` (tables without a unique identifier): migrated, but no client model.
    ignored: set[str] = field(default_factory=set)
    # Each model's `@@...` lines, whitespace folded.
    block_attributes: dict[str, list[str]] = field(default_factory=dict)

    def primary_key(self, model: str) -> tuple[str, ...]:
        """The model's primary key columns: its `@id` field, or the fields of `@@id([...])`."""
        single = tuple(name for name, f in self.columns(model).items() if "@id" in f.attributes)
        if single:
            return single
        for line in self.block_attributes.get(model, []):
            if match := re.match(r"@@id\(\[([^\]]*)\]", line):
                return tuple(name.strip() for name in match.group(1).split(","))
        return ()

    def kind(self, field: PrismaField) -> str:
        """`scalar`, `enum` or `object` (a relation), as in Prisma's DMMF."""
        if field.type in self.enums:
            return "enum"
        return "object" if field.type in self.models else "scalar"

    def columns(self, model: str) -> dict[str, PrismaField]:
        """The scalar and enum fields of a model: the columns of its table."""
        return {name: f for name, f in self.models[model].items() if self.kind(f) != "object"}


def strip_comment(line: str) -> str:
    """The line without its `//` comment (a `//` inside a string literal is kept)."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and line.startswith("//", index):
            return line[:index]
    return line


def parse_attributes(text: str) -> dict[str, str]:
    """`@id @default(dbgenerated("x()")) @db.Uuid` -> {"@id": "", "@default": 'dbgenerated("x()")', ...}."""
    attributes: dict[str, str] = {}
    index = 0
    while (match := re.compile(r"@[\w.]+").search(text, index)) is not None:
        name, index, arguments = match.group(), match.end(), ""
        if text.startswith("(", index):
            depth, quoted, end = 0, False, index
            for end in range(index, len(text)):
                char = text[end]
                if char == '"' and text[end - 1] != "\\":
                    quoted = not quoted
                elif not quoted and char in "()":
                    depth += 1 if char == "(" else -1
                    if depth == 0:
                        break
            arguments, index = text[index + 1 : end], end + 1
        attributes[name] = re.sub(r"\s*,\s*", ", ", " ".join(arguments.split()))
    return attributes


def parse_schema(text: str) -> PrismaSchema:
    """Parses the models and enums of a schema file's text."""
    models: dict[str, dict[str, PrismaField]] = {}
    enums: dict[str, list[str]] = {}
    ignored: set[str] = set()
    block_attributes: dict[str, list[str]] = {}
    for kind, name, body in BLOCK.findall(text):
        lines = [strip_comment(line).strip() for line in body.splitlines()]
        block_attributes[name] = [" ".join(line.split()) for line in lines if line.startswith("@@")]
        if "@@ignore" in lines:
            ignored.add(name)
        lines = [line for line in lines if line and not line.startswith("@@")]
        if kind == "enum":
            enums[name] = [line.split()[0] for line in lines]
            continue
        fields: dict[str, PrismaField] = {}
        for line in lines:
            match = FIELD.match(line)
            assert match, f"cannot parse field line {line!r} of model {name}"
            field_name, type_name, is_list, optional, rest = match.groups()
            fields[field_name] = PrismaField(
                field_name, type_name, bool(optional), bool(is_list), parse_attributes(rest)
            )
        models[name] = fields
    return PrismaSchema(models, enums, ignored, block_attributes)


def load_schema(path: Path) -> PrismaSchema:
    return parse_schema(path.read_text(encoding="utf-8"))
