"""The hand-written half of the generated `Prisma` class: connection, transactions, raw queries
(the typed per-model actions and batches are in `prisma_asyncpg.actions`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypedDict, TypeVar, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel

# The model actions live in prisma_asyncpg.actions; the generated package reaches them here.
from prisma_asyncpg.actions import BaseBatch, BatchActions, ModelActions
from prisma_asyncpg.engine import Engine
from prisma_asyncpg.errors import (
    ClientAlreadyRegisteredError,
    ClientNotConnectedError,
    ClientNotRegisteredError,
    PrismaError,
    TransactionError,
    TransactionExpiredError,
)
from prisma_asyncpg.schema import Schema

__all__ = [
    "BaseBatch",
    "BasePrisma",
    "BatchActions",
    "DatasourceOverride",
    "ModelActions",
    "get_client",
    "register",
]

M = TypeVar("M", bound=BaseModel)
Client = TypeVar("Client", bound="BasePrisma")

MAX_CACHED_STATEMENTS = 2000
# What `Prisma(pool=...)` runs on: a pool, or one connection (every query then runs on it).
Executor = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy


class DatasourceOverride(TypedDict):
    url: str


def pool_arguments(url: str) -> tuple[str, dict[str, Any]]:
    """A Prisma URL as asyncpg takes it, and the pool options its Prisma parameters mean:
    `schema` -> the search_path, `connection_limit` -> max_size, `pool_timeout` -> ignored."""
    parts = urlsplit(url)
    options: dict[str, Any] = {"min_size": 1}
    kept = []
    for key, value in parse_qsl(parts.query):
        if key == "schema":
            options["server_settings"] = {"search_path": value}
        elif key == "connection_limit":
            options["max_size"] = int(value)
        elif key != "pool_timeout":
            kept.append((key, value))
    options["min_size"] = min(options["min_size"], options.get("max_size", 1))
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment)), options


class BasePrisma:
    """Connection handling shared by every generated client (`Prisma` in the generated package).

    Besides Prisma Client Python's arguments it takes `pool` (an asyncpg pool the caller owns and
    configures, or one connection the caller owns; `connect()` then only uses it) or `pool_options`
    (keyword arguments of `asyncpg.create_pool` for the pool `connect()` creates: sizes, command
    timeout, init...).
    """

    _schema: ClassVar[Schema]
    _models: ClassVar[Mapping[str, type[BaseModel]]]
    _datasource_env: ClassVar[str] = "DATABASE_URL"

    def __init__(
        self,
        *,
        use_dotenv: bool = True,
        log_queries: bool = False,
        auto_register: bool = False,
        datasource: DatasourceOverride | None = None,
        connect_timeout: float | dt.timedelta = 10,
        pool: Executor | None = None,
        pool_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._url = datasource["url"] if datasource else None
        self._connect_timeout = (
            connect_timeout.total_seconds() if isinstance(connect_timeout, dt.timedelta) else connect_timeout
        )
        self._pool_options = dict(pool_options or {})
        self._log_queries = log_queries
        self._pool = pool
        self._owns_pool = pool is None
        self._connection: Any = None
        self._engine: Engine | None = None if pool is None else self._new_engine(pool)
        if auto_register:
            register(self)
        self._bind_actions()

    def _bind_actions(self) -> None:
        """Creates the per-model action attributes (the generated class overrides it)."""

    def _new_engine(self, database: Any) -> Engine:
        if len(self._schema.statements) > MAX_CACHED_STATEMENTS:
            self._schema.statements.clear()
        engine = Engine(self._schema, self._models, database, self._schema.statements)
        engine.log_queries = self._log_queries
        return engine

    @property
    def engine(self) -> Engine:
        """The engine queries run on (raises ClientNotConnectedError before `connect()`)."""
        if self._engine is None:
            raise ClientNotConnectedError()
        return self._engine

    @property
    def connection(self) -> Any:
        """The asyncpg connection of this transaction client (None outside `tx()`)."""
        return self._connection

    @property
    def pool(self) -> asyncpg.Pool | None:
        """The pool queries run on (None before `connect()`, or when given one connection)."""
        return self._pool if isinstance(self._pool, asyncpg.Pool) else None

    def is_connected(self) -> bool:
        return self._engine is not None

    async def connect(self, timeout: float | dt.timedelta | None = None) -> None:  # noqa: ASYNC109 (Prisma's API)
        """Opens the pool (or adopts the one given to the constructor)."""
        if self._engine is not None:
            return
        if self._pool is None:
            url = self._url or os.environ.get(self._datasource_env)
            if not url:
                raise PrismaError(
                    f"no database URL: set {self._datasource_env} or pass datasource={{'url': ...}}"
                )
            dsn, from_url = pool_arguments(url)
            options = {**from_url, **self._pool_options}
            if "server_settings" in from_url and "server_settings" in self._pool_options:
                options["server_settings"] = {
                    **from_url["server_settings"],
                    **self._pool_options["server_settings"],
                }
            seconds = timeout.total_seconds() if isinstance(timeout, dt.timedelta) else timeout
            options.setdefault("timeout", seconds or self._connect_timeout)
            self._pool = await asyncpg.create_pool(dsn, **options)
        self._engine = self._new_engine(self._pool)

    async def disconnect(self, timeout: float | dt.timedelta | None = None) -> None:  # noqa: ASYNC109
        """Closes the pool when this client created it."""
        pool, self._engine = self._pool, None
        if pool is not None and self._owns_pool:
            self._pool = None
            await pool.close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.is_connected():
            await self.disconnect()

    def tx(
        self, *, max_wait: float | dt.timedelta = 2, timeout: float | dt.timedelta = 5
    ) -> TransactionManager[Self]:
        """An interactive transaction: `async with db.tx() as tx:` commits on success, else rolls back."""
        return TransactionManager(self, max_wait=max_wait, timeout=timeout)

    def _bound(self, connection: Any, deadline: float | None) -> Self:
        """A copy of this client whose queries all run on `connection` (until `deadline`, loop time)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._connection = connection
        clone._owns_pool = False
        clone._engine = self._new_engine(connection)
        clone._engine.deadline = deadline
        clone._bind_actions()
        return clone

    @overload
    async def query_raw(self, query: str, *args: Any) -> list[dict[str, Any]]: ...
    @overload
    async def query_raw(self, query: str, *args: Any, model: type[M]) -> list[M]: ...
    async def query_raw(self, query: str, *args: Any, model: type[M] | None = None) -> list[Any]:
        """Rows of a raw query ($1, $2... placeholders), as dicts or as `model` instances."""
        rows = await self.engine.query_raw(query, args)
        return rows if model is None else [model.model_validate(row) for row in rows]

    @overload
    async def query_first(self, query: str, *args: Any) -> dict[str, Any] | None: ...
    @overload
    async def query_first(self, query: str, *args: Any, model: type[M]) -> M | None: ...
    async def query_first(self, query: str, *args: Any, model: type[M] | None = None) -> Any:
        rows = await self.engine.query_raw(query, args)
        if not rows:
            return None
        return rows[0] if model is None else model.model_validate(rows[0])

    async def execute_raw(self, query: str, *args: Any) -> int:
        """Runs a raw statement; returns the number of rows it affected."""
        return await self.engine.execute_raw(query, args)


class TransactionManager(Generic[Client]):
    """`async with db.tx() as tx`; also `start()`, `commit()`, `rollback()` by hand."""

    def __init__(
        self, client: Client, *, max_wait: float | dt.timedelta, timeout: float | dt.timedelta
    ) -> None:
        self._client = client
        self._max_wait = max_wait.total_seconds() if isinstance(max_wait, dt.timedelta) else max_wait
        self._timeout = timeout.total_seconds() if isinstance(timeout, dt.timedelta) else timeout
        self._deadline: float | None = None
        self._connection: Any = None
        self._transaction: Any = None
        self._release = False

    async def start(self) -> Client:
        if self._transaction is not None:
            raise TransactionError("the transaction was already started")
        engine = self._client.engine
        if isinstance(engine.db, asyncpg.Pool):
            self._connection = await engine.db.acquire(timeout=self._max_wait)
            self._release = True
        else:
            self._connection = engine.db  # a transaction inside a transaction: a savepoint
        self._transaction = self._connection.transaction()
        try:
            await self._transaction.start()
        except BaseException:
            await self._close()
            raise
        self._deadline = asyncio.get_running_loop().time() + self._timeout
        return self._client._bound(self._connection, self._deadline)

    async def commit(self) -> None:
        """Commits; past the timeout, rolls back and raises TransactionExpiredError instead."""
        try:
            if self._deadline is not None and asyncio.get_running_loop().time() > self._deadline:
                await self._transaction.rollback()
                raise TransactionExpiredError("the transaction ran past its timeout and was rolled back")
            await self._transaction.commit()
        finally:
            await self._close()

    async def rollback(self) -> None:
        try:
            await self._transaction.rollback()
        finally:
            await self._close()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._release:
            await self._client.engine.db.release(connection)

    async def __aenter__(self) -> Client:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()


_registered: BasePrisma | None = None


def register(client: BasePrisma) -> None:
    """Makes `client` the one `get_client()` returns."""
    global _registered
    if _registered is not None:
        raise ClientAlreadyRegisteredError("a client is already registered")
    _registered = client


def get_client() -> BasePrisma:
    if _registered is None:
        raise ClientNotRegisteredError("no client was registered (Prisma(auto_register=True) or register())")
    return _registered
