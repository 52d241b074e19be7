"""The fault scenarios, the service's settings for the fault runs, and what one run does."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# The service's settings for the bench: short job deadline, short lease, quick retries.
# The first poll comes 0.25 s after the job id is stored while jobs take 0.05 s, and a retry after a
# dropped connection waits up to 0.1 s: wide enough windows for a random SIGKILL to land in them too.
BENCH_SERVICE_SETTINGS: dict[str, object] = {
    "rutter_job_timeout_s": 0.6,
    "rutter_poll_initial_s": 0.25,
    "rutter_poll_max_s": 0.1,
    "rutter_request_timeout_s": 2,
    "rutter_retry_attempts": 3,
    "rutter_retry_budget_s": 1.5,
    "rutter_retry_initial_s": 0.1,
    "rutter_retry_max_wait_s": 0.2,
    "recovery_interval_s": 0.25,
    "invoice_lease_s": 1.5,
    "db_pool_max_size": 20,
}
FAST_JOB_LATENCY_S = 0.05
SLOW_JOB_LATENCY_S = 1.0  # above rutter_job_timeout_s: the first answer is 202
RUN_DEADLINE_S = 60.0
SETTLE_DEADLINE_S = 60.0
CLIENT_TIMEOUT_S = 30.0

# Where a SIGKILL found the requests it interrupted.
CRASH_POINTS = (
    "killed before the create was accepted",
    "killed after accept, job id not stored",
    "killed with the job id stored, job running",
    "killed after the job ended, before write-back",
)
SCENARIOS = (
    "clean",
    "429 storm",
    "452 storm",
    "500 storm",
    "500 after accept",
    "drop after accept",
    "job failure",
    "slow job (202)",
    "SIGKILL",
    "duplicate POSTs",
    "same Idempotency-Key",
)


@dataclass
class RunPlan:
    """What one run does to its charge."""

    index: int
    charge_id: str
    document_number: str
    scenarios: list[str] = field(default_factory=list)
    create_faults: list[list[dict[str, Any]]] = field(default_factory=list)  # groups kept together
    job_failure: bool = False
    slow_job: bool = False
    kill_at_s: float | None = None
    parallel_posts: int = 1
    client_key: str | None = None


def plan_run(
    rng: random.Random, index: int, charge_id: str, document_number: str, *, forced: str | None = None
) -> RunPlan:
    """Random faults for one run (any combination may come up); `forced` is one scenario it gets anyway."""
    plan = RunPlan(index, charge_id, document_number)

    def pick(name: str, probability: float) -> bool:
        return rng.random() < probability or forced == name

    if pick("429 storm", 0.18):
        plan.scenarios.append("429 storm")
        plan.create_faults.append(
            [{"fault": "rate_limit", "count": rng.randint(1, 5), "retry_after": rng.choice((0, 0, 0, 1))}]
        )
    if pick("452 storm", 0.14):
        plan.scenarios.append("452 storm")
        plan.create_faults.append([{"fault": "platform_rate_limit", "count": rng.randint(1, 5)}])
    if pick("500 storm", 0.18) or forced == "500 after accept":
        length = rng.randint(1, 5)
        if forced == "500 after accept" or (forced != "500 storm" and rng.random() < 0.5):
            plan.scenarios.append("500 after accept")
            group: list[dict[str, Any]] = [{"fault": "server_error", "accept": True}]
            if length > 1:
                group.append({"fault": "server_error", "count": length - 1})
        else:
            plan.scenarios.append("500 storm")
            group = [{"fault": "server_error", "count": length}]
        plan.create_faults.append(group)
    if pick("drop after accept", 0.14):
        plan.scenarios.append("drop after accept")
        plan.create_faults.append([{"fault": "drop_connection"}])
    if pick("job failure", 0.12):
        plan.scenarios.append("job failure")
        plan.job_failure = True
    if pick("slow job (202)", 0.12):
        plan.scenarios.append("slow job (202)")
        plan.slow_job = True
    if pick("SIGKILL", 0.15):
        plan.scenarios.append("SIGKILL")
        plan.kill_at_s = rng.uniform(0.0, 0.5)
    if pick("duplicate POSTs", 0.2):
        plan.scenarios.append("duplicate POSTs")
        plan.parallel_posts = rng.randint(2, 5)
    if pick("same Idempotency-Key", 0.35):
        plan.scenarios.append("same Idempotency-Key")
        plan.client_key = f"bench-{index}-{uuid.UUID(int=rng.getrandbits(128))}"
    if not plan.scenarios:
        plan.scenarios.append("clean")
    return plan


@dataclass
class RunResult:
    plan: RunPlan
    settled: bool = False
    answers: Counter[str] = field(default_factory=Counter)
    anomalies: list[str] = field(default_factory=list)
