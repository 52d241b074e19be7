"""Retries for Rutter calls: exponential backoff with full jitter, a cap and a total time budget.

Only `RutterUnavailable` failures (network, 408, 425, 429, 452, 5xx) are retried; anything else
(a rejection, a malformed answer) is raised at once. A wait Rutter asks for with `Retry-After` is
honoured, plus a little jitter, as long as it fits in the budget; when it does not, we give up now
instead of sleeping in vain.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_random_exponential

from api.config import Settings
from api.rutter.budget import retry_jitter_s
from api.rutter.errors import RutterNotReached, RutterOutcomeUnknown, RutterUnavailable

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one call: at most `attempts` tries within `budget_s` seconds in all."""

    attempts: int = 5
    budget_s: float = 15.0
    initial_wait_s: float = 0.5
    max_wait_s: float = 8.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            attempts=settings.rutter_retry_attempts,
            budget_s=settings.rutter_retry_budget_s,
            initial_wait_s=settings.rutter_retry_initial_s,
            max_wait_s=settings.rutter_retry_max_wait_s,
        )


async def call_with_retries(
    attempt_call: Callable[[int], Awaitable[T]],
    *,
    policy: RetryPolicy,
    sleep: Sleep,
    clock: Clock,
    budget_s: float | None = None,
    applies_changes: bool = False,
) -> T:
    """Runs `attempt_call(attempt_number)` until it returns, fails for good, or attempts or budget run out.

    `budget_s` overrides the policy's budget (a job poll may not outlive its deadline). When retries
    run out the error says what is known: `RutterOutcomeUnknown` if `applies_changes` and any attempt
    may have been applied (so the caller keeps the Idempotency-Key and reconciles), `RutterNotReached`
    if no attempt reached Rutter, else `RutterUnavailable`; the last attempt's error is its cause.
    """
    budget = policy.budget_s if budget_s is None else budget_s
    started = clock()
    failures: list[RutterUnavailable] = []
    # The first attempt runs on its own: most calls succeed at once and need none of the machinery.
    try:
        return await attempt_call(1)
    except RutterUnavailable as failure:
        failures.append(failure)

    async def replay_first_then_call(attempt_number: int) -> T:
        if attempt_number == 1:
            raise failures[0]  # tenacity's view of the attempt made above: it decides what follows
        return await attempt_call(attempt_number)

    backoff = wait_random_exponential(multiplier=policy.initial_wait_s, max=policy.max_wait_s)

    def next_wait(state: RetryCallState) -> float:
        retry_after = failures[-1].retry_after if failures else None
        # Retry-After plus jitter: the processes told to wait do not all come back at the same instant.
        return backoff(state) if retry_after is None else retry_after + retry_jitter_s(retry_after)

    def give_up(state: RetryCallState) -> bool:
        # tenacity computes the wait before asking whether to stop, so a wait past the budget stops now.
        out_of_time = clock() - started + state.upcoming_sleep > budget
        return state.attempt_number >= policy.attempts or out_of_time

    retrying = AsyncRetrying(
        sleep=sleep,
        wait=next_wait,
        stop=give_up,
        retry=retry_if_exception_type(RutterUnavailable),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                try:
                    return await replay_first_then_call(number)
                except RutterUnavailable as failure:
                    if number > 1:
                        failures.append(failure)
                    raise
    except RutterUnavailable as last:
        raise _exhausted(failures, applies_changes=applies_changes, seconds=clock() - started) from last
    raise AssertionError("tenacity ended without an outcome")  # pragma: no cover


def _exhausted(
    failures: list[RutterUnavailable], *, applies_changes: bool, seconds: float
) -> RutterUnavailable:
    last = failures[-1]
    what = f"HTTP {last.last_status}" if last.last_status is not None else "no HTTP answer"
    summary = f"after {len(failures)} attempt(s) in {seconds:.1f} s (last: {what})"
    if applies_changes and any(isinstance(failure, RutterOutcomeUnknown) for failure in failures):
        return RutterOutcomeUnknown(
            f"Rutter may or may not have applied the request {summary}; retry with the same Idempotency-Key",
            last_status=last.last_status,
            attempts=len(failures),
        )
    if all(isinstance(failure, RutterNotReached) for failure in failures):
        return RutterNotReached(
            f"Rutter could not be reached {summary}", last_status=None, attempts=len(failures)
        )
    return RutterUnavailable(
        f"Rutter kept failing {summary}", last_status=last.last_status, attempts=len(failures)
    )
