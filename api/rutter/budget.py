"""One Rutter call budget per organization, shared by every process: a token bucket in PostgreSQL.

Every Rutter call (create, job poll, PDF link) takes a token before it is sent (`before_call`). The
bucket (`rutter_budget`, one row per organization) holds at most `burst` tokens and refills at
`(limit - burst) / (window + lease_ttl)` tokens a second, so whatever the processes do, no window of
`RUTTER_RATE_WINDOW_S` sees more than `RUTTER_RATE_LIMIT` calls sent (Rutter's own limit is a count
per window, so a bucket as large as the limit would allow twice the limit in one window).

- **One short statement per take**, and fewer than one per call: a process takes up to
  `RUTTER_BUDGET_LEASE` tokens at once when the bucket has them, keeps them at most `LEASE_TTL_S`
  (unused ones are dropped, never sent late), and spends them without a round trip.
- **Interactive calls first.** Calls of `POST /invoices` and the other endpoints take whenever a
  token is there; batch jobs and the recovery sweep (`use_priority(BATCH)`) leave the last
  `reserve` tokens of the bucket to them, so an interactive call finds tokens at once even while
  batches drain the refill.
- **429 or 452 pauses the organization for everyone**: the bucket is emptied and paused until
  `Retry-After` (+ jitter) on the database clock; every process's next take waits for it. A process
  may still spend the few tokens it had leased before it saw the pause (at most LEASE - 1 calls,
  within LEASE_TTL_S).

The organization and the priority of the calls come from context variables, set where they are known
(`use_organization` when the charge is loaded, `use_priority` by batch workers and the sweep), so
that the client's signature stays as it is. The budget is found from the client's HTTP session
(`attach`), which the app creates with it; a session without a budget (unit tests, CLIs) calls freely.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import Enum

import aiohttp
import asyncpg

from api.config import Settings
from api.rutter.errors import RutterNotReached

logger = logging.getLogger("api.rutter.budget")

# Leased tokens older than this are dropped unused, so a lease never delays a call past the window.
LEASE_TTL_S = 0.25
# Longest single wait before asking the bucket again (a pause or a refill may come sooner elsewhere).
MAX_WAIT_S = 1.0
# When Retry-After is absent, a 429/452 pauses the organization this long.
DEFAULT_PAUSE_S = 1.0
# The bucket key of calls made outside any organization's context.
NO_ORGANIZATION = "*"


class Priority(Enum):
    INTERACTIVE = "interactive"
    BATCH = "batch"


_organization: ContextVar[str | None] = ContextVar("rutter_budget_organization", default=None)
_priority: ContextVar[Priority] = ContextVar("rutter_budget_priority", default=Priority.INTERACTIVE)


def use_organization(organization_id: str | None) -> None:
    """The Rutter calls that follow in this task are this organization's."""
    _organization.set(organization_id)


def use_priority(priority: Priority) -> None:
    """The Rutter calls that follow in this task have this priority (batch leaves the reserve alone)."""
    _priority.set(priority)


def retry_jitter_s(retry_after_s: float) -> float:
    """Random extra wait added to a Retry-After, so that waiters do not all come back at once."""
    return random.uniform(0.0, min(1.0, 0.05 + 0.1 * retry_after_s))


@dataclass(frozen=True)
class BucketShape:
    """Capacity, refill and reserve of every organization's bucket, from the settings."""

    burst: float
    rate_per_s: float
    reserve: float
    lease: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BucketShape:
        limit = settings.rutter_rate_limit
        burst = settings.rutter_rate_burst or max(2, limit // 20)
        burst = min(burst, limit)
        reserve = min(math.floor(burst * settings.rutter_interactive_share), burst - 1)
        rate = (limit - burst) / (settings.rutter_rate_window_s + LEASE_TTL_S)
        return cls(
            burst=float(burst),
            rate_per_s=max(rate, 1e-3),
            reserve=float(max(reserve, 0)),
            lease=max(1, settings.rutter_budget_lease),
        )


# One statement: refill on the database clock, grant up to $4 tokens above the floor $5 unless
# paused, and say how far the bucket is from granting. Row locks serialise the processes per org.
TAKE = """
WITH now AS (SELECT clock_timestamp() AS t),
cur AS (
    SELECT b.organization_id, b.paused_until, now.t,
           LEAST($2::float8, b.tokens + GREATEST(extract(epoch FROM now.t - b.refilled_at)::float8, 0)
                 * $3::float8) AS avail
    FROM rutter_budget b, now
    WHERE b.organization_id = $1
    FOR UPDATE OF b
),
g AS (
    SELECT cur.*,
           CASE WHEN cur.paused_until > cur.t THEN 0
                ELSE GREATEST(LEAST($4::int, floor(cur.avail - $5::float8)::int), 0) END AS granted
    FROM cur
),
upd AS (
    UPDATE rutter_budget b SET tokens = g.avail - g.granted, refilled_at = g.t
    FROM g WHERE b.organization_id = g.organization_id AND g.granted > 0
)
SELECT granted, avail, GREATEST(extract(epoch FROM paused_until - t)::float8, 0) AS paused_s FROM g
"""

CREATE = """
INSERT INTO rutter_budget (organization_id, tokens, refilled_at) VALUES ($1, $2, clock_timestamp())
ON CONFLICT (organization_id) DO NOTHING
"""

# Empty the bucket and stop refilling it until the pause ends (refill restarts from zero then).
PAUSE = """
UPDATE rutter_budget
SET paused_until = GREATEST(COALESCE(paused_until, '-infinity'),
                            clock_timestamp() + make_interval(secs => $2)),
    tokens = LEAST(tokens, 0),
    refilled_at = GREATEST(refilled_at, clock_timestamp() + make_interval(secs => $2))
WHERE organization_id = $1
"""


@dataclass
class _Leased:
    """Tokens this process took and has not spent yet, each good until its expiry (monotonic)."""

    expiries: list[float] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class BudgetWaitTooLong(Exception):
    """The organization's bucket grants no call before the caller's time is up."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"the organization's Rutter calls wait {wait_s:.1f} s more")
        self.wait_s = wait_s


class RutterBudget:
    """The shared budget, as seen by one process (one pool)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        shape: BucketShape,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self.shape = shape
        self._clock = clock
        self._leased: dict[tuple[str, Priority], _Leased] = {}
        self.statements = 0  # round trips to the bucket (for tests and benchmarks)
        self.waits = 0  # times a take found the bucket empty or paused and waited

    async def try_take(self, organization_id: str, priority: Priority = Priority.INTERACTIVE) -> float | None:
        """Takes one call's token without waiting: None when taken, else the seconds to wait first."""
        leased = self._leased.setdefault((organization_id, priority), _Leased())
        async with leased.lock:
            now = self._clock()
            leased.expiries = [expiry for expiry in leased.expiries if expiry > now]
            if not leased.expiries:
                wait_s = await self._take_from_bucket(organization_id, priority, leased)
                if wait_s is None and not leased.expiries:  # the row was just created
                    wait_s = await self._take_from_bucket(organization_id, priority, leased)
                if wait_s is not None:
                    return wait_s
            leased.expiries.pop()
            return None

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, settings: Settings) -> RutterBudget | None:
        """The budget the settings ask for; None when RUTTER_RATE_LIMIT is 0 (no budget)."""
        if settings.rutter_rate_limit <= 0:
            return None
        return cls(pool, BucketShape.from_settings(settings))

    async def take(
        self,
        organization_id: str | None = None,
        priority: Priority | None = None,
        *,
        max_wait_s: float | None = None,
    ) -> None:
        """Waits until the organization's bucket grants this process one call, and spends it.
        An interactive call raises BudgetWaitTooLong, without waiting, when the bucket says the
        wait ends past `max_wait_s` from now (a long pause after a 429, say): somebody waits for
        its answer. Batch calls (workers, the sweep) wait as long as it takes."""
        key = organization_id or _organization.get() or NO_ORGANIZATION
        priority = priority or _priority.get()
        give_up_at = None if max_wait_s is None or priority is Priority.BATCH else self._clock() + max_wait_s
        leased = self._leased.setdefault((key, priority), _Leased())
        async with leased.lock:
            while True:
                now = self._clock()
                leased.expiries = [expiry for expiry in leased.expiries if expiry > now]
                if leased.expiries:
                    leased.expiries.pop()
                    return
                wait_s = await self._take_from_bucket(key, priority, leased)
                if wait_s is None:
                    continue
                if give_up_at is not None and self._clock() + wait_s > give_up_at:
                    raise BudgetWaitTooLong(wait_s)
                self.waits += 1
                await asyncio.sleep(min(wait_s, MAX_WAIT_S) + random.uniform(0, 0.02))

    async def _take_from_bucket(self, key: str, priority: Priority, leased: _Leased) -> float | None:
        """One statement; None when tokens were granted (now in `leased`), else seconds to wait."""
        shape = self.shape
        floor = shape.reserve if priority is Priority.BATCH else 0.0
        self.statements += 1
        row = await self._pool.fetchrow(TAKE, key, shape.burst, shape.rate_per_s, shape.lease, floor)
        if row is None:
            self.statements += 1
            await self._pool.execute(CREATE, key, shape.burst)
            return None
        granted: int = row["granted"]
        if granted > 0:
            expiry = self._clock() + LEASE_TTL_S
            leased.expiries.extend([expiry] * granted)
            return None
        if row["paused_s"] > 0:
            return float(row["paused_s"])
        return max((floor + 1 - float(row["avail"])) / shape.rate_per_s, 0.001)

    async def pause(self, retry_after_s: float | None, organization_id: str | None = None) -> float:
        """Rutter said 429/452: pauses the organization for every process; returns the pause."""
        key = organization_id or _organization.get() or NO_ORGANIZATION
        base = DEFAULT_PAUSE_S if retry_after_s is None else retry_after_s
        pause_s = base + retry_jitter_s(base)
        for (organization, _), leased in self._leased.items():
            if organization == key:
                leased.expiries.clear()
        self.statements += 1
        await self._pool.execute(PAUSE, key, pause_s)
        logger.warning("rutter_budget_paused", extra={"organization_id": key, "pause_s": round(pause_s, 3)})
        return pause_s


_BUDGETS: weakref.WeakKeyDictionary[aiohttp.ClientSession, RutterBudget] = weakref.WeakKeyDictionary()


def attach(session: aiohttp.ClientSession, budget: RutterBudget | None) -> None:
    """Every Rutter client on `session` takes from `budget` (None: calls are not budgeted)."""
    if budget is None:
        _BUDGETS.pop(session, None)
    else:
        _BUDGETS[session] = budget


def budget_of(session: aiohttp.ClientSession) -> RutterBudget | None:
    return _BUDGETS.get(session)


async def before_call(session: aiohttp.ClientSession, *, max_wait_s: float | None = None) -> None:
    """The client's hook before sending: waits for the organization's budget; an interactive call
    at most `max_wait_s` (what is left of its retry budget). A longer wait (the organization
    paused by a 429's Retry-After, say) is not waited for: RutterNotReached at once, as the 429
    itself was answered."""
    budget = _BUDGETS.get(session)
    if budget is None:
        return
    try:
        await budget.take(max_wait_s=max_wait_s)
    except BudgetWaitTooLong as exc:
        raise RutterNotReached(
            f"not sent: {exc}, past this call's retry budget", retry_after=exc.wait_s
        ) from None
    except Exception as exc:
        # The database being away must not stop a call already under way (Rutter's own 429 remains).
        logger.warning("rutter_budget_unavailable", extra={"error": type(exc).__name__})


async def after_rate_limited(session: aiohttp.ClientSession, retry_after_s: float | None) -> None:
    """The client's hook on a 429/452: pauses the organization for every process (best effort: the
    database being away must not turn the answer into another error)."""
    budget = _BUDGETS.get(session)
    if budget is None:
        return
    try:
        await budget.pause(retry_after_s)
    except Exception as exc:
        logger.warning("rutter_budget_pause_failed", extra={"error": type(exc).__name__})
