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


async def test_explicit_acquire_gets_the_connections_the_statement_lane_keeps(
    deadline_pool: DeadlinePool,
) -> None:
    await asyncio.gather(*(deadline_pool.fetchval("SELECT pg_sleep(0.05)") for _ in range(SIZE)))
    assert len(deadline_pool._lane) == SIZE  # every connection kept for the next statement

    async def hold_one() -> int:
        async with deadline_pool.acquire() as connection:
            await connection.execute("SELECT pg_sleep(0.05)")
            return int(await connection.fetchval("SELECT 1"))

    # As many explicit acquires as connections: each must get one (the acquire deadline is 1 s).
    assert await asyncio.gather(*(hold_one() for _ in range(SIZE))) == [1] * SIZE
    assert deadline_pool.get_idle_size() == SIZE


async def test_statements_waiting_for_a_connection_get_one_from_those_finishing(
    deadline_pool: DeadlinePool,
) -> None:
    # Four times more statements than connections at once: each finishing statement hands its
    # connection on instead of keeping it idle in the lane while others wait.
    answers = await asyncio.gather(
        *(deadline_pool.fetchval("SELECT $1::int FROM pg_sleep(0.01)", n) for n in range(SIZE * 4))
    )
    assert answers == list(range(SIZE * 4))


async def test_a_connection_that_died_in_the_lane_is_not_used_again(
    deadline_pool: DeadlinePool, database_dsn: str
) -> None:
    pids = await asyncio.gather(
        *(deadline_pool.fetchval("SELECT pg_backend_pid() FROM pg_sleep(0.05)") for _ in range(SIZE))
    )
    assert len(deadline_pool._lane) == SIZE
    admin = await asyncpg.connect(database_dsn)
    try:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", list(pids))
    finally:
        await admin.close()

    async def all_noticed() -> bool:
        return all(not deadline_pool._reusable(entry[0]) for entry in deadline_pool._lane)

    await wait_for(all_noticed, timeout_s=10, what="the client noticing its connections closed")
    new_pids = [await deadline_pool.fetchval("SELECT pg_backend_pid()") for _ in range(SIZE * 2)]
    assert not set(new_pids) & set(pids)


async def test_a_transaction_left_open_by_a_statement_does_not_reach_the_next_one(
    deadline_pool: DeadlinePool,
) -> None:
    await deadline_pool.execute("BEGIN")
    # Inside one transaction txid_current() answers the same id every time; outside, a new one.
    ids = [await deadline_pool.fetchval("SELECT txid_current()") for _ in range(SIZE * 2)]
    assert len(set(ids)) == len(ids)
    open_transactions = await deadline_pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%'"
    )
    assert open_transactions == 0


async def test_connections_unused_in_the_lane_go_back_to_the_pool(deadline_pool: DeadlinePool) -> None:
    deadline_pool.lane_idle_s = 0.2  # the pool's inactivity limit (5 minutes by default)
    await asyncio.gather(*(deadline_pool.fetchval("SELECT pg_sleep(0.05)") for _ in range(SIZE)))
    assert len(deadline_pool._lane) == SIZE

    async def back_in_the_pool() -> bool:
        return not deadline_pool._lane and asyncpg.Pool.get_idle_size(deadline_pool) == SIZE

    assert await wait_for(back_in_the_pool, timeout_s=10, what="the idle lane given back to the pool")
    assert await deadline_pool.fetchval("SELECT 1") == 1  # and the lane fills again
    assert len(deadline_pool._lane) == 1


async def test_a_statement_answered_at_the_deadline_never_runs_later(deadline_pool: DeadlinePool) -> None:
    # Its own schema, dropped afterwards: the run's database must keep matching the Prisma schema.
    await deadline_pool.execute("CREATE SCHEMA IF NOT EXISTS pool_test")
    await deadline_pool.execute("CREATE TABLE IF NOT EXISTS pool_test.late (n int)")
    try:
        held = [await deadline_pool.acquire() for _ in range(SIZE)]  # every connection taken
        try:
            results = await asyncio.gather(
                *(deadline_pool.execute("INSERT INTO pool_test.late VALUES ($1)", n) for n in range(5)),
                return_exceptions=True,
            )
            assert all(isinstance(result, TimeoutError) for result in results)

            async def gave_up() -> bool:  # the statements' own tasks stop waiting at the deadline too
                return not deadline_pool._abandoned

            await wait_for(gave_up, timeout_s=10, what="the abandoned statements giving up")
        finally:
            for connection in held:
                await deadline_pool.release(connection)
        assert await deadline_pool.fetchval("SELECT count(*) FROM pool_test.late") == 0
    finally:
        await deadline_pool.execute("DROP SCHEMA pool_test CASCADE")


async def test_expired_connections_are_not_used_again_even_if_busy_when_expired(
    deadline_pool: DeadlinePool,
) -> None:
    before = set(
        await asyncio.gather(
            *(deadline_pool.fetchval("SELECT pg_backend_pid() FROM pg_sleep(0.05)") for _ in range(SIZE))
        )
    )
    running = asyncio.ensure_future(deadline_pool.fetchval("SELECT pg_backend_pid() FROM pg_sleep(0.3)"))

    async def started() -> bool:
        return len(deadline_pool._lane) < SIZE  # the running statement took its connection

    await wait_for(started, timeout_s=5, what="the statement taking a connection")
    await deadline_pool.expire_connections()
    assert await running in before
    after = {await deadline_pool.fetchval("SELECT pg_backend_pid()") for _ in range(SIZE * 2)}
    assert not after & before
