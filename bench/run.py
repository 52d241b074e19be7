"""The benchmark suite: `python -m bench` (full, minutes) or `python -m bench --quick` (smoke, seconds).

It starts everything it measures as separate processes on this machine: PostgreSQL (a fresh
database on the DATABASE_URL server, dropped at the end, or the embedded server), the Rutter
sandbox (`python -m sandbox`, zero job latency, rate limit raised) and the service under uvicorn as
deployed (one worker, asyncio loop and h11 as in the Dockerfile; `--no-access-log` and LOG_LEVEL=WARNING
so logging does not dominate). It seeds charges shaped like demo charge 1 (bench.charges) and runs
six sections, writing `results.json`, `summary.md` and three PNG plots to the output folder:

1. throughput: invoices/s and POST /invoices latency at each concurrency, end to end;
2. overhead: the same work by a minimal script (bench.baseline), service / baseline throughput;
3. cost: service CPU s per invoice (/proc/<pid>/stat), SQL round trips per invoice for 1- and
   25-line charges (counted on the wire by a proxy in front of PostgreSQL), Rutter calls per
   invoice (the sandbox's /_sandbox/requests);
4. waiting: 1,000 invoices at concurrency 200 with a 1 s job latency, wall time against the ideal;
5. polling: polls per job for job durations of 1, 5 and 30 s;
6. memory: the service's RSS sampled over 10,000 invoices, peak (VmHWM) and growth.

Between runs the invoices, their lines and the request rows are deleted (and the sandbox reset) so
the same seeded charges are invoiced again: every run, service or baseline, gets the same workload.
Linux only (it reads /proc).

    pip install -e '.[dev,bench]'                      # matplotlib for the plots
    DATABASE_URL=postgresql://... python -m bench      # full run (about 5 minutes on 2 cores)
    python -m bench --quick                            # smoke run, ~25 s (tests/bench runs it)
    python -m bench --help                             # sizes, concurrency levels, sections
    python -m bench.report bench/results/results.json  # redraw the plots and tables of a run

Results: bench/results/{results.json,summary.md,throughput.png,latency.png,rss.png} (full) or
bench/results/quick.tmp/ (quick, git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import os
import platform
import random
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
import asyncpg

from api.config import Settings
from api.db.admin import create_database, database_name, drop_database
from api.db.migrate import apply_migrations
from api.paths import PROJECT_ROOT
from bench import report
from bench.charges import generate_charges, seed_charges
from bench.faults import create_api_key

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
QUICK_RESULTS_DIR = RESULTS_DIR / "quick.tmp"  # git-ignored (bench/results/*.tmp)
EMBEDDED_DATA_DIR = PROJECT_ROOT / ".data" / "bench-postgres"
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the local stand-in's fixed credentials
# The sandbox allows 500 requests per organization per 10 s; every benchmark charge is one organization's.
SANDBOX_RATE_LIMIT = 1_000_000_000
# The deployed polling schedule (api/config.py defaults), used by the waiting and polling sections.
DEPLOYED_POLL_INITIAL_S = 0.5
DEPLOYED_POLL_FACTOR = 1.5
DEPLOYED_POLL_MAX_S = 5.0
COST_LINE_COUNTS = (1, 25)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SECTIONS = ("throughput", "cost", "waiting", "polling", "memory")


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


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
            out_dir=QUICK_RESULTS_DIR,
        )

    @property
    def warmup_charges(self) -> int:
        return max(32, 2 * max(self.concurrency))


# --------------------------------------------------------------------------------------------
# /proc: CPU seconds and memory of processes, and of the machine
# --------------------------------------------------------------------------------------------


def process_cpu_s(pid: int) -> float:
    """utime + stime of a live process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


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

    def __init__(self, database: BenchDatabase, pids: dict[str, int]) -> None:
        self.database = database
        self.pids = pids
        self.before: dict[str, float] = {}
        self.postgres_first: dict[int, float] = {}
        self.postgres_last: dict[int, float] = {}
        self._sampler: asyncio.Task[None] | None = None

    def _observe(self, *, at_start: bool = False) -> None:
        for pid, cpu in database_backends_cpu_s(self.database.name).items():
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


# --------------------------------------------------------------------------------------------
# Latency statistics
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the benchmark dies, even by SIGKILL (no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _readline(stream: IO[bytes], timeout_s: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout_s)
    if not ready:
        raise RuntimeError(f"no output within {timeout_s:g} s")
    return stream.readline().decode(errors="replace").strip()


def spawn(args: list[str], *, cwd: Path, env: dict[str, str], **streams: Any) -> subprocess.Popen[bytes]:
    """A child process that is sent SIGTERM should the benchmark die.

    Its pipes are unbuffered so that `_readline` never waits on the pipe for a line that Python
    already read into a buffer.
    """
    return subprocess.Popen(args, cwd=cwd, env=env, preexec_fn=_die_with_parent, bufsize=0, **streams)


def stop_process(
    process: subprocess.Popen[bytes], timeout_s: float = 10.0, *, exit_wait_s: float = 0
) -> None:
    """Waits `exit_wait_s` for the process to end by itself, then SIGTERM, then SIGKILL after `timeout_s`."""
    if exit_wait_s > 0:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(exit_wait_s)
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _settings_variables() -> set[str]:
    names = {name.upper() for name in Settings.model_fields}
    return names | {"RECEPIENT_EMAIL"}


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any service setting (those are given explicitly)."""
    skip = _settings_variables()
    env = {key: value for key, value in os.environ.items() if key.upper() not in skip}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


class Sandbox:
    """`python -m sandbox` with zero job latency and the rate limit raised; control API helpers."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url  # without /versioned

    @classmethod
    def start(cls) -> Sandbox:
        args = [
            sys.executable,
            "-m",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--rutter-port",
            "0",
            "--email-port",
            "0",
            "--job-latency",
            "0",
            "--rate-limit",
            str(SANDBOX_RATE_LIMIT),
        ]
        # Its one log line per request goes nowhere: the stand-in's logging is not what we measure.
        process = spawn(
            args,
            cwd=PROJECT_ROOT,
            env=child_environment({}),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        try:
            first = _readline(process.stdout, 30)
            _readline(process.stdout, 30)
        except RuntimeError:
            stop_process(process)
            raise RuntimeError("the sandbox did not print its URLs") from None
        url = next((word for word in first.split() if word.startswith("http")), "")
        if not url:
            stop_process(process)
            raise RuntimeError(f"unexpected first sandbox line: {first!r}")
        return cls(process, url.removesuffix("/versioned"))

    @property
    def pid(self) -> int:
        return self.process.pid

    async def configure(self, http: aiohttp.ClientSession, **settings: float) -> None:
        async with http.post(f"{self.url}/_sandbox/config", json=settings) as response:
            response.raise_for_status()

    async def reset(self, http: aiohttp.ClientSession) -> None:
        async with http.post(f"{self.url}/_sandbox/reset") as response:
            response.raise_for_status()

    async def requests(self, http: aiohttp.ClientSession) -> list[dict[str, Any]]:
        async with http.get(f"{self.url}/_sandbox/requests") as response:
            response.raise_for_status()
            entries: list[dict[str, Any]] = (await response.json())["requests"]
            return entries

    def stop(self) -> None:
        stop_process(self.process)


class Service:
    """The service as deployed: `uvicorn api.main:app`, one process, settings from the environment."""

    def __init__(
        self, name: str, process: subprocess.Popen[bytes], port: int, log_path: Path, api_key: str
    ) -> None:
        self.name = name
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.api_key = api_key

    @classmethod
    async def start(
        cls,
        name: str,
        *,
        dsn: str,
        rutter_url: str,
        pool_max_size: int,
        work_dir: Path,
        settings: dict[str, str],
    ) -> Service:
        port = free_port()
        env = child_environment(
            {
                "DATABASE_URL": dsn,
                "RUTTER_BASE_URL": rutter_url,
                "RUTTER_CLIENT_ID": SANDBOX_CLIENT_ID,
                "RUTTER_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
                "LOG_LEVEL": "WARNING",
                "DB_POOL_MAX_SIZE": str(pool_max_size),
                "EMAIL_ENABLED": "false",
                **settings,
            }
        )
        args = [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--http",
            "api.server:LimitedHttpToolsProtocol",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        log_path = work_dir / f"service-{name}.log"
        with log_path.open("wb") as log:
            # The work folder as cwd: a developer's .env in the project is not read by the measured service.
            process = spawn(
                args, cwd=work_dir, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        service = cls(name, process, port, log_path, await create_api_key(dsn, f"bench {name}"))
        await service._wait_ready()
        return service

    async def _wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"service {self.name} exited at start-up:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"service {self.name} was not ready within {timeout_s:g} s:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self) -> None:
        # In a thread: the event loop keeps serving the SQL proxy the service may be closing through.
        await asyncio.to_thread(stop_process, self.process)


# --------------------------------------------------------------------------------------------
# PostgreSQL: the benchmark's own database, and a counting proxy in front of the server
# --------------------------------------------------------------------------------------------


REWIND_STATEMENTS = (
    "DELETE FROM invoice_request",
    "DELETE FROM uac_line_item WHERE acc_uac_invoice_id IS NOT NULL",
    "DELETE FROM acc_uac_invoice",
)


class BenchDatabase:
    """A fresh, migrated database on the DATABASE_URL server or on the embedded one; dropped after."""

    def __init__(self, server_dsn: str, source: str, dsn: str) -> None:
        self.server_dsn = server_dsn
        self.source = source
        self.dsn = dsn
        self.name = database_name(dsn)

    @classmethod
    async def create(cls) -> BenchDatabase:
        server_dsn = os.environ.get("DATABASE_URL")
        source = "DATABASE_URL"
        if not server_dsn:
            from api.db.embedded import start_embedded_server

            server_dsn, source = start_embedded_server(EMBEDDED_DATA_DIR), "embedded"
        database = cls(server_dsn, source, await create_database(server_dsn, "bench"))
        try:
            await apply_migrations(database.dsn)
        except BaseException:
            await database.drop()
            raise
        return database

    async def drop(self) -> None:
        await drop_database(self.server_dsn, self.dsn)

    async def rewind(self) -> None:
        """Forgets every invoice and request, so the seeded charges can be invoiced again."""
        connection = await asyncpg.connect(self.dsn)
        try:
            async with connection.transaction():
                for statement in REWIND_STATEMENTS:
                    await connection.execute(statement)
            await connection.execute("VACUUM ANALYZE invoice_request, uac_line_item, acc_uac_invoice")
            with contextlib.suppress(asyncpg.PostgresError):
                await connection.execute("CHECKPOINT")  # no checkpoint of the last run's writes mid-run
        finally:
            await connection.close()

    async def describe(self) -> dict[str, Any]:
        connection = await asyncpg.connect(self.dsn)
        try:
            settings = {
                name: await connection.fetchval(f"SHOW {name}")
                for name in (
                    "server_version",
                    "max_connections",
                    "shared_buffers",
                    "synchronous_commit",
                    "fsync",
                )
            }
        finally:
            await connection.close()
        parts = urlsplit(self.server_dsn)
        location = parse_qs(parts.query).get("host", [parts.hostname or "local socket"])[0]
        return {"source": self.source, "server": f"{location}:{parts.port or 5432}", **settings}


SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


class SqlCounter:
    """A TCP proxy in front of PostgreSQL that counts, on the wire, what clients send.

    A round trip is a message the client must wait on: a simple Query ('Q') or a Sync ('S') that
    closes an extended-protocol batch. asyncpg sends one Sync per statement (Parse/Bind/Execute are
    pipelined) and one per `executemany` (all Bind/Execute pairs, then one Sync); a Sync with no
    Execute before it is a prepare (statement cache miss). Statements are Execute ('E') plus Query
    messages: what pg_stat_statements would count as calls. The proxy answers SSL and GSS
    encryption requests with 'N' itself so the stream stays readable.
    """

    def __init__(self, server_dsn: str) -> None:
        parts = urlsplit(server_dsn)
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        port = int(query.get("port", [str(parts.port or 5432)])[0])
        self._unix_path = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else None
        self._target = (host, port)
        self._user = parts.username or "postgres"
        self._password = parts.password or ""
        self.counts: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def dsn(self, database: str) -> str:
        credentials = quote(self._user, safe="")
        if self._password:
            credentials += ":" + quote(self._password, safe="")
        return f"postgresql://{credentials}@127.0.0.1:{self.port}/{database}"

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._unix_path is not None:
            return await asyncio.open_unix_connection(self._unix_path)
        return await asyncio.open_connection(*self._target)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            header = await reader.readexactly(8)
            length, code = struct.unpack("!ii", header)
            while length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
                writer.write(b"N")
                await writer.drain()
                header = await reader.readexactly(8)
                length, code = struct.unpack("!ii", header)
            startup = header + await reader.readexactly(length - 8)
            upstream_reader, upstream_writer = await self._open_upstream()
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            return
        upstream_writer.write(startup)
        counted = code != CANCEL_REQUEST
        for task in (
            asyncio.create_task(self._client_to_server(reader, upstream_writer, counted)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()

    async def _client_to_server(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, counted: bool
    ) -> None:
        buffer = bytearray()
        executes_since_sync = 0
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                sink.write(data)
                if counted:
                    buffer += data
                    offset = 0
                    while len(buffer) - offset >= 5:
                        (length,) = struct.unpack_from("!i", buffer, offset + 1)
                        if len(buffer) - offset < 1 + length:
                            break
                        kind = chr(buffer[offset])
                        offset += 1 + length
                        if kind == "Q":
                            self.counts.update(("round_trips", "statements", "simple_queries"))
                        elif kind == "E":
                            self.counts.update(("statements",))
                            executes_since_sync += 1
                        elif kind == "P":
                            self.counts.update(("parses",))
                        elif kind == "S":
                            self.counts.update(("round_trips",))
                            if executes_since_sync == 0:
                                self.counts.update(("prepare_round_trips",))
                            executes_since_sync = 0
                    del buffer[:offset]
                await sink.drain()
        sink.close()


# --------------------------------------------------------------------------------------------
# Load generator
# --------------------------------------------------------------------------------------------


@dataclass
class DriveResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def created(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 201)


async def drive(
    service: Service,
    charge_ids: Sequence[str],
    concurrency: int,
    *,
    on_done: Callable[[], None] | None = None,
) -> DriveResult:
    """POST /invoices once per charge with `concurrency` closed-loop workers; 201 is success."""
    result = DriveResult()
    pending = iter(charge_ids)
    url = f"{service.url}/invoices"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {service.api_key}"}
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker() -> None:
            for charge_id in pending:
                body = json.dumps({"charge_id": charge_id, "send_email": False}).encode()
                started = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as response:
                        payload = await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    result.statuses[0] += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                result.statuses[status] += 1
                if status == 201:
                    result.latencies_s.append(elapsed)
                elif len(result.error_samples) < 5:
                    result.error_samples.append(f"HTTP {status}: {payload[:300].decode(errors='replace')}")
                if on_done is not None:
                    on_done()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(charge_ids)) or 1)))
        result.wall_s = time.perf_counter() - started
    return result


def run_summary(result: DriveResult, concurrency: int) -> dict[str, Any]:
    return {
        "concurrency": concurrency,
        "invoices": result.created + result.errors,
        "ok": result.created,
        "errors": result.errors,
        "statuses": {str(status): count for status, count in sorted(result.statuses.items())},
        "error_samples": result.error_samples,
        "wall_s": round(result.wall_s, 3),
        "invoices_per_s": round(result.created / result.wall_s, 2) if result.wall_s else 0.0,
        "latency_ms": latency_summary_ms(result.latencies_s),
    }


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    main: list[str]
    warmup: list[str]
    cost: dict[int, list[str]]
    line_items: int


class Bench:
    """One benchmark run: the shared processes, the database, and the sections."""

    def __init__(
        self, config: BenchConfig, database: BenchDatabase, sandbox: Sandbox, work_dir: Path
    ) -> None:
        self.config = config
        self.database = database
        self.sandbox = sandbox
        self.work_dir = work_dir
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
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
        per_count = config.cost_warmup + config.cost_invoices
        cost = {
            lines: generate_charges(per_count, tag=f"COST{lines}", rng=rng, line_counts=[lines] * per_count)
            for lines in COST_LINE_COUNTS
        }
        everything = main + warmup + [charge for charges in cost.values() for charge in charges]
        started = time.perf_counter()
        await seed_charges(self.database.dsn, everything)
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
            "load_s": round(time.perf_counter() - started, 2),
        }

    async def rewind(self) -> None:
        await self.database.rewind()
        await self.sandbox.reset(self.http)

    async def start_service(self, name: str, settings: dict[str, str], dsn: str | None = None) -> Service:
        say(f"starting service '{name}' ({', '.join(f'{k}={v}' for k, v in settings.items()) or 'defaults'})")
        return await Service.start(
            name,
            dsn=dsn or self.database.dsn,
            rutter_url=self.sandbox.url,
            pool_max_size=self.config.db_pool_max_size,
            work_dir=self.work_dir,
            settings=settings,
        )

    def throughput_settings(self) -> dict[str, str]:
        return {"RUTTER_POLL_INITIAL_S": str(self.config.throughput_poll_initial_s)}

    # --- 1 and 2: throughput, latency, overhead --------------------------------------------

    async def measured(
        self, pids: dict[str, int], work: Awaitable[DriveResult]
    ) -> tuple[DriveResult, dict[str, Any]]:
        """Runs `work` and tells the CPU each process spent on it, per invoice created."""
        meter = CpuMeter(self.database, pids)
        await meter.start()
        result = await work
        return result, await meter.stop(result.created)

    async def throughput(self) -> dict[str, Any]:
        config = self.config
        service = await self.start_service("throughput", self.throughput_settings())
        service_runs: list[dict[str, Any]] = []
        baseline_runs: list[dict[str, Any]] = []
        try:
            say(f"warm-up: {len(self.workload.warmup)} invoices at concurrency {max(config.concurrency)}")
            await drive(service, self.workload.warmup, max(config.concurrency))
            for concurrency in config.concurrency:
                await self.rewind()
                pids = {"service": service.pid, "sandbox": self.sandbox.pid}
                result, cpu = await self.measured(pids, drive(service, self.workload.main, concurrency))
                summary = run_summary(result, concurrency)
                summary["cpu"] = cpu
                summary["service_cpu_ms_per_invoice"] = cpu["ms_per_invoice"]["service"]
                service_runs.append(summary)
                say(self._describe("service", summary))

                await self.rewind()
                baseline = await self.run_baseline(
                    self.workload.main, concurrency, warmup=self.workload.warmup
                )
                baseline_runs.append(baseline)
                say(self._describe("baseline", baseline))
        finally:
            await service.stop()
        ratios = {
            str(s["concurrency"]): round(s["invoices_per_s"] / b["invoices_per_s"], 3)
            if b["invoices_per_s"]
            else None
            for s, b in zip(service_runs, baseline_runs, strict=True)
        }
        return {
            "service": service_runs,
            "baseline": baseline_runs,
            "ratio_by_concurrency": ratios,
        }

    @staticmethod
    def _describe(what: str, run: dict[str, Any]) -> str:
        latency = run["latency_ms"]
        return (
            f"{what:<8} c={run['concurrency']:<3} {run['invoices_per_s']:>7.1f} invoices/s  "
            f"p50 {latency['p50']} ms  p95 {latency['p95']} ms  p99 {latency['p99']} ms  "
            f"errors {run['errors']}"
        )

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
            self.sandbox.url,
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
            args, cwd=PROJECT_ROOT, env=child_environment({}), stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            line = await asyncio.to_thread(_readline, process.stdout, 300)
            if line != "ready":
                raise RuntimeError(f"the baseline did not start: {line!r}")
            await self.sandbox.reset(self.http)  # its warm-up calls are not part of the measured run
            meter = CpuMeter(self.database, {"baseline": process.pid, "sandbox": self.sandbox.pid})
            await meter.start()
            counted_before = counter.snapshot() if counter is not None else Counter[str]()
            process.stdin.write(b"go\n")
            process.stdin.flush()
            line = await asyncio.to_thread(_readline, process.stdout, 3600)
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

    # --- 3: cost per invoice ----------------------------------------------------------------

    async def cost(self) -> dict[str, Any]:
        config = self.config
        counter = SqlCounter(self.database.server_dsn)
        await counter.start()
        proxied_dsn = counter.dsn(self.database.name)
        service = await self.start_service(
            "counted", {**self.throughput_settings(), "RECOVERY_INTERVAL_S": "0"}, dsn=proxied_dsn
        )
        by_lines: dict[str, Any] = {}
        try:
            for lines in COST_LINE_COUNTS:
                ids = self.workload.cost[lines]
                warmup, measured = ids[: config.cost_warmup], ids[config.cost_warmup :]
                await self.rewind()
                await drive(service, warmup, 1)
                await self.sandbox.reset(self.http)
                before_sql = counter.snapshot()
                before_cpu = process_cpu_s(service.pid)
                result = await drive(service, measured, 1)
                cpu_s = process_cpu_s(service.pid) - before_cpu
                sql = counter.snapshot() - before_sql
                requests = await self.sandbox.requests(self.http)
                service_cost = self._cost_summary(result.created, sql, requests)
                service_cost["errors"] = result.errors
                service_cost["cpu_ms_per_invoice"] = round(cpu_s * 1000 / max(result.created, 1), 3)
                service_cost["latency_ms"] = latency_summary_ms(result.latencies_s)

                await self.rewind()
                baseline = await self.run_baseline(
                    measured, 1, warmup=warmup, dsn=proxied_dsn, pool_size=1, counter=counter
                )
                requests = await self.sandbox.requests(self.http)
                baseline_cost = self._cost_summary(baseline["ok"], Counter(baseline["sql"]), requests)
                baseline_cost["errors"] = baseline["errors"]
                baseline_cost["cpu_ms_per_invoice"] = baseline["baseline_cpu_ms_per_invoice"]
                by_lines[str(lines)] = {"service": service_cost, "baseline": baseline_cost}
                say(
                    f"cost, {lines}-line charges: service {service_cost['sql_round_trips_per_invoice']} SQL "
                    f"round trips, {service_cost['rutter_calls_per_invoice']} Rutter calls, "
                    f"{service_cost['cpu_ms_per_invoice']} ms CPU per invoice; baseline "
                    f"{baseline_cost['sql_round_trips_per_invoice']} round trips"
                )
        finally:
            await service.stop()
            await counter.close()
        return {
            "invoices_per_line_count": config.cost_invoices,
            "concurrency": 1,
            "by_line_count": by_lines,
            "method": (
                "SQL: a proxy in front of PostgreSQL counts the messages the client sends after a warm-up of "
                f"{config.cost_warmup} invoices (round trip = simple Query or Sync; statement = Execute or "
                "Query; prepare = a Sync batch without Execute). pg_stat_statements needs "
                "shared_preload_libraries, which a shared server may not have. Rutter: the sandbox's "
                "/_sandbox/requests after a reset. CPU: utime+stime of the service process "
                "(/proc/<pid>/stat) over the measured invoices."
            ),
        }

    @staticmethod
    def _cost_summary(invoices: int, sql: Counter[str], requests: list[dict[str, Any]]) -> dict[str, Any]:
        kinds: Counter[str] = Counter()
        for entry in requests:
            if entry["method"] == "POST" and entry["path"].endswith("/accounting/invoices"):
                kinds["create"] += 1
            elif entry["method"] == "GET" and "/jobs/" in entry["path"]:
                kinds["poll_job"] += 1
            else:
                kinds["other"] += 1
        per = max(invoices, 1)
        return {
            "invoices": invoices,
            "sql_round_trips_per_invoice": round(sql["round_trips"] / per, 2),
            "sql_statements_per_invoice": round(sql["statements"] / per, 2),
            "sql_prepare_round_trips_per_invoice": round(sql["prepare_round_trips"] / per, 2),
            "sql_simple_queries_per_invoice": round(sql["simple_queries"] / per, 2),
            "rutter_calls_per_invoice": round(sum(kinds.values()) / per, 2),
            "rutter_calls_by_kind": {kind: round(count / per, 2) for kind, count in sorted(kinds.items())},
        }

    # --- 4 and 5: waiting and polling --------------------------------------------------------

    async def waiting_and_polling(self, sections: Sequence[str]) -> dict[str, Any]:
        config = self.config
        service = await self.start_service(
            "deployed-polling", {"RUTTER_JOB_TIMEOUT_S": str(config.poll_job_timeout_s)}
        )
        results: dict[str, Any] = {}
        try:
            await self.rewind()
            # Opens the pool's connections; with the deployed 0.5 s first poll each invoice takes 0.5 s.
            await drive(service, self.workload.warmup[:16], 16)
            if "waiting" in sections:
                results["waiting"] = await self._waiting(service)
            if "polling" in sections:
                results["polling"] = await self._polling(service)
        finally:
            await service.stop()
        return results

    async def _waiting(self, service: Service) -> dict[str, Any]:
        config = self.config
        invoices = min(config.waiting_invoices, len(self.workload.main))
        await self.rewind()
        await self.sandbox.configure(self.http, job_latency=config.waiting_job_latency_s)
        pids = {"service": service.pid, "sandbox": self.sandbox.pid}
        result, cpu = await self.measured(
            pids, drive(service, self.workload.main[:invoices], config.waiting_concurrency)
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

    async def _polling(self, service: Service) -> dict[str, Any]:
        config = self.config
        durations: list[dict[str, Any]] = []
        ids = iter(self.workload.main)
        await self.rewind()
        for job_s in config.poll_durations_s:
            await self.sandbox.reset(self.http)
            await self.sandbox.configure(self.http, job_latency=job_s)
            charges = [next(ids) for _ in range(config.poll_invoices)]
            result = await drive(service, charges, len(charges))
            polls: Counter[str] = Counter()
            for entry in await self.sandbox.requests(self.http):
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

    # --- 6: memory ----------------------------------------------------------------------------

    async def memory(self) -> dict[str, Any]:
        config = self.config
        await self.rewind()
        service = await self.start_service("memory", self.throughput_settings())
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
                batch = self.workload.main[: min(remaining, len(self.workload.main))]
                result = await drive(service, batch, config.memory_concurrency, on_done=done)
                errors += result.errors
                remaining -= len(batch)
                batch_ends.append(len(samples) - 1)
                say(f"memory: {completed} invoices, RSS {process_memory_kb(service.pid) / 1024:.1f} MiB")
                if remaining > 0:
                    await self.rewind()
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
        slope = _slope_per_1000([row[2] for row in tail], [row[1] for row in tail])
        grows = growth > 0.10 * after_first
        return {
            "invoices": completed,
            "errors": errors,
            "concurrency": config.memory_concurrency,
            "batch_size": len(self.workload.main),
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

    # --- everything ---------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        config = self.config
        results: dict[str, Any] = {
            "schema_version": 1,
            "mode": config.mode,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "database": await self.database.describe(),
            "config": _config_json(config),
        }
        say("seeding charges")
        results["seed"] = await self.seed()
        say(f"seeded {results['seed']['charges']} charges in {results['seed']['load_s']} s")
        began = time.monotonic()
        if "throughput" in config.sections:
            results["throughput"] = await self.throughput()
        if "cost" in config.sections:
            results["cost"] = await self.cost()
        if "waiting" in config.sections or "polling" in config.sections:
            results.update(await self.waiting_and_polling(config.sections))
        if "memory" in config.sections:
            results["memory"] = await self.memory()
        results["duration_s"] = round(time.monotonic() - began, 1)
        results["goals"] = evaluate_goals(results)
        return results


def _slope_per_1000(xs: Sequence[float], ys: Sequence[float]) -> float | None:
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


def _config_json(config: BenchConfig) -> dict[str, Any]:
    values = asdict(config)
    values["out_dir"] = str(config.out_dir)
    values["service"] = {
        "command": "uvicorn api.main:app --host 127.0.0.1 --port <free> --no-access-log --log-level warning",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX_SIZE": config.db_pool_max_size,
        "RUTTER_POLL_INITIAL_S (throughput, cost, memory)": config.throughput_poll_initial_s,
        "RUTTER_POLL_INITIAL_S/FACTOR/MAX_S (waiting, polling)": [
            DEPLOYED_POLL_INITIAL_S,
            DEPLOYED_POLL_FACTOR,
            DEPLOYED_POLL_MAX_S,
        ],
        "RUTTER_JOB_TIMEOUT_S (waiting, polling)": config.poll_job_timeout_s,
        "EMAIL_ENABLED": False,
    }
    values["sandbox"] = {"job_latency_s": 0, "rate_limit": SANDBOX_RATE_LIMIT}
    return values


def evaluate_goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals against what was measured (only for the sections that ran)."""
    goals: list[dict[str, Any]] = []
    throughput = results.get("throughput")
    if throughput:
        by_level = throughput["ratio_by_concurrency"]
        ratios = [ratio for ratio in by_level.values() if ratio is not None]
        worst = min(ratios) if ratios else None
        goals.append(
            {
                "goal": "service / baseline throughput >= 0.6 at every concurrency",
                "measured": worst,
                "detail": "by concurrency: "
                + ", ".join(f"{level}: {ratio}" for level, ratio in by_level.items()),
                "met": worst is not None and worst >= 0.6,
            }
        )
    cost = results.get("cost")
    if cost:
        by_lines = cost["by_line_count"]
        service = [
            by_lines[str(lines)]["service"]["sql_round_trips_per_invoice"] for lines in COST_LINE_COUNTS
        ]
        baseline = [
            by_lines[str(lines)]["baseline"]["sql_round_trips_per_invoice"] for lines in COST_LINE_COUNTS
        ]
        goals.append(
            {
                "goal": "SQL round trips per invoice bounded and independent of line count",
                "measured": service,
                "detail": f"for {' and '.join(map(str, COST_LINE_COUNTS))} lines; baseline {baseline}",
                "met": max(service) - min(service) < 0.5,
            }
        )
    waiting = results.get("waiting")
    if waiting:
        goals.append(
            {
                "goal": "waiting scales: wall time within 2x the ideal (a few seconds, not minutes)",
                "measured": waiting["ratio_to_ideal"],
                "detail": (
                    f"{waiting['wall_s']:.1f} s vs ideal {waiting['ideal_s']:.1f} s; the service spent "
                    f"{waiting['service_cpu_s']:.1f} s of CPU; serialised waits would take "
                    f"{waiting['serialised_s']:,.0f} s"
                ),
                "met": waiting["errors"] == 0 and waiting["ratio_to_ideal"] <= 2.0,
            }
        )
    polling = results.get("polling")
    if polling:
        goals.append(
            {
                "goal": "polls per job <= ceil(log1.5(T / 0.5 s)) + 2",
                "measured": {str(d["job_s"]): d["max_polls"] for d in polling["durations"]},
                "detail": "bounds "
                + ", ".join(f"{d['job_s']:g} s: {d['goal_max_polls']}" for d in polling["durations"]),
                "met": all(d["met"] for d in polling["durations"]),
            }
        )
    memory = results.get("memory")
    if memory:
        goals.append(
            {
                "goal": "RSS does not grow with invoices (end within 10% of after the first batch)",
                "measured": memory["growth_after_first_batch_mib"],
                "detail": (
                    f"MiB of growth; peak {memory['peak_rss_mib']:.1f} MiB, {memory['invoices']:,} invoices"
                ),
                "met": not memory["grows"] and memory["errors"] == 0,
            }
        )
    return goals


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bench_environment(config: BenchConfig) -> AsyncIterator[Bench]:
    """The database (created, dropped after), the sandbox and a work folder for logs and id files."""
    database = await BenchDatabase.create()
    say(f"PostgreSQL: {database.source}; created database {database.name}")
    sandbox: Sandbox | None = None
    bench: Bench | None = None
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        try:
            sandbox = Sandbox.start()
            say(f"sandbox: {sandbox.url}")
            bench = Bench(config, database, sandbox, Path(work))
            yield bench
        finally:
            if bench is not None:
                await bench.close()
            if sandbox is not None:
                sandbox.stop()
            await database.drop()
            say(f"dropped database {database.name}")


async def run_suite(config: BenchConfig) -> dict[str, Any]:
    """Runs the benchmark and writes results.json, summary.md and the plots to `config.out_dir`."""
    async with bench_environment(config) as bench:
        results = await bench.run()
    config.out_dir.mkdir(parents=True, exist_ok=True)
    (config.out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plots = report.draw(results, config.out_dir)
    (config.out_dir / "summary.md").write_text(report.markdown(results, plots, config.out_dir) + "\n")
    return results


def parse_args(argv: list[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the invoice service against the Rutter sandbox (see bench/run.py).",
    )
    parser.add_argument("--quick", action="store_true", help="the smoke run: small N, seconds")
    parser.add_argument("--charges", type=int, help="charges per run (full 2000, quick 64)")
    parser.add_argument("--concurrency", help="comma-separated levels (default 1,16,64)")
    parser.add_argument(
        "--db-pool-size", type=int, help="DB_POOL_MAX_SIZE of the service and the baseline (20)"
    )
    parser.add_argument("--memory-invoices", type=int, help="invoices of the memory section (full 10000)")
    parser.add_argument(
        "--poll-initial-s",
        type=float,
        help="RUTTER_POLL_INITIAL_S for throughput/cost/memory (0.001; the deployed 0.5 adds 0.5 s to each)",
    )
    parser.add_argument("--sections", help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument(
        "--out", type=Path, help="output folder (full: bench/results, quick: bench/results/quick.tmp)"
    )
    parser.add_argument("--seed", type=int, help="random seed of the generated charges")
    args = parser.parse_args(argv)
    config = BenchConfig.quick() if args.quick else BenchConfig.full()
    changes: dict[str, Any] = {}
    if args.charges is not None:
        changes["charges"] = args.charges
    if args.concurrency:
        changes["concurrency"] = tuple(int(level) for level in args.concurrency.split(","))
    if args.db_pool_size is not None:
        changes["db_pool_max_size"] = args.db_pool_size
    if args.memory_invoices is not None:
        changes["memory_invoices"] = args.memory_invoices
    if args.poll_initial_s is not None:
        changes["throughput_poll_initial_s"] = args.poll_initial_s
    if args.sections:
        sections = tuple(section.strip() for section in args.sections.split(","))
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
        changes["sections"] = sections
    if args.out is not None:
        changes["out_dir"] = args.out
    if args.seed is not None:
        changes["seed"] = args.seed
    return replace(config, **changes)


def main(argv: list[str] | None = None) -> None:
    if not Path("/proc/self/stat").exists():
        raise SystemExit("the benchmark reads /proc: it runs on Linux only")
    config = parse_args(argv)
    started = time.monotonic()
    results = asyncio.run(run_suite(config))
    print(report.markdown(results, report.plot_paths(config.out_dir), config.out_dir))
    say(f"done in {time.monotonic() - started:.0f} s; results in {config.out_dir}")
