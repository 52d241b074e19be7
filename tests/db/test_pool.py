"""The service's pool (api.db.pool.DeadlinePool): every operation within the deadline, and every
connection back in the pool afterwards, whichever way the operation ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from api.db import pool as pool_module
from api.db.pool import DeadlinePool, create_pool
from devkit.client import wait_for

SIZE = 3


@pytest.fixture
async def deadline_pool(database_dsn: str) -> AsyncIterator[DeadlinePool]:
    pool = await create_pool(database_dsn, min_size=SIZE, max_size=SIZE, timeout_s=1.0)
    assert isinstance(pool, DeadlinePool)
    try:
        yield pool
    finally:
        await pool.close()


def test_this_asyncpg_has_what_the_direct_release_uses() -> None:
    # If an asyncpg upgrade drops a private part the pool relies on, it falls back to Pool.release
    # (correct, slower): this test is what says so.
    assert pool_module._DIRECT_RELEASE


async def test_every_operation_gives_its_connection_back(deadline_pool: DeadlinePool) -> None:
    await deadline_pool.execute("CREATE TEMP TABLE IF NOT EXISTS t_pool (n int)")
    answers = await asyncio.gather(
        *(deadline_pool.fetchval("SELECT $1::int * 2", n) for n in range(50)),
        deadline_pool.fetch("SELECT generate_series(1, 3) AS n"),
        deadline_pool.fetchrow("SELECT 7 AS n"),
        deadline_pool.execute("SELECT 1"),
    )

    assert answers[:50] == [n * 2 for n in range(50)]
    assert [row["n"] for row in answers[50]] == [1, 2, 3]
    assert answers[51]["n"] == 7
    assert deadline_pool.get_idle_size() == SIZE


async def test_a_failed_statement_gives_its_connection_back_and_rolls_nothing_over(
    deadline_pool: DeadlinePool,
) -> None:
    for _ in range(SIZE * 2):  # more failures than connections: a leak would exhaust the pool
        with pytest.raises(asyncpg.PostgresError):
            await deadline_pool.fetchval("SELECT 1 / 0")

    assert await deadline_pool.fetchval("SELECT 41 + 1") == 42
    assert deadline_pool.get_idle_size() == SIZE


async def test_past_the_deadline_the_caller_is_answered_and_the_connection_comes_back(
    deadline_pool: DeadlinePool,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await deadline_pool.execute("SELECT pg_sleep(1.5)")  # the deadline is 1 s
    assert loop.time() - started < 1.4  # answered at the deadline, not when the statement ended

    async def all_idle() -> bool:
        return deadline_pool.get_idle_size() == SIZE

    # The statement finishes on its own and its connection is given back.
    assert await wait_for(all_idle, timeout_s=10, what="the abandoned statement's connection back")
    assert await deadline_pool.fetchval("SELECT 1") == 1
