"""One benchmark run: the shared processes, the database, the workload, the baseline, the sections."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.config import COST_LINE_COUNTS, BenchConfig, say
from bench.database import BenchDatabase, SqlCounter
from bench.goals import config_json, evaluate_goals
from bench.load import DriveResult
from bench.measure import CpuMeter, latency_summary_ms, machine_info
from bench.sections import cost, memory, throughput, waiting
from devkit.charges import generate_charges, seed_charges
from devkit.demo import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from devkit.processes import environment_without_settings, readline, spawn, stop_process
from devkit.sandbox import SandboxProcess
from devkit.service import ServiceProcess, create_api_key


@dataclass
class Workload:
    main: list[str]
    warmup: list[str]
    cost: dict[int, list[str]]
    line_items: int


class Bench:
    """One benchmark run: the shared processes, the database, and the sections."""

    def __init__(
        self, config: BenchConfig, database: BenchDatabase, sandbox: SandboxProcess, work_dir: Path
    ) -> None:
        self.config = config
        self.database = database
        self.sandbox = sandbox
        self.work_dir = work_dir
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self.control = sandbox.control(self.http)
        self.workload = Workload([], [], {}, 0)

    async def close(self) -> None:
        await self.http.close()

    # --- set-up ---------------------------------------------------------------------------

    async def seed(self) -> dict[str, Any]:
        config = self.config
        rng = random.Random(config.seed)
        main = generate_charges(
            config.charges, tag="BENCH", rng=rng, min_lines=config.min_lines, max_lines=config.max_lines
        )
        warmup = generate_charges(config.warmup_charges, tag="WARMUP", rng=rng)
        history = generate_charges(config.history_charges, tag="HISTORY", rng=rng)
        per_count = config.cost_warmup + config.cost_invoices
        cost = {
            lines: generate_charges(per_count, tag=f"COST{lines}", rng=rng, line_counts=[lines] * per_count)
            for lines in COST_LINE_COUNTS
        }
        everything = main + warmup + history + [charge for charges in cost.values() for charge in charges]
        started = time.perf_counter()
        await seed_charges(self.database.dsn, everything)
        await self.make_history([charge["id"] for charge in history])
        line_counts = [len(charge["line_items"]) for charge in main]
        self.workload = Workload(
            main=[charge["id"] for charge in main],
            warmup=[charge["id"] for charge in warmup],
            cost={lines: [charge["id"] for charge in charges] for lines, charges in cost.items()},
            line_items=sum(line_counts),
        )
        return {
            "charges": len(main),
            "line_items": sum(line_counts),
            "mean_lines_per_charge": round(sum(line_counts) / len(line_counts), 2),
            "min_lines": min(line_counts),
            "max_lines": max(line_counts),
            "extra_charges": len(everything) - len(main),
            "history_invoices": len(history),
            "load_s": round(time.perf_counter() - started, 2),
        }

    async def make_history(self, charge_ids: Sequence[str]) -> None:
        """Invoices `charge_ids` once (by the baseline) and marks the result as the history that
        every rewind keeps."""
        if not charge_ids:
            return
        outcome = await self.run_baseline(charge_ids, max(self.config.concurrency))
        if outcome["errors"]:
            raise RuntimeError(f"the history's invoices failed: {outcome['error_samples']}")
        await self.database.keep_history()
        await self.rewind()

    async def rewind(self) -> None:
        await self.database.rewind()
        await self.control.reset()

    async def start_service(
        self, name: str, settings: dict[str, str], dsn: str | None = None
    ) -> ServiceProcess:
        """The service as deployed (one worker; `--no-access-log` and LOG_LEVEL=WARNING so that logging
        does not dominate), the deployed settings but for `settings`, in the work folder (a
        developer's .env is not read)."""
        say(f"starting service '{name}' ({', '.join(f'{k}={v}' for k, v in settings.items()) or 'defaults'})")
        dsn = dsn or self.database.dsn
        env = {
            **environment_without_settings(),
            "DATABASE_URL": dsn,
            "RUTTER_BASE_URL": self.sandbox.rutter_url,
            "RUTTER_CLIENT_ID": SANDBOX_CLIENT_ID,
            "RUTTER_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "LOG_LEVEL": "WARNING",
            "DB_POOL_MAX_SIZE": str(self.config.db_pool_max_size),
            "EMAIL_ENABLED": "false",
            # The stand-in's rate limit is lifted here, so the service's shared Rutter budget is off
            # too (it would hold every run to 450 calls per 10 s); bench.scale measures the budget.
            "RUTTER_RATE_LIMIT": "0",
            **settings,
        }
        service = ServiceProcess(
            name,
            self.work_dir,
            env,
            api_key=await create_api_key(dsn, f"bench {name}"),
            uvicorn_options=("--no-access-log", "--log-level", "warning"),
        )
        await service.start()
        return service

    def throughput_settings(self) -> dict[str, str]:
        return {"RUTTER_POLL_INITIAL_S": str(self.config.throughput_poll_initial_s)}

    async def measured(
        self, pids: dict[str, int], work: Awaitable[DriveResult]
    ) -> tuple[DriveResult, dict[str, Any]]:
        """Runs `work` and tells the CPU each process spent on it, per invoice created."""
        meter = CpuMeter(self.database.name, pids)
        await meter.start()
        result = await work
        return result, await meter.stop(result.created)

    async def run_baseline(
        self,
        charge_ids: Sequence[str],
        concurrency: int,
        *,
        warmup: Sequence[str] = (),
        dsn: str | None = None,
        pool_size: int | None = None,
        counter: SqlCounter | None = None,
    ) -> dict[str, Any]:
        """bench.baseline as its own process: warm-up, then the measured run between 'go' and its report."""
        ids_file = self.work_dir / f"baseline-ids-{uuid.uuid4().hex[:8]}.json"
        ids_file.write_text(json.dumps(list(charge_ids)))
        warmup_file = self.work_dir / f"baseline-warmup-{uuid.uuid4().hex[:8]}.json"
        warmup_file.write_text(json.dumps(list(warmup)))
        args = [
            sys.executable,
            "-m",
            "bench.baseline",
            "--dsn",
            dsn or self.database.dsn,
            "--rutter-url",
            self.sandbox.rutter_url,
            "--ids",
            str(ids_file),
            "--warmup-ids",
            str(warmup_file),
            "--concurrency",
            str(concurrency),
            "--pool-size",
            str(pool_size or self.config.db_pool_max_size),
            "--poll-initial-s",
            str(self.config.throughput_poll_initial_s),
        ]
        process = spawn(
            args, env=environment_without_settings(), stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            line = await asyncio.to_thread(readline, process.stdout, 300)
            if line != "ready":
                raise RuntimeError(f"the baseline did not start: {line!r}")
            await self.control.reset()  # its warm-up calls are not part of the measured run
            meter = CpuMeter(self.database.name, {"baseline": process.pid, "sandbox": self.sandbox.pid})
            await meter.start()
            counted_before = counter.snapshot() if counter is not None else Counter[str]()
            process.stdin.write(b"go\n")
            process.stdin.flush()
            line = await asyncio.to_thread(readline, process.stdout, 3600)
            outcome = json.loads(line)
            cpu = await meter.stop(outcome["ok"])
            counted = (counter.snapshot() - counted_before) if counter is not None else Counter[str]()
            process.stdin.write(b"done\n")
            process.stdin.flush()
        finally:
            with contextlib.suppress(OSError):
                process.stdin.close()
            # In a thread: the baseline may be closing its connections through the SQL proxy on this loop.
            await asyncio.to_thread(stop_process, process, 10, exit_wait_s=30)
        latencies = outcome.pop("latencies_s")
        summary = {
            "concurrency": concurrency,
            "invoices": outcome["invoices"],
            "ok": outcome["ok"],
            "errors": outcome["errors"],
            "error_samples": outcome["error_samples"],
            "wall_s": round(outcome["wall_s"], 3),
            "invoices_per_s": round(outcome["ok"] / outcome["wall_s"], 2) if outcome["wall_s"] else 0.0,
            "latency_ms": latency_summary_ms(latencies),
            "cpu": cpu,
            "baseline_cpu_ms_per_invoice": round(outcome["cpu_s"] * 1000 / max(outcome["ok"], 1), 3),
        }
        if counter is not None:
            summary["sql"] = dict(counted)
        return summary

    # --- everything ---------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        config = self.config
        results: dict[str, Any] = {
            "schema_version": 1,
            "mode": config.mode,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "database": await self.database.describe(),
            "config": config_json(config),
        }
        say("seeding charges")
        results["seed"] = await self.seed()
        say(f"seeded {results['seed']['charges']} charges in {results['seed']['load_s']} s")
        began = time.monotonic()
        if "throughput" in config.sections:
            results["throughput"] = await throughput.run(self)
        if "cost" in config.sections:
            results["cost"] = await cost.run(self)
        if "waiting" in config.sections or "polling" in config.sections:
            results.update(await waiting.run(self, config.sections))
        if "memory" in config.sections:
            results["memory"] = await memory.run(self)
        results["duration_s"] = round(time.monotonic() - began, 1)
        results["goals"] = evaluate_goals(results)
        return results
