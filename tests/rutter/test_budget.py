"""The shared Rutter budget on a real database: two pools stand for two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from aioresponses import aioresponses

from api.config import Settings
from api.db.pool import create_pool
from api.rutter import budget
from api.rutter.budget import LEASE_TTL_S, BucketShape, BudgetWaitTooLong, Priority, RutterBudget
from api.rutter.client import RutterClient, create_body
from api.rutter.errors import RutterNotReached, RutterUnavailable
from tests.rutter.conftest import ACCESS_TOKEN, INVOICES_URL, FakeTime, make_settings

ORG = "0b7c2f4e-0000-4000-8000-00000000b0d9"
# A bucket that practically does not refill during a test: what is granted is what the burst allowed.
NO_REFILL = 1e-6


@pytest.fixture
async def other_pool(db: asyncpg.Pool, database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A second, independent pool on the same database: another process's view."""
    pool = await create_pool(database_dsn, min_size=1, max_size=2)
    yield pool
    await pool.close()


def shape(burst: float, *, reserve: float = 0, lease: int = 1, rate: float = NO_REFILL) -> BucketShape:
    return BucketShape(burst=burst, rate_per_s=rate, reserve=reserve, lease=lease)


async def grants(bucket: RutterBudget, count: int, priority: Priority = Priority.INTERACTIVE) -> int:
    granted = 0
    for _ in range(count):
        if await bucket.try_take(ORG, priority) is None:
            granted += 1
    return granted


async def test_two_processes_share_one_bucket(db: asyncpg.Pool, other_pool: asyncpg.Pool) -> None:
    first, second = RutterBudget(db, shape(6)), RutterBudget(other_pool, shape(6))

    assert await grants(first, 4) == 4
    assert await grants(second, 4) == 2  # the other process already spent four of the six

    wait = await first.try_take(ORG)
    assert wait is not None and wait > 1000  # nothing left, and the refill is negligible


async def test_a_429_seen_by_one_process_pauses_the_organization_for_the_other(
    db: asyncpg.Pool, other_pool: asyncpg.Pool
) -> None:
    first, second = RutterBudget(db, shape(50)), RutterBudget(other_pool, shape(50))
    assert await second.try_take(ORG) is None

    pause_s = await first.pause(2.0, ORG)

    assert 2.0 <= pause_s <= 2.0 + 0.25  # Retry-After plus jitter
    wait = await second.try_take(ORG)
    assert wait is not None and 1.5 < wait <= pause_s


async def test_the_client_pauses_the_shared_bucket_on_429(
    db: asyncpg.Pool,
    other_pool: asyncpg.Pool,
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    fake_time: FakeTime,
) -> None:
    other = RutterBudget(other_pool, shape(50))
    mine = RutterBudget(db, shape(50))
    budget.attach(session, mine)
    client = RutterClient(session, make_settings(), sleep=fake_time.sleep, clock=fake_time.clock)
    budget.use_organization(ORG)
    mocked.post(INVOICES_URL, status=429, headers={"Retry-After": "30"}, repeat=True)

    with pytest.raises(RutterUnavailable):  # Retry-After 30 outlasts the retry budget
        await client.create_invoice(create_body({}), access_token=ACCESS_TOKEN, idempotency_key="k")

    assert fake_time.sleeps == []
    wait = await other.try_take(ORG)
    assert wait is not None and wait > 25


async def test_a_call_the_pause_outlasts_is_not_sent_and_fails_at_once(
    db: asyncpg.Pool, session: aiohttp.ClientSession, mocked: aioresponses, fake_time: FakeTime
) -> None:
    # Another request's 429 paused the organization for 30 s, longer than this call's retry budget:
    # it is answered now, as the 429 was, instead of holding its request (and a handler) for 30 s.
    mine = RutterBudget(db, shape(50))
    budget.attach(session, mine)
    client = RutterClient(session, make_settings(), sleep=fake_time.sleep, clock=fake_time.clock)
    budget.use_organization(ORG)
    assert await mine.try_take(ORG) is None  # the organization's bucket exists
    await mine.pause(30.0, ORG)
    mocked.post(INVOICES_URL, status=500, repeat=True)  # never reached

    async with asyncio.timeout(5):
        with pytest.raises(RutterNotReached) as raised:
            await client.create_invoice(create_body({}), access_token=ACCESS_TOKEN, idempotency_key="k")

    assert "past this call's retry budget" in str(raised.value.__cause__)
    assert fake_time.sleeps == []
    assert mocked.requests == {}


async def test_a_wait_within_the_callers_time_is_waited_for(db: asyncpg.Pool) -> None:
    bucket = RutterBudget(db, shape(1, rate=50.0))
    for _ in range(3):
        await bucket.take(ORG, max_wait_s=1.0)  # one from the burst, then one per refill (20 ms)
    assert bucket.waits >= 1
    await bucket.pause(30.0, ORG)
    with pytest.raises(BudgetWaitTooLong) as raised:
        await bucket.take(ORG, max_wait_s=1.0)
    assert 25 < raised.value.wait_s <= 35
    # A batch call waits the pause out (nobody waits for its answer): still waiting after 0.3 s.
    batch_take = asyncio.create_task(bucket.take(ORG, Priority.BATCH, max_wait_s=1.0))
    done, _ = await asyncio.wait([batch_take], timeout=0.3)
    assert not done
    batch_take.cancel()


async def test_batch_calls_leave_the_interactive_share_alone(db: asyncpg.Pool) -> None:
    bucket = RutterBudget(db, shape(10, reserve=5))

    assert await grants(bucket, 10, Priority.BATCH) == 5
    assert await bucket.try_take(ORG, Priority.BATCH) is not None
    assert await grants(bucket, 10, Priority.INTERACTIVE) == 5


async def test_leasing_takes_several_tokens_per_statement(db: asyncpg.Pool) -> None:
    bucket = RutterBudget(db, shape(100, lease=4))

    assert await grants(bucket, 40) == 40

    assert bucket.statements <= 12  # one statement per four calls (+ two to create the bucket)
    tokens = await db.fetchval("SELECT tokens FROM rutter_budget WHERE organization_id = $1", ORG)
    assert tokens == pytest.approx(60, abs=0.01)


async def test_take_waits_for_the_refill_instead_of_failing(db: asyncpg.Pool) -> None:
    bucket = RutterBudget(db, shape(1, rate=50.0))
    for _ in range(5):
        await bucket.take(ORG)  # one from the burst, then one per refill
    assert bucket.waits >= 3


def test_no_window_sees_more_than_the_limit() -> None:
    for limit, window in ((450, 10.0), (100, 10.0), (5, 1.0)):
        settings = Settings(rutter_rate_limit=limit, rutter_rate_window_s=window)
        s = BucketShape.from_settings(settings)
        # A window sees at most a full bucket plus what refills during it (and during a lease's life).
        assert s.burst + s.rate_per_s * (window + LEASE_TTL_S) <= limit + 1e-9
        assert s.rate_per_s * window >= 0.8 * limit - s.burst
        assert 0 <= s.reserve < s.burst


def test_no_budget_when_the_limit_is_zero(pool: asyncpg.Pool) -> None:
    assert RutterBudget.from_settings(pool, Settings(rutter_rate_limit=0)) is None
