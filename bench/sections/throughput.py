"""Sections 1 and 2: invoices/s and POST /invoices latency at each concurrency, end to end, and the
same work by the minimal baseline (service / baseline throughput)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bench import profile
from bench.config import say
from bench.load import drive, run_summary
from bench.measure import median_index

# The concurrency at which the service is sampled for the CPU-by-component table (in unmeasured runs
# after the measured ones), and for how long.
PROFILE_CONCURRENCY = 16
PROFILE_SECONDS = 5.0

if TYPE_CHECKING:
    from bench.suite import Bench
    from devkit.service import ServiceProcess


async def run(bench: Bench) -> dict[str, Any]:
    config = bench.config
    service = await bench.start_service("throughput", bench.throughput_settings())
    service_runs: list[dict[str, Any]] = []
    baseline_runs: list[dict[str, Any]] = []
    components: dict[str, Any] | None = None
    rounds: list[dict[str, Any]] = []
    try:
        say(f"warm-up: {len(bench.workload.warmup)} invoices at concurrency {max(config.concurrency)}")
        await drive(service, bench.workload.warmup, max(config.concurrency))
        for concurrency in config.concurrency:
            pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for _ in range(config.throughput_rounds):
                await bench.rewind()
                pids = {"service": service.pid, "sandbox": bench.sandbox.pid}
                result, cpu = await bench.measured(pids, drive(service, bench.workload.main, concurrency))
                summary = run_summary(result, concurrency)
                summary["cpu"] = cpu
                summary["service_cpu_ms_per_invoice"] = cpu["ms_per_invoice"]["service"]
                say(describe("service", summary))

                await bench.rewind()
                baseline = await bench.run_baseline(
                    bench.workload.main, concurrency, warmup=bench.workload.warmup
                )
                say(describe("baseline", baseline))
                pairs.append((summary, baseline))
            chosen = median_pair(pairs)
            service_runs.append(pairs[chosen][0])
            baseline_runs.append(pairs[chosen][1])
            rounds.append(
                {
                    "concurrency": concurrency,
                    "ratios": [round(ratio(s, b), 3) for s, b in pairs],
                    "service_cpu_ms_per_invoice": [s["service_cpu_ms_per_invoice"] for s, _ in pairs],
                    "postgres_cpu_ms_per_invoice": [
                        [
                            s["cpu"]["ms_per_invoice"].get("postgres"),
                            b["cpu"]["ms_per_invoice"].get("postgres"),
                        ]
                        for s, b in pairs
                    ],
                    "chosen": chosen,
                }
            )
        measured = {run["concurrency"]: run for run in service_runs}
        if PROFILE_CONCURRENCY in measured and profile.available():
            components = await _profile(bench, service, measured[PROFILE_CONCURRENCY])
    finally:
        await service.stop()
    ratios = {
        str(s["concurrency"]): round(ratio(s, b), 3) if b["invoices_per_s"] else None
        for s, b in zip(service_runs, baseline_runs, strict=True)
    }
    return {
        "service": service_runs,
        "baseline": baseline_runs,
        "ratio_by_concurrency": ratios,
        "rounds": rounds,
        "service_cpu_by_component": components,
    }


def ratio(service: dict[str, Any], baseline: dict[str, Any]) -> float:
    return (
        float(service["invoices_per_s"] / baseline["invoices_per_s"]) if baseline["invoices_per_s"] else 0.0
    )


def median_pair(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> int:
    """The index of the (service, baseline) pair whose throughput ratio is the median (the lower
    of the two middle ones for an even count: the less flattering)."""
    return median_index([ratio(service, baseline) for service, baseline in pairs])


async def _profile(bench: Bench, service: ServiceProcess, run: dict[str, Any]) -> dict[str, Any] | None:
    """The CPU-by-component sample, taken in runs of its own at the same concurrency, never in a
    measured one: py-spy stops the process for every sample it takes (200 a second, native frames),
    which halved the service's throughput in the run it sampled and gave it a tail of seconds."""
    concurrency = run["concurrency"]
    say(f"profile: py-spy samples of the service for {PROFILE_SECONDS:.0f} s at concurrency {concurrency}")
    sampling = asyncio.create_task(profile.sample_with_kernel_share(service.pid, PROFILE_SECONDS))
    while not sampling.done():
        await bench.rewind()
        await drive(service, bench.workload.main, concurrency)
    return await _components(sampling, concurrency, run["service_cpu_ms_per_invoice"])


async def _components(
    sampling: asyncio.Task[tuple[list[str], float | None]], concurrency: int, cpu_ms_per_invoice: float | None
) -> dict[str, Any] | None:
    """The service's CPU by component from the samples taken during the run (None if py-spy failed)."""
    try:
        samples, kernel_share = await sampling
    except RuntimeError as failure:
        say(f"no CPU-by-component table: {failure}")
        return None
    return {
        "concurrency": concurrency,
        "samples": sum(int(line.rpartition(" ")[2]) for line in samples if line.strip()),
        "shares": profile.shares(samples, kernel_share),
        "kernel_share": None if kernel_share is None else round(kernel_share, 4),
        "cpu_ms_per_invoice": cpu_ms_per_invoice,
    }


def describe(what: str, run: dict[str, Any]) -> str:
    latency = run["latency_ms"]
    return (
        f"{what:<8} c={run['concurrency']:<3} {run['invoices_per_s']:>7.1f} invoices/s  "
        f"p50 {latency['p50']} ms  p95 {latency['p95']} ms  p99 {latency['p99']} ms  "
        f"errors {run['errors']}"
    )
