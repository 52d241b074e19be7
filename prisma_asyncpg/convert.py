"""Python values to what asyncpg sends for a field (the one place input values are converted)."""

from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal
from typing import Any

from prisma_asyncpg.fields import Base64, Json
from prisma_asyncpg.schema import Field

UTC = dt.UTC


def _datetime(value: Any, with_zone: bool) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # naive values are taken as UTC, like the columns
    utc: dt.datetime = value.astimezone(UTC)
    return utc if with_zone else utc.replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(value.data if isinstance(value, Json) else value, separators=(",", ":"))


def _scalar(field: Field, value: Any) -> Any:
    kind = field.type
    if kind == "DateTime":
        return _datetime(value, field.native_type == "Timestamptz")
    if kind == "Float":
        return float(value)
    if kind == "Decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "Json":
        return _json(value)
    if kind == "Bytes":
        return value.decode() if isinstance(value, Base64) else bytes(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def to_db(field: Field, value: Any) -> Any:
    """The value asyncpg binds for `field` (lists element by element; None stays None)."""
    if value is None:
        return None
    if field.is_list and isinstance(value, (list, tuple)):
        return [None if item is None else _scalar(field, item) for item in value]
    return _scalar(field, value)


def to_db_element(field: Field, value: Any) -> Any:
    """One element of a scalar list field."""
    return None if value is None else _scalar(field, value)


def to_db_list(field: Field, values: Any) -> list[Any]:
    """A list of values of the field's element type (`in`, `not_in`, `has_some`...)."""
    return [to_db_element(field, value) for value in values]
