# ruff: noqa: UP007, UP045, RUF036  (functional TypedDicts are evaluated at run time: "X" | None fails)
"""Input types shared by every generated client: scalar filters, atomic updates, list updates, sort order.

The functional TypedDict form is needed where Prisma's key names are Python keywords (`in`, `not`).
"""

from __future__ import annotations

import datetime
import decimal
from typing import Generic, Literal, Optional, TypedDict, TypeVar, Union

from prisma_asyncpg.fields import Base64, Json

T = TypeVar("T")

SortOrder = Literal["asc", "desc"]
SortMode = Literal["default", "insensitive"]


class SortOrderInput(TypedDict, total=False):
    sort: SortOrder
    nulls: Literal["first", "last"]


StringFilter = TypedDict(
    "StringFilter",
    {
        "equals": Optional[str],
        "not": Union[str, None, "StringFilter"],
        "in": list[str],
        "not_in": list[str],
        "lt": str,
        "lte": str,
        "gt": str,
        "gte": str,
        "contains": str,
        "startswith": str,
        "endswith": str,
        "mode": SortMode,
    },
    total=False,
)
IntFilter = TypedDict(
    "IntFilter",
    {
        "equals": Optional[int],
        "not": Union[int, None, "IntFilter"],
        "in": list[int],
        "not_in": list[int],
        "lt": int,
        "lte": int,
        "gt": int,
        "gte": int,
    },
    total=False,
)
BigIntFilter = IntFilter
FloatFilter = TypedDict(
    "FloatFilter",
    {
        "equals": Optional[float],
        "not": Union[float, None, "FloatFilter"],
        "in": list[float],
        "not_in": list[float],
        "lt": float,
        "lte": float,
        "gt": float,
        "gte": float,
    },
    total=False,
)
DecimalFilter = TypedDict(
    "DecimalFilter",
    {
        "equals": Optional[decimal.Decimal],
        "not": Union[decimal.Decimal, None, "DecimalFilter"],
        "in": list[decimal.Decimal],
        "not_in": list[decimal.Decimal],
        "lt": decimal.Decimal,
        "lte": decimal.Decimal,
        "gt": decimal.Decimal,
        "gte": decimal.Decimal,
    },
    total=False,
)
DateTimeFilter = TypedDict(
    "DateTimeFilter",
    {
        "equals": Optional[datetime.datetime],
        "not": Union[datetime.datetime, None, "DateTimeFilter"],
        "in": list[datetime.datetime],
        "not_in": list[datetime.datetime],
        "lt": datetime.datetime,
        "lte": datetime.datetime,
        "gt": datetime.datetime,
        "gte": datetime.datetime,
    },
    total=False,
)
BooleanFilter = TypedDict(
    "BooleanFilter",
    {"equals": Optional[bool], "not": Union[bool, None, "BooleanFilter"]},
    total=False,
)
JsonFilter = TypedDict(
    "JsonFilter",
    {"equals": Optional[Json], "not": Optional[Json]},
    total=False,
)
BytesFilter = TypedDict(
    "BytesFilter",
    {
        "equals": Optional[Base64],
        "not": Union[Base64, None, "BytesFilter"],
        "in": list[Base64],
        "not_in": list[Base64],
    },
    total=False,
)


class ListFilter(TypedDict, Generic[T], total=False):
    """Filters of a scalar list field."""

    equals: Optional[list[T]]
    has: T
    has_every: list[T]
    has_some: list[T]
    is_empty: bool


class AtomicInput(TypedDict, Generic[T], total=False):
    """An update of a number relative to its current value."""

    set: T
    increment: T
    decrement: T
    multiply: T
    divide: T


class ListUpdate(TypedDict, Generic[T], total=False):
    set: list[T]
    push: Union[T, list[T]]


# group_by's `having`: a field's filter plus filters of its aggregates (`{'_avg': {'gt': 2}}`).
class StringWithAggregatesFilter(StringFilter, total=False):
    _count: IntFilter
    _min: StringFilter
    _max: StringFilter


class BooleanWithAggregatesFilter(BooleanFilter, total=False):
    _count: IntFilter
    _min: BooleanFilter
    _max: BooleanFilter


class IntWithAggregatesFilter(IntFilter, total=False):
    _count: IntFilter
    _avg: FloatFilter
    _sum: IntFilter
    _min: IntFilter
    _max: IntFilter


BigIntWithAggregatesFilter = IntWithAggregatesFilter


class FloatWithAggregatesFilter(FloatFilter, total=False):
    _count: IntFilter
    _avg: FloatFilter
    _sum: FloatFilter
    _min: FloatFilter
    _max: FloatFilter


class DecimalWithAggregatesFilter(DecimalFilter, total=False):
    _count: IntFilter
    _avg: DecimalFilter
    _sum: DecimalFilter
    _min: DecimalFilter
    _max: DecimalFilter


class DateTimeWithAggregatesFilter(DateTimeFilter, total=False):
    _count: IntFilter
    _min: DateTimeFilter
    _max: DateTimeFilter


class JsonWithAggregatesFilter(JsonFilter, total=False):
    _count: IntFilter


class BytesWithAggregatesFilter(BytesFilter, total=False):
    _count: IntFilter
