"""Prisma Client Python's error classes, and the one place asyncpg's errors are mapped onto them."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

__all__ = [
    "ClientAlreadyRegisteredError",
    "ClientNotConnectedError",
    "ClientNotRegisteredError",
    "DataError",
    "FieldNotFoundError",
    "ForeignKeyViolationError",
    "InputError",
    "MissingRequiredValueError",
    "PrismaError",
    "RawQueryError",
    "RecordNotFoundError",
    "TableNotFoundError",
    "TransactionError",
    "TransactionExpiredError",
    "UniqueViolationError",
]


class PrismaError(Exception):
    """Base class of every error the client raises."""


class ClientNotConnectedError(PrismaError):
    """A query was made before `connect()` (or after `disconnect()`)."""

    def __init__(self) -> None:
        super().__init__("Client is not connected to the query engine, you must call `connect()` first.")


class ClientAlreadyRegisteredError(PrismaError):
    """`register()` was called twice."""


class ClientNotRegisteredError(PrismaError):
    """`get_client()` was called before `register()`."""


class InputError(PrismaError):
    """The arguments of a query do not fit the schema (unknown field, wrong shape)."""


class FieldNotFoundError(InputError):
    """An argument names a field the model does not have."""


class TransactionError(PrismaError):
    """A transaction could not be used (already closed, or nested misuse)."""


class TransactionExpiredError(TransactionError):
    """The transaction ran past its `timeout`: it was rolled back, and takes no more queries."""


class DataError(PrismaError):
    """The database refused the data; `constraint`, `fields`, `table` say where (when PostgreSQL says)."""

    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        constraint: str | None = None,
        fields: tuple[str, ...] = (),
        table: str | None = None,
        sqlstate: str | None = None,
    ) -> None:
        super().__init__(message)
        self.constraint = constraint
        self.fields = fields
        self.table = table
        self.sqlstate = sqlstate
        self.meta: dict[str, Any] = {"target": list(fields) or constraint, "constraint": constraint}
        self.data: dict[str, Any] = {"user_facing_error": {"message": message, "meta": self.meta}}


class UniqueViolationError(DataError):
    """A unique constraint (or the primary key) already holds the value (SQLSTATE 23505, Prisma P2002)."""

    code = "P2002"


class ForeignKeyViolationError(DataError):
    """A foreign key does not match a row, or a row is still referenced (23503, P2003)."""

    code = "P2003"


class MissingRequiredValueError(DataError):
    """A required column got NULL (23502, P2011)."""

    code = "P2011"


class RecordNotFoundError(DataError):
    """The record an operation needs does not exist (P2025)."""

    code = "P2025"


class TableNotFoundError(DataError):
    """The table of a model does not exist (42P01, P2021)."""

    code = "P2021"


class RawQueryError(DataError):
    """A raw query failed in PostgreSQL (P2010)."""

    code = "P2010"


_KEY_COLUMNS = re.compile(r"^Key \((?P<columns>.+?)\)=")


def _key_columns(detail: str | None) -> tuple[str, ...]:
    """The columns of PostgreSQL's `Key (a, b)=(...)` detail line."""
    match = _KEY_COLUMNS.match(detail or "")
    if not match:
        return ()
    return tuple(column.strip().strip('"') for column in match.group("columns").split(","))


# Classes of errors that are about the connection or the server, not the statement: passed through
# as asyncpg raises them, raw or not (08 connection, 53 resources, 57 operator intervention, 58 system).
_NOT_THE_QUERY = ("08", "53", "57", "58")


def map_database_error(error: asyncpg.PostgresError, *, raw: bool = False) -> Exception:
    """The public error for a PostgreSQL error (the caller chains the original with `from`)."""
    state = getattr(error, "sqlstate", None) or ""
    constraint = getattr(error, "constraint_name", None)
    table = getattr(error, "table_name", None)
    column = getattr(error, "column_name", None)
    message = getattr(error, "message", None) or str(error)
    detail = getattr(error, "detail", None)
    if detail:
        message = f"{message} ({detail})"
    cls: type[DataError]
    fields: tuple[str, ...] = ()
    if state == "23505":
        cls, fields = UniqueViolationError, _key_columns(detail)
    elif state == "23503":
        cls, fields = ForeignKeyViolationError, _key_columns(detail)
    elif state == "23502":
        cls, fields = MissingRequiredValueError, (column,) if column else ()
    elif state == "42P01":
        cls = TableNotFoundError
    elif raw and not state.startswith(_NOT_THE_QUERY):
        cls = RawQueryError
    elif state.startswith(("22", "23")):
        cls = DataError
    else:
        return error
    return cls(message, constraint=constraint, fields=fields, table=table, sqlstate=state)
