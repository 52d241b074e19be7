"""The two parts of prisma/schema.prisma: streamOS's schema, and the service's additions to it.

streamOS's part is everything before the service's section, less the lines the service added to
streamOS's models (they end in `// service: ...`). The baseline migration is generated from that
part alone; the service's migrations from the difference between it and the whole file.
"""

from __future__ import annotations

import re

# The banner line that opens the service's own section of the schema.
SERVICE_SECTION = "// The invoice service's own models"
# The comment that marks a line the service added to one of streamOS's models.
SERVICE_LINE = "// service:"

_MODEL_OR_ENUM = re.compile(r"^(model|enum)\s+(\w+)\s*\{", re.MULTILINE)


def streamos_schema(schema: str) -> str:
    """streamOS's part of the schema text: the service's section and marked lines removed."""
    cut = schema.find(SERVICE_SECTION)
    if cut == -1:
        raise ValueError(f"the schema has no line starting with {SERVICE_SECTION!r}")
    head = schema[: schema.rfind("\n", 0, cut) + 1]
    # The banner is framed by a rule line above it; drop that too.
    head = head.rstrip().removesuffix(head.rstrip().splitlines()[-1]).rstrip() + "\n"
    kept = [line for line in head.splitlines() if SERVICE_LINE not in line]
    return "\n".join(kept).rstrip() + "\n"


def block_names(schema: str) -> set[str]:
    """The names of the models and enums a schema text declares."""
    return {match.group(2) for match in _MODEL_OR_ENUM.finditer(schema)}


def streamos_tables(schema: str) -> set[str]:
    """The model names of streamOS's part (each is its table's name: the schema uses no @@map)."""
    part = streamos_schema(schema)
    return {match.group(2) for match in _MODEL_OR_ENUM.finditer(part) if match.group(1) == "model"}
