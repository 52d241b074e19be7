"""Driving the runs: the service going down and coming back, one run to a final state, waves."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import asyncpg

from bench.faults.plan import (
    CRASH_POINTS,
    FAST_JOB_LATENCY_S,
    RUN_DEADLINE_S,
    SETTLE_DEADLINE_S,
    SLOW_JOB_LATENCY_S,
    RunPlan,
    RunResult,
)
from devkit.client import POLL_PAUSE_S, Answer, bearer, call
from devkit.sandbox import SandboxProcess
from devkit.service import READY_TIMEOUT_S, ServiceProcess


class Bench:
    """The processes and the database of one bench, and the drivers of its runs."""

    def __init__(
        self,
        sandbox: SandboxProcess,
        service: ServiceProcess,
        pool: asyncpg.Pool,
        session: aiohttp.ClientSession,
    ) -> None:
        self.sandbox = sandbox
        self.control = sandbox.control(session)
        self.service = service
        self.pool = pool
        self.session = session
        self.up = asyncio.Event()
        self.up.set()
        self.restart_lock = asyncio.Lock()
        self.interrupted: Counter[str] = Counter()

    # --- the service going down and coming back ---------------------------------------------

    async def kill_and_restart(self) -> None:
        async with self.restart_lock:
            self.up.clear()
            try:
                crash_points = await self._crash_points()
                await self.service.restart()
                self.interrupted.update(crash_points)
            finally:
                self.up.set()

    async def _crash_points(self) -> Counter[str]:
        """Where the requests a kill is about to interrupt stand (observed just before the kill)."""
        leased = await self.pool.fetch(
            "SELECT rutter_idempotency_key, rutter_job_id FROM invoice_request"
            " WHERE status = 'PENDING' AND lease_expires_at > now()"
        )
        jobs = await self.control.jobs()
        by_key = {job["idempotency_key"]: job for job in jobs}
        finished = {job["id"] for job in jobs if job["status"] in {"success", "failure"}}
        points: Counter[str] = Counter()
        for row in leased:
            if row["rutter_job_id"] is None:
                accepted = row["rutter_idempotency_key"] in by_key
                points[CRASH_POINTS[1] if accepted else CRASH_POINTS[0]] += 1
            else:
                points[CRASH_POINTS[3] if row["rutter_job_id"] in finished else CRASH_POINTS[2]] += 1
        return points

    async def kill_later(self, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await self.kill_and_restart()

    async def _request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Answer | None:
        """One call to the service; None when the connection failed (the service was killed)."""
        await asyncio.wait_for(self.up.wait(), READY_TIMEOUT_S * 2)
        headers = bearer(self.service.api_key, headers)
        try:
            return await call(self.session, method, f"{self.service.url}{path}", headers=headers, **kwargs)
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def post(self, charge_id: str, key: str | None) -> Answer | None:
        headers = {"Idempotency-Key": key} if key is not None else None
        return await self._request("POST", "/invoices", json_body={"charge_id": charge_id}, headers=headers)

    # --- one run ----------------------------------------------------------------------------

    async def drive(self, plan: RunPlan) -> RunResult:
        """POSTs (and GETs the status URL) until the charge's invoice exists, bounded in time."""
        result = RunResult(plan)
        key = plan.client_key
        status_url: str | None = None
        posts = plan.parallel_posts
        deadline = time.monotonic() + RUN_DEADLINE_S
        while time.monotonic() < deadline:
            if status_url is None:
                answers = list(await asyncio.gather(*(self.post(plan.charge_id, key) for _ in range(posts))))
                posts = 1
            else:
                answers = [await self._request("GET", status_url)]
            status_url = None
            for answer in answers:
                outcome = self._outcome(answer)
                result.answers[outcome] += 1
                if outcome in {"201", "409 INVOICE_ALREADY_EXISTS", "200 COMPLETED"}:
                    result.settled = True
                elif outcome in {"202", "409 REQUEST_IN_PROGRESS", "200 PENDING"}:
                    assert answer is not None
                    status_url = status_url or self._status_url(answer)
                elif outcome in {"502 RUTTER_REJECTED", "200 FAILED"} and key is not None:
                    # The same key would replay the rejection: a new attempt needs a new key.
                    key = f"{plan.client_key}-{uuid.uuid4().hex[:8]}"
                elif outcome not in {
                    "no answer",
                    "502 RUTTER_REJECTED",
                    "200 FAILED",
                    "502 RUTTER_UNAVAILABLE",
                }:
                    result.anomalies.append(f"run {plan.index}: unexpected answer {outcome}")
            if result.settled:
                break
            await asyncio.sleep(POLL_PAUSE_S)
        if result.settled and plan.client_key is not None:
            await self._replay(plan, key, result)
        return result

    async def _replay(self, plan: RunPlan, key: str | None, result: RunResult) -> None:
        """The client retries once more with its key: the first answer, or INVOICE_ALREADY_EXISTS."""
        answer = None
        for _ in range(20):
            answer = await self.post(plan.charge_id, key)
            if answer is not None:
                break
        outcome = self._outcome(answer)
        result.answers[f"replay {outcome}"] += 1
        replayed = answer is not None and answer.headers.get("Idempotent-Replayed") == "true"
        if not (outcome == "409 INVOICE_ALREADY_EXISTS" or (outcome == "201" and replayed)):
            result.anomalies.append(f"run {plan.index}: retry with the same key answered {outcome}")

    @staticmethod
    def _outcome(answer: Answer | None) -> str:
        if answer is None:
            return "no answer"
        if answer.status == 200 and isinstance(answer.body, dict) and "status" in answer.body:
            return f"200 {answer.body['status']}"
        if answer.code:
            return f"{answer.status} {answer.code}"
        return str(answer.status)

    @staticmethod
    def _status_url(answer: Answer) -> str | None:
        if answer.status == 202:
            return answer.headers.get("Location")
        if isinstance(answer.body, dict) and isinstance(answer.body.get("status_url"), str):
            return str(answer.body["status_url"])
        url = answer.details.get("status_url")
        return url if isinstance(url, str) else None

    # --- waves ------------------------------------------------------------------------------

    async def run_wave(self, plans: Sequence[RunPlan], rng: random.Random) -> list[RunResult]:
        await self.control.clear_faults()
        slow = any(plan.slow_job for plan in plans)
        await self.control.configure(job_latency=SLOW_JOB_LATENCY_S if slow else FAST_JOB_LATENCY_S)
        groups = [group for plan in plans for group in plan.create_faults]
        rng.shuffle(groups)
        for group in groups:
            for fault in group:
                await self.control.fail_creates(**fault)
        failures = sum(plan.job_failure for plan in plans)
        if failures:
            await self.control.fail_jobs(failures)
        kills = [plan.kill_at_s for plan in plans if plan.kill_at_s is not None]
        killer = asyncio.create_task(self.kill_later(min(kills))) if kills else None
        try:
            return list(await asyncio.gather(*(self.drive(plan) for plan in plans)))
        finally:
            if killer is not None:
                await killer

    async def settle(self) -> int:
        """Finishes every request still PENDING through its status URL; returns how many remain."""
        deadline = time.monotonic() + SETTLE_DEADLINE_S
        while True:
            pending = [
                str(row["id"])
                for row in await self.pool.fetch("SELECT id FROM invoice_request WHERE status = 'PENDING'")
            ]
            if not pending or time.monotonic() > deadline:
                return len(pending)
            for request_id in pending:
                await self._request("GET", f"/invoices/requests/{request_id}")
            await asyncio.sleep(0.1)
