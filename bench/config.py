"""What a benchmark run does: the two presets (full and quick), the fixed constants, progress lines."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from api.paths import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
QUICK_RESULTS_DIR = RESULTS_DIR / "quick.tmp"  # git-ignored (bench/results/*.tmp)
EMBEDDED_DATA_DIR = PROJECT_ROOT / ".data" / "bench-postgres"
# The sandbox allows 500 requests per organization per 10 s; every benchmark charge is one organization's.
SANDBOX_RATE_LIMIT = 1_000_000_000
# The deployed polling schedule (api/config.py defaults), used by the waiting and polling sections.
DEPLOYED_POLL_INITIAL_S = 0.5
DEPLOYED_POLL_FACTOR = 1.5
DEPLOYED_POLL_MAX_S = 5.0
COST_LINE_COUNTS = (1, 25)
SECTIONS = ("throughput", "cost", "waiting", "polling", "memory")


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class BenchConfig:
    """Everything a run does; `full()` and `quick()` are the two documented presets."""

    mode: str
    charges: int
    min_lines: int
    max_lines: int
    concurrency: tuple[int, ...]
    db_pool_max_size: int
    throughput_poll_initial_s: float
    cost_warmup: int
    cost_invoices: int
    waiting_invoices: int
    waiting_concurrency: int
    waiting_job_latency_s: float
    poll_durations_s: tuple[float, ...]
    poll_invoices: int
    poll_job_timeout_s: float
    memory_invoices: int
    memory_concurrency: int
    memory_sample_s: float
    # Charges invoiced once before the sections and kept by every rewind: the tables an invoice
    # reads and writes hold a history, as in production, so query plans are those of a used
    # database (an emptied, analysed table gets sequential-scan plans that its backends keep).
    history_charges: int
    # Service and baseline runs per concurrency, alternated; the reported pair is the one with the
    # median ratio, so one slow patch of a shared host does not decide a goal.
    throughput_rounds: int
    seed: int
    out_dir: Path
    sections: tuple[str, ...] = SECTIONS

    @classmethod
    def full(cls) -> BenchConfig:
        return cls(
            mode="full",
            charges=2000,
            min_lines=1,
            max_lines=25,
            concurrency=(1, 16, 64),
            db_pool_max_size=20,
            throughput_poll_initial_s=0.001,
            cost_warmup=10,
            cost_invoices=100,
            waiting_invoices=1000,
            waiting_concurrency=200,
            waiting_job_latency_s=1.0,
            poll_durations_s=(1.0, 5.0, 30.0),
            poll_invoices=3,
            poll_job_timeout_s=60.0,
            memory_invoices=10_000,
            memory_concurrency=64,
            memory_sample_s=0.5,
            history_charges=2000,
            throughput_rounds=3,
            seed=20261126,
            out_dir=RESULTS_DIR,
        )

    @classmethod
    def quick(cls) -> BenchConfig:
        return replace(
            cls.full(),
            mode="quick",
            charges=64,
            cost_warmup=3,
            cost_invoices=5,
            waiting_invoices=40,
            waiting_concurrency=20,
            poll_durations_s=(1.0,),
            poll_invoices=2,
            memory_invoices=256,
            memory_concurrency=16,
            memory_sample_s=0.2,
            history_charges=200,
            throughput_rounds=1,
            out_dir=QUICK_RESULTS_DIR,
        )

    @property
    def warmup_charges(self) -> int:
        return max(32, 2 * max(self.concurrency))
