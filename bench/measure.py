"""What a run measures besides the answers: CPU and memory of processes and of the machine (from
/proc, Linux only), and latency statistics."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_times_s(pid: int) -> tuple[float, float]:
    """(utime, stime) of a live process: seconds in user space and in the kernel (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0, 0.0
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def process_cpu_s(pid: int) -> float:
    """CPU seconds of a live process (0 when it is gone): the nanosecond run times of its threads
    from /proc/<pid>/task/*/schedstat, else utime + stime from /proc/<pid>/stat.

    stat counts in clock ticks (10 ms): over the cost section's 100 invoices (about 0.25 s of the
    service's CPU) that alone was +-8%, and over a run's PostgreSQL backends, many of them nearly
    idle, it added a tick's doubt per backend. schedstat leaves out threads that ended (stat keeps
    them): the processes measured here keep theirs (event loops, executors that keep threads).
    """
    total_ns = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        tasks = []
    for task in tasks:
        try:
            total_ns += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    # 0 where the process is gone or the kernel keeps no schedstat (it reads "0 0 0"): stat says.
    return total_ns / 1e9 if total_ns else sum(process_times_s(pid))


def process_memory_kb(pid: int, key: str = "VmRSS") -> int:
    """A line of /proc/<pid>/status in kB: VmRSS (resident now) or VmHWM (peak resident)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def database_backends_cpu_s(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend on this machine connected to `database`.

    A backend's process title reads `postgres: <user> <database> <client> <state>`.
    """
    marker = f" {database} ".encode()
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ") + b" ":
                found[int(entry.name)] = process_cpu_s(int(entry.name))
    return found


def machine_cpu_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores together."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    snapshot = {name: process_cpu_s(pid) for name, pid in pids.items()}
    snapshot["load_generator"] = self_cpu_s()
    snapshot["machine_busy"], snapshot["machine_total"] = machine_cpu_s()
    return snapshot


class CpuMeter:
    """CPU spent during a run by the named processes, this process (the load generator), the
    PostgreSQL backends connected to the benchmark's database, and the machine as a whole.

    Only the database's own backends count for PostgreSQL (the server may be shared with other
    work). They are sampled every 0.25 s, so a backend that ends mid-run keeps its share (asyncpg
    replaces a connection after 50,000 queries); a server on another machine shows as None.
    """

    SAMPLE_S = 0.25

    def __init__(self, database: str, pids: dict[str, int]) -> None:
        self.database = database
        self.pids = pids
        self.before: dict[str, float] = {}
        self.postgres_first: dict[int, float] = {}
        self.postgres_last: dict[int, float] = {}
        self._sampler: asyncio.Task[None] | None = None

    def _observe(self, *, at_start: bool = False) -> None:
        for pid, cpu in database_backends_cpu_s(self.database).items():
            # A backend first seen mid-run was started during it: all its CPU counts.
            self.postgres_first.setdefault(pid, cpu if at_start else 0.0)
            self.postgres_last[pid] = cpu

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(self.SAMPLE_S)
            self._observe()

    async def start(self) -> None:
        self._observe(at_start=True)
        self.before = cpu_snapshot(self.pids)
        self._sampler = asyncio.create_task(self._sample())

    async def stop(self, invoices: int) -> dict[str, Any]:
        after = cpu_snapshot(self.pids)
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        self._observe()
        per = max(invoices, 1)
        per_invoice: dict[str, float | None] = {
            name: round((after[name] - self.before[name]) * 1000 / per, 3)
            for name in self.before
            if name not in {"machine_busy", "machine_total"}
        }
        postgres_s = sum(last - self.postgres_first[pid] for pid, last in self.postgres_last.items())
        per_invoice["postgres"] = round(postgres_s * 1000 / per, 3) if self.postgres_last else None
        total = after["machine_total"] - self.before["machine_total"]
        busy = after["machine_busy"] - self.before["machine_busy"]
        return {
            "ms_per_invoice": per_invoice,
            "machine_busy_fraction": round(busy / total, 3) if total else None,
        }


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory_kb = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
    busy_before, total_before = machine_cpu_s()
    time.sleep(2)
    busy_after, total_after = machine_cpu_s()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        # Other work on the machine when the run started (nothing of the benchmark's is busy yet).
        "background_busy_fraction": round((busy_after - busy_before) / (total_after - total_before), 3),
        "loadavg_1m": os.getloadavg()[0],
    }


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks; `ordered` must be sorted and non-empty."""
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary_ms(latencies_s: Sequence[float]) -> dict[str, float | None]:
    if not latencies_s:
        return {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    ordered = sorted(latencies_s)
    return {
        "p50": round(percentile(ordered, 0.50) * 1000, 2),
        "p95": round(percentile(ordered, 0.95) * 1000, 2),
        "p99": round(percentile(ordered, 0.99) * 1000, 2),
        "mean": round(sum(ordered) / len(ordered) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


def slope_per_1000(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of ys over xs, per 1000 units of x."""
    if len(xs) < 2:
        return None
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    variance = sum((x - mean_x) ** 2 for x in xs)
    if variance == 0:
        return None
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return round(covariance / variance * 1000, 3)


def median_index(values: list[float]) -> int:
    """The index of the median of `values` (the lower of the two middle ones for an even count)."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    return order[(len(order) - 1) // 2]
