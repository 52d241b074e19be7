"""The base of every generated enum."""

from __future__ import annotations

import enum
from typing import Any


class DatabaseEnum(enum.StrEnum):
    """A Prisma enum whose values the database may outgrow: a value the schema does not list (one
    added to the database type after the schema was written) is read as a member of its own, with
    that value as name and value, instead of failing the whole row."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member
