"""The one asyncpg pool (the Prisma client runs on it): UUIDs as strings and, for the service, a
deadline on every database operation and a statement lane (single statements reuse the connection
the last one gave back, without asyncpg's acquire and release in between).

No JSON codec: the client encodes and decodes JSON itself, and one on the pool would encode its
parameters twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg
from asyncpg.pool import PoolAcquireContext

T = TypeVar("T")


async def _init_connection(connection: asyncpg.Connection) -> None:
    # UUIDs travel as canonical lower-case strings, as in Prisma's clients and the generated models.
    await connection.set_type_codec("uuid", encoder=str, decoder=str, schema="pg_catalog", format="text")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's RESET ALL round trip: the service sets no session state,
    takes no advisory locks on pool connections, and asyncpg still rolls back an open transaction."""


class DeadlinePool(asyncpg.Pool):
    """A pool whose every operation answers within `deadline_s`: acquiring a connection (a new one
    included) and running the statement together, else TimeoutError (answered 503 by api.errors).
    Explicit `acquire()` is bounded too, and each statement by the connection's command_timeout."""

    def __init__(self, *args: Any, deadline_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline_s = deadline_s
        self._abandoned: set[asyncio.Future[Any]] = set()
        # The statement lane: connections a single statement gave back, kept checked out of
        # asyncpg's pool for the next statement ([connection, statements run, kept since]), the
        # most recently used last; see _on_connection.
        self._lane: list[list[Any]] = []
        self._waiting = 0  # callers waiting for asyncpg's pool to hand them a connection
        # A connection unused this long in the lane goes back to the pool, whose own inactivity
        # limit (the same) then closes it beyond the minimum size.
        self.lane_idle_s: float = kwargs.get("max_inactive_connection_lifetime") or 300.0
        self._lane_timer: asyncio.TimerHandle | None = None
        self._returning: set[asyncio.Task[None]] = set()

    async def _bounded(self, operation: Coroutine[Any, Any, T]) -> T:
        # The operation runs in a task of its own that the caller only waits for: past the deadline
        # the caller gets TimeoutError at once, while the operation finishes on its own (its
        # statement timeout and asyncpg's cancellation of a stalled query may take longer) and gives
        # its connection back to the pool. (What asyncio.shield under asyncio.timeout does, with one
        # future and one timer instead of a shield, a Timeout and their callbacks on every query.)
        loop = asyncio.get_running_loop()
        task = loop.create_task(operation)
        waiter: asyncio.Future[None] = loop.create_future()

        def wake(_: object) -> None:
            if not waiter.done():
                waiter.set_result(None)

        timer = loop.call_later(self.deadline_s, wake, None)
        task.add_done_callback(wake)
        try:
            await waiter
        except BaseException:  # the caller was cancelled: the operation finishes alone
            timer.cancel()
            self._abandon(task, wake)
            raise
        timer.cancel()
        if not task.done():
            self._abandon(task, wake)
            raise TimeoutError(f"the database did not answer within {self.deadline_s:g} s")
        return task.result()

    def _abandon(self, task: asyncio.Task[Any], wake: Callable[[object], None]) -> None:
        task.remove_done_callback(wake)
        self._abandoned.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._abandoned.discard(task)
        self._returning.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: it is the caller's TimeoutError that counts

    # The overrides keep asyncpg's signatures, `timeout` parameters included. Inside `_bounded` a
    # connection is taken without asyncpg's own acquire timeout and given back without its shield:
    # the deadline already covers both, and the operation's task is never cancelled (it is left to
    # finish), so neither would change anything but cost a timer, a timeout and a task per statement.
    def acquire(self, *, timeout: float | None = None) -> PoolAcquireContext:
        return super().acquire(timeout=self.deadline_s if timeout is None else timeout)

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        return await self._bounded(self._on_connection("execute", query, *args, timeout=timeout))

    async def executemany(self, command: str, args: Any, *, timeout: float | None = None) -> None:
        await self._bounded(self._on_connection("executemany", command, args, timeout=timeout))

    async def fetch(
        self, query: str, *args: Any, timeout: float | None = None, record_class: Any = None
    ) -> Any:
        return await self._bounded(
            self._on_connection("fetch", query, *args, timeout=timeout, record_class=record_class)
        )

    async def fetchrow(
        self, query: str, *args: Any, timeout: float | None = None, record_class: Any = None
    ) -> Any:
        return await self._bounded(
            self._on_connection("fetchrow", query, *args, timeout=timeout, record_class=record_class)
        )

    async def fetchval(self, query: str, *args: Any, column: int = 0, timeout: float | None = None) -> Any:
        return await self._bounded(
            self._on_connection("fetchval", query, *args, column=column, timeout=timeout)
        )

    # -- the statement lane ----------------------------------------------------------------------
    # asyncpg's acquire and release cost more CPU than a short statement itself (a queue, a proxy,
    # a future, an inactivity timer, a reset). A single statement therefore gives its connection to
    # the lane instead of the pool, and the next statement takes it from there. The pool still owns
    # every connection and the size limit: a connection goes back to the pool whenever anybody
    # waits for one (explicit `acquire()` takes the lane's first), when it is closed or left in a
    # transaction, after LANE_REUSE statements (so asyncpg's max_queries recycling still applies),
    # after lane_idle_s unused, and on close / terminate / expire_connections.

    async def _on_connection(self, method: str, *args: Any, **kwargs: Any) -> Any:
        lane = self._lane
        entry = lane.pop() if lane else None
        while entry is not None and not self._reusable(entry[0]):
            await self._give_back(entry[0])
            entry = lane.pop() if lane else None
        if entry is None:
            # Waiting for a connection ends with the caller's deadline (this task starts at once):
            # a statement whose caller was already answered never runs later.
            entry = [await asyncpg.Pool.acquire(self, timeout=self.deadline_s), 0, 0.0]
        connection = entry[0]
        try:
            return await getattr(connection, method)(*args, **kwargs)
        finally:
            entry[1] += 1
            if self._waiting or self.is_closing() or entry[1] >= LANE_REUSE or not self._reusable(connection):
                await self._give_back(connection)
            else:
                self._keep(entry)

    def _keep(self, entry: list[Any]) -> None:
        entry[2] = time.monotonic()
        self._lane.append(entry)
        if self._lane_timer is None:
            self._lane_timer = asyncio.get_running_loop().call_later(self.lane_idle_s, self._expire_lane)

    def _expire_lane(self) -> None:
        """Gives the connections idle longer than lane_idle_s back to the pool (the oldest are first
        in the lane); runs again while the lane holds any."""
        self._lane_timer = None
        lane = self._lane
        cutoff = time.monotonic() - self.lane_idle_s
        stale = 0
        while stale < len(lane) and lane[stale][2] <= cutoff:
            stale += 1
        for connection, _, _ in lane[:stale]:
            task = asyncio.get_running_loop().create_task(self._give_back(connection))
            self._returning.add(task)
            task.add_done_callback(self._forget)
        del lane[:stale]  # in place: a statement running now puts its connection back in this list
        if lane:
            wait = lane[0][2] + self.lane_idle_s - time.monotonic()
            self._lane_timer = asyncio.get_running_loop().call_later(max(wait, 0.0), self._expire_lane)

    async def _acquire(self, timeout: float | None) -> Any:
        # asyncpg's own acquire (PoolAcquireContext calls it): the lane's connections go back first.
        self._waiting += 1
        try:
            await self._drain_lane()
            return await super()._acquire(timeout)  # type: ignore[misc]  # asyncpg-stubs omit it
        finally:
            self._waiting -= 1

    async def _drain_lane(self) -> None:
        while self._lane:
            await self._give_back(self._lane.pop()[0])

    def get_idle_size(self) -> int:
        return super().get_idle_size() + len(self._lane)

    async def expire_connections(self) -> None:
        await self._drain_lane()
        await super().expire_connections()

    async def close(self) -> None:
        # Statements whose callers were answered at the deadline finish first (each is bounded by
        # the deadline for its connection and the statement timeout), so none is cut off mid-way
        # or opens a connection into a closing pool.
        pending = self._abandoned | self._returning
        if pending:
            await asyncio.wait(pending, timeout=2 * self.deadline_s)
        await self._drain_lane()
        self._stop_lane_timer()
        await super().close()

    def terminate(self) -> None:
        self._lane.clear()  # asyncpg terminates every connection, checked out or not
        self._stop_lane_timer()
        super().terminate()

    def _stop_lane_timer(self) -> None:
        if self._lane_timer is not None:
            self._lane_timer.cancel()
            self._lane_timer = None

    def _reusable(self, connection: Any) -> bool:
        """Whether a pooled connection may run the lane's next statement: open, not in a
        transaction, still checked out (asyncpg takes back a connection that closes, whoever holds
        it) and not expired by `expire_connections()` meanwhile."""
        try:
            if connection.is_closed() or connection.is_in_transaction():
                return False
        except asyncpg.InterfaceError:  # released by asyncpg itself when it closed
            return False
        holder = getattr(connection, "_holder", None)
        return getattr(holder, "_generation", None) == getattr(self, "_generation", None)

    async def _give_back(self, connection: Any) -> None:
        """Pool.release without asyncio.shield (what it does before the shield, then the holder's
        release), where this asyncpg has the parts it uses; else Pool.release itself. Nothing to do
        for a connection asyncpg already took back (it closed)."""
        holder = getattr(connection, "_holder", None)
        inner = getattr(connection, "_con", None)
        if inner is None and _DIRECT_RELEASE:
            return
        if not (_DIRECT_RELEASE and holder is not None and inner is not None and holder._pool is self):
            await self.release(connection)
            return
        inner._on_release()
        await holder.release(None)


# Statements a connection runs from the lane before it goes back through the pool once.
LANE_REUSE = 1000

# The private parts of asyncpg that _give_back and _acquire rely on (checked once; tests/db/test_pool.py
# fails if an upgrade removes them, so the fallback is never taken unnoticed).
_DIRECT_RELEASE = all(
    (
        hasattr(asyncpg.pool, "PoolConnectionProxy"),
        callable(getattr(asyncpg.pool.PoolConnectionHolder, "release", None)),
        callable(getattr(asyncpg.Connection, "_on_release", None)),
        callable(getattr(asyncpg.Pool, "_acquire", None)),
    )
)


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeout_s: float | None = None,
    statement_cache_size: int = 100,
) -> asyncpg.Pool:
    """Opens the pool. With `timeout_s`
    (DB_TIMEOUT_S for the service) no operation waits longer than that for the database.
    `statement_cache_size` is asyncpg's (DB_STATEMENT_CACHE_SIZE; 0 behind PgBouncer's transaction
    pooling, where a prepared statement may not outlive its transaction)."""
    if timeout_s is None:
        pool = await asyncpg.create_pool(
            dsn=dsn,
            min_size=min_size,
            max_size=max_size,
            init=_init_connection,
            reset=_keep_session,
            command_timeout=30,
            statement_cache_size=statement_cache_size,
        )
        assert pool is not None
        return pool
    deadline_pool = DeadlinePool(
        dsn,
        deadline_s=timeout_s,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        init=_init_connection,
        reset=_keep_session,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        command_timeout=timeout_s,
        timeout=timeout_s,  # establishing a connection
        statement_cache_size=statement_cache_size,
    )
    await deadline_pool
    return deadline_pool
