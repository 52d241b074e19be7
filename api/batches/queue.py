"""The durable job queue under batches: pgqueuer (asyncpg, like the rest of the service).

Every charge of a batch is one job (`invoice_batch_item`, payload: the batch id and the charge's
position), enqueued in the transaction that records the batch, so a batch never exists without its
jobs. pgqueuer owns its tables (`pgqueuer`, `pgqueuer_log`, `pgqueuer_statistics`, ...), kept in a
PostgreSQL schema of their own (`pgqueuer`, beside Prisma's `public`): they are installed by
pgqueuer itself the first time a process needs them (`ensure_schema`), under its advisory lock,
rather than copied into the service's migrations.

A job picked by a worker that dies (no heartbeat for BATCH_JOB_HEARTBEAT_S) is picked again by
another; a job asking for a retry (`RetryRequested`) is queued again after a delay.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import asyncpg
from pgqueuer.adapters.persistence.qb import (
    DBSettings,
    QueryBuilderEnvironment,
    QueryQueueBuilder,
    QuerySchedulerBuilder,
)
from pgqueuer.db import AsyncpgDriver, AsyncpgPoolDriver
from pgqueuer.queries import Queries

from api.batches.repository import Connection

logger = logging.getLogger("api.batches.queue")

ENTRYPOINT = "invoice_batch_item"
# pgqueuer's objects live in this schema, out of the way of the Prisma-managed `public` schema.
QUEUE_SCHEMA = "pgqueuer"
QUEUE_SETTINGS = DBSettings(db_schema=QUEUE_SCHEMA)


def queries_for(connection: asyncpg.Pool | Connection) -> Queries:
    """pgqueuer's queries on a pool, or on one connection (the caller's transaction)."""
    driver = (
        AsyncpgPoolDriver(connection) if isinstance(connection, asyncpg.Pool) else AsyncpgDriver(connection)  # type: ignore[arg-type]  # a pooled connection works too
    )
    return Queries(
        driver,
        qbe=QueryBuilderEnvironment(QUEUE_SETTINGS),
        qbq=QueryQueueBuilder(QUEUE_SETTINGS),
        qbs=QuerySchedulerBuilder(QUEUE_SETTINGS),
    )


_installed: set[str] = set()
_install_lock = asyncio.Lock()


@dataclass(frozen=True)
class ItemJob:
    batch_id: str
    position: int

    def payload(self) -> bytes:
        return json.dumps({"batch_id": self.batch_id, "position": self.position}).encode()

    @classmethod
    def parse(cls, payload: bytes | None) -> ItemJob:
        data = json.loads(payload or b"{}")
        return cls(batch_id=str(data["batch_id"]), position=int(data["position"]))


async def ensure_schema(dsn: str, *, timeout_s: float = 10.0) -> None:
    """Installs pgqueuer's tables when missing (once per process and database)."""
    if dsn in _installed:
        return
    async with _install_lock:
        if dsn in _installed:
            return
        connection = await asyncpg.connect(dsn, timeout=timeout_s)
        try:
            queries = queries_for(connection)
            async with queries.schema_lock():
                if not await queries.schema_is_installed():
                    await queries.install()
                    logger.info("queue_schema_installed")
        finally:
            await connection.close()
        _installed.add(dsn)


async def enqueue_items(connection: Connection, batch_id: str, count: int) -> None:
    """One job per item, in one statement, in the caller's transaction."""
    if count == 0:
        return
    await queries_for(connection).enqueue(
        [ENTRYPOINT] * count,
        [ItemJob(batch_id, position).payload() for position in range(count)],
        [0] * count,
    )
