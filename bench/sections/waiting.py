"""Sections 4 and 5: waiting (1,000 invoices at concurrency 200 with a 1 s job latency, wall time
against the ideal) and polling (polls per job for several job durations)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bench.config import DEPLOYED_POLL_FACTOR, DEPLOYED_POLL_INITIAL_S, DEPLOYED_POLL_MAX_S, say
from bench.load import drive, run_summary
from bench.measure import latency_summary_ms
from devkit.service import ServiceProcess

if TYPE_CHECKING:
    from bench.suite import Bench


async def run(bench: Bench, sections: Sequence[str]) -> dict[str, Any]:
    config = bench.config
    service = await bench.start_service(
        "deployed-polling", {"RUTTER_JOB_TIMEOUT_S": str(config.poll_job_timeout_s)}
    )
    results: dict[str, Any] = {}
    try:
        await bench.rewind()
        # Opens the pool's connections; with the deployed 0.5 s first poll each invoice takes 0.5 s.
        await drive(service, bench.workload.warmup[:16], 16)
        if "waiting" in sections:
            results["waiting"] = await _waiting(bench, service)
        if "polling" in sections:
            results["polling"] = await _polling(bench, service)
    finally:
        await service.stop()
    return results


async def _waiting(bench: Bench, service: ServiceProcess) -> dict[str, Any]:
    config = bench.config
    invoices = min(config.waiting_invoices, len(bench.workload.main))
    await bench.rewind()
    await bench.control.configure(job_latency=config.waiting_job_latency_s)
    pids = {"service": service.pid, "sandbox": bench.sandbox.pid}
    result, cpu = await bench.measured(
        pids, drive(service, bench.workload.main[:invoices], config.waiting_concurrency)
    )
    ideal = invoices / config.waiting_concurrency * config.waiting_job_latency_s
    summary = run_summary(result, config.waiting_concurrency)
    # One event loop: the service can go no faster than the CPU it spends (a second floor).
    service_cpu_s = (cpu["ms_per_invoice"]["service"] or 0.0) * result.created / 1000
    summary.update(
        job_latency_s=config.waiting_job_latency_s,
        ideal_s=round(ideal, 3),
        ratio_to_ideal=round(result.wall_s / ideal, 3),
        serialised_s=round(invoices * config.waiting_job_latency_s, 1),
        service_cpu_s=round(service_cpu_s, 2),
        ratio_to_cpu_floor=round(result.wall_s / max(ideal, service_cpu_s), 3),
        cpu=cpu,
        poll_schedule={
            "initial_s": DEPLOYED_POLL_INITIAL_S,
            "factor": DEPLOYED_POLL_FACTOR,
            "max_s": DEPLOYED_POLL_MAX_S,
        },
    )
    say(
        f"waiting: {invoices} invoices at concurrency {config.waiting_concurrency}, job latency "
        f"{config.waiting_job_latency_s:g} s: {result.wall_s:.2f} s (ideal {ideal:.2f} s, service CPU "
        f"{service_cpu_s:.2f} s), errors {result.errors}"
    )
    return summary


async def _polling(bench: Bench, service: ServiceProcess) -> dict[str, Any]:
    config = bench.config
    durations: list[dict[str, Any]] = []
    ids = iter(bench.workload.main)
    await bench.rewind()
    for job_s in config.poll_durations_s:
        await bench.control.reset()
        await bench.control.configure(job_latency=job_s)
        charges = [next(ids) for _ in range(config.poll_invoices)]
        result = await drive(service, charges, len(charges))
        polls: Counter[str] = Counter()
        for entry in await bench.control.requests():
            if entry["method"] == "GET" and "/jobs/" in entry["path"]:
                polls[entry["path"].rsplit("/", 1)[1]] += 1
        per_job = sorted(polls.values())
        bound = math.ceil(math.log(job_s / DEPLOYED_POLL_INITIAL_S, DEPLOYED_POLL_FACTOR)) + 2
        durations.append(
            {
                "job_s": job_s,
                "invoices": len(charges),
                "ok": result.created,
                "errors": result.errors,
                "error_samples": result.error_samples,
                "polls_per_job": per_job,
                "max_polls": max(per_job) if per_job else None,
                "goal_max_polls": bound,
                "met": bool(per_job) and max(per_job) <= bound and result.errors == 0,
                "latency_ms": latency_summary_ms(result.latencies_s),
            }
        )
        say(f"polling: {job_s:g} s jobs: polls per job {per_job} (goal <= {bound})")
    return {
        "job_timeout_s": config.poll_job_timeout_s,
        "poll_schedule": {
            "initial_s": DEPLOYED_POLL_INITIAL_S,
            "factor": DEPLOYED_POLL_FACTOR,
            "max_s": DEPLOYED_POLL_MAX_S,
        },
        "durations": durations,
    }
