"""What a scale run prints: the batch's figures (and, when asked for, the killed worker and the
interactive calls made during it), or the abandoned requests' recovery."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


def rutter_statuses(outputs: Iterable[str]) -> Counter[int]:
    """HTTP statuses of every Rutter call the processes logged (one JSON line per call)."""
    statuses: Counter[int] = Counter()
    for output in outputs:
        for line in output.splitlines():
            if '"rutter.request"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            statuses[record.get("status") or 0] += 1
    return statuses


@dataclass
class Outcome:
    """What every run checks: Rutter calls, 429s, duplicate invoices in the stand-in, lost charges."""

    rutter_calls: int
    rate_limited: int
    duplicates: int
    lost: int

    def lines(self) -> list[str]:
        share = self.rate_limited / self.rutter_calls if self.rutter_calls else 0.0
        return [
            f"Rutter calls {self.rutter_calls} | answered 429: {self.rate_limited} ({share:.2%})",
            f"duplicates {self.duplicates} | lost {self.lost}",
        ]

    @property
    def sound(self) -> bool:
        return self.duplicates == 0 and self.lost == 0


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


@dataclass
class WorkerKill:
    """The worker process SIGKILLed mid-batch."""

    name: str
    done: int
    total: int
    at_s: float
    running: int  # charges running in all at the kill
    replacement: str | None
    rerun: int = 0  # charges of the batch run more than once (the killed worker's among them)

    def line(self) -> str:
        then = f"; {self.replacement} started in its place" if self.replacement else "; no replacement"
        return (
            f"worker killed: {self.name} SIGKILLed at {self.done}/{self.total} done "
            f"({self.at_s:.1f} s into the batch, {self.running} charges running in all){then}; "
            f"{self.rerun} charges ran more than once"
        )


@dataclass
class InteractiveCall:
    """One POST /invoices for a charge outside the batch, sent while the batch ran."""

    done: int  # charges of the batch done when it was sent
    status: int  # 0: no answer
    latency_s: float


@dataclass
class Interactive:
    calls: list[InteractiveCall]
    job_latency_s: float
    allowance_s: float = 2.0

    @property
    def goal_s(self) -> float:
        return self.job_latency_s + self.allowance_s

    def line(self) -> str:
        created = sum(call.status == 201 for call in self.calls)
        latencies = [call.latency_s for call in self.calls]
        each = ", ".join(f"{call.latency_s:.2f} s ({call.status}) at {call.done} done" for call in self.calls)
        ok = created == len(self.calls) and max(latencies, default=0.0) <= self.goal_s
        return (
            f"interactive POST /invoices during the batch: {created}/{len(self.calls)} answered 201 | "
            f"latency max {max(latencies, default=0.0):.2f} s, median "
            f"{statistics.median(latencies) if latencies else 0.0:.2f} s | goal job {self.job_latency_s:g} s "
            f"+ {self.allowance_s:g} s = {self.goal_s:g} s: {_met(ok)}\n  {each}"
        )


@dataclass
class BatchReport:
    charges: int
    rate_limit: int
    window_s: float
    replicas: int
    workers: int
    wall_s: float
    batch_s: float
    completed: int
    failed: int
    outcome: Outcome
    kill: WorkerKill | None = None
    interactive: Interactive | None = None

    @property
    def ideal_s(self) -> float:
        """Every call that was not refused, sent at exactly the limit."""
        calls = self.outcome.rutter_calls - self.outcome.rate_limited
        return calls * self.window_s / self.rate_limit

    @property
    def sound(self) -> bool:
        return self.outcome.sound

    def table(self) -> str:
        lines = [
            f"scale: {self.charges} charges, one organization, stand-in limited to {self.rate_limit} "
            f"requests / {self.window_s:g} s; {self.replicas} API replica(s) + {self.workers} "
            "worker process(es)",
            f"batch: {self.completed} completed, {self.failed} failed in {self.batch_s:.1f} s "
            f"(wall {self.wall_s:.1f} s)",
            *self.outcome.lines(),
            f"time vs the limit's ideal: {self.batch_s:.1f} s / {self.ideal_s:.1f} s = "
            f"{self.batch_s / self.ideal_s if self.ideal_s else 0:.2f}",
        ]
        if self.kill is not None:
            lines.append(self.kill.line())
        if self.interactive is not None:
            lines.append(self.interactive.line())
        return "\n".join(lines)


@dataclass
class AbandonedReport:
    """Requests left PENDING by a SIGKILLed replica, finished by the other replicas' sweeps."""

    requests: int
    recovery_points: Counter[str]
    job_latency_s: float
    lease_s: float
    lease_left_s: float  # at the kill, until the dead replica's last lease ran out
    rate_limit: int
    window_s: float
    replicas: int
    settled_s: float | None  # from the kill until every request was COMPLETED; None: never
    completed: int
    failed: int
    outcome: Outcome
    wall_s: float
    # The goal: the dead replica's leases, then three job times to drive every request.
    jobs: ClassVar[int] = 3

    @property
    def goal_s(self) -> float:
        return self.lease_s + self.jobs * self.job_latency_s

    @property
    def sound(self) -> bool:
        return self.outcome.sound

    def table(self) -> str:
        points = ", ".join(f"{count} {point}" for point, count in sorted(self.recovery_points.items()))
        settled = (
            f"all settled {self.settled_s:.1f} s after the kill"
            if self.settled_s is not None
            else "NOT all completed"
        )
        ok = self.settled_s is not None and self.settled_s <= self.goal_s
        return "\n".join(
            [
                f"abandoned: {self.requests} requests recorded by a replica SIGKILLed at once ({points}); "
                f"Rutter jobs take {self.job_latency_s:g} s; {self.replicas} API replica(s) sweeping; "
                f"stand-in limited to {self.rate_limit} requests / {self.window_s:g} s",
                f"the dead replica's leases ran out {self.lease_left_s:.1f} s after the kill at the latest",
                f"recovery: {self.completed} completed, {self.failed} failed; {settled} | goal "
                f"INVOICE_LEASE_S + {self.jobs} x job = {self.lease_s:g} + {self.jobs} x "
                f"{self.job_latency_s:g} = {self.goal_s:g} s: {_met(ok)} (wall {self.wall_s:.1f} s)",
                *self.outcome.lines(),
            ]
        )
