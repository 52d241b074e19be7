"""Section 6: the service's RSS sampled over many invoices, peak (VmHWM) and growth."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from bench.config import say
from bench.load import drive
from bench.measure import process_memory_kb, slope_per_1000

if TYPE_CHECKING:
    from bench.suite import Bench


async def run(bench: Bench) -> dict[str, Any]:
    config = bench.config
    await bench.rewind()
    service = await bench.start_service("memory", bench.throughput_settings())
    samples: list[list[float]] = []
    completed = 0
    batch_ends: list[int] = []
    started = time.monotonic()

    def done() -> None:
        nonlocal completed
        completed += 1

    async def sample() -> None:
        while True:
            rss = process_memory_kb(service.pid)
            samples.append([round(time.monotonic() - started, 2), round(rss / 1024, 2), completed])
            await asyncio.sleep(config.memory_sample_s)

    sampler = asyncio.create_task(sample())
    errors = 0
    try:
        remaining = config.memory_invoices
        while remaining > 0:
            batch = bench.workload.main[: min(remaining, len(bench.workload.main))]
            result = await drive(service, batch, config.memory_concurrency, on_done=done)
            errors += result.errors
            remaining -= len(batch)
            batch_ends.append(len(samples) - 1)
            say(f"memory: {completed} invoices, RSS {process_memory_kb(service.pid) / 1024:.1f} MiB")
            if remaining > 0:
                await bench.rewind()
        await asyncio.sleep(config.memory_sample_s)
        peak_kb = process_memory_kb(service.pid, "VmHWM")
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        await service.stop()
    rss = [row[1] for row in samples]
    after_first = samples[batch_ends[0]][1]
    end = rss[-1]
    growth = end - after_first
    tail = [row for row in samples[batch_ends[0] :] if row[2] > 0]
    slope = slope_per_1000([row[2] for row in tail], [row[1] for row in tail])
    grows = growth > 0.10 * after_first
    return {
        "invoices": completed,
        "errors": errors,
        "concurrency": config.memory_concurrency,
        "batch_size": len(bench.workload.main),
        "sample_interval_s": config.memory_sample_s,
        "start_rss_mib": rss[0],
        "rss_after_first_batch_mib": after_first,
        "end_rss_mib": end,
        "peak_rss_mib": round(peak_kb / 1024, 2),
        "growth_after_first_batch_mib": round(growth, 2),
        "slope_mib_per_1000_invoices": slope,
        "grows": grows,
        "grows_rule": "RSS at the end is more than 10% above RSS after the first batch",
        "samples": samples,
    }
