"""`python -m bench.faults`: randomized fault runs against real processes, proving that one charge
never yields two invoices in Rutter and that no invoice created in Rutter is lost.

    python -m bench.faults --runs 200 [--seed N] [--concurrency K] [--json FILE] [--log-dir DIR]

It starts one fresh database (a new database on the server of DATABASE_URL, else on an embedded
PostgreSQL), one Rutter sandbox process (`python -m sandbox`) and one service process
(`uvicorn api.main:app`), which is SIGKILLed and restarted whenever a run asks for it. Every run
invoices a charge of its own (a copy of demo charge 1 with new ids and document number) under
random faults:

* 429, 452 and 500 storms of random length on the create (the long ones exhaust the retry budget:
  502 RUTTER_UNAVAILABLE), sometimes with the first 500 coming after the create was accepted;
* a dropped connection after the create was accepted;
* a failed Rutter job (450: 502 RUTTER_REJECTED, then a new request);
* a job slower than RUTTER_JOB_TIMEOUT_S (202, then the status URL);
* SIGKILL of the service at a random moment, then a restart;
* concurrent duplicate POSTs, client retries with the same Idempotency-Key.

The first runs get one of those scenarios each for sure, so even a short bench covers them all.
Before each SIGKILL the bench notes where the interrupted requests stand (create not yet accepted,
accepted but job id not stored, job running, job ended but not written back) and prints the counts.

Runs go in waves of K (`--concurrency`) driven at the same time. The sandbox's fault queue and its
job latency are global, so a wave's faults hit whichever of its creates comes first, and a kill hits
every run in flight: the checks are global too. Each run is driven to a final state, bounded in
time: POST again after a 502, a 500 or a dropped connection, GET the status URL while PENDING. Once
everything has settled:

* duplicates: charges with more than one invoice in the sandbox (counted by document number), or
  more than one acc_uac_invoice row;
* lost: invoices in the sandbox without their acc_uac_invoice row, and COMPLETED requests whose
  row is missing;
* unsettled: charges without a COMPLETED request at the end;
* unexpected answers: any answer outside the contract for these faults (e.g. a 500).

Prints a table and exits 1 when any of these is not 0 (2 when the bench itself broke).

The service runs with BENCH_SERVICE_SETTINGS: job deadline 0.6 s, 3 attempts within 1.5 s per call,
a lease of INVOICE_LEASE_S = 1.5 s, renewed while its worker lives (so a killed request is taken over
within seconds, by the sweep every 0.25 s or by a client's retry), the sandbox's jobs take 0.05 s
(1 s in a wave with a slow job). 200 runs take about a minute and a half on 2 cores.

The process helpers (`SandboxProcess`, `ServiceProcess`, `service_env`, `clone_charge`) are what
the end-to-end tests in tests/e2e use as well.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import ctypes
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import aiohttp
import asyncpg
from multidict import CIMultiDict

from api.config import Settings
from api.db.admin import create_database, drop_database
from api.db.migrate import apply_migrations
from api.keys.service import issue_key
from api.paths import PROJECT_ROOT
from seed.loader import demo_payload, load_charges

T = TypeVar("T")

ORG_ID = "081f69a9-ab4c-4014-b50f-021d9b447f91"
ACCESS_TOKEN = "access-sandbox-demo-0001"  # noqa: S105 - the demo organization's sandbox token
TEMPLATE_CHARGE_ID = "6f0c1a2e-1111-4c1e-9a11-000000000001"
SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the local stand-in's fixed credentials
RECIPIENT_EMAIL = "billing-e2e@example.com"

# Quick timings for a service that talks to the local sandbox; a test or the bench overrides some.
FAST_SERVICE_SETTINGS: dict[str, str] = {
    "RUTTER_VERSION": "2023-03-14",
    "RUTTER_JOB_TIMEOUT_S": "5",
    "RUTTER_POLL_INITIAL_S": "0.02",
    "RUTTER_POLL_FACTOR": "1.5",
    "RUTTER_POLL_MAX_S": "0.1",
    "RUTTER_REQUEST_TIMEOUT_S": "5",
    "RUTTER_RETRY_ATTEMPTS": "3",
    "RUTTER_RETRY_BUDGET_S": "3",
    "RUTTER_RETRY_INITIAL_S": "0.01",
    "RUTTER_RETRY_MAX_WAIT_S": "0.05",
    "RECOVERY_INTERVAL_S": "0.2",
    "INVOICE_LEASE_S": "1",
    "EMAIL_ENABLED": "false",
    "LOG_LEVEL": "INFO",
}

READY_TIMEOUT_S = 30.0
POLL_PAUSE_S = 0.02


# ------------------------------------------------------------------------------------------------
# Charges
# ------------------------------------------------------------------------------------------------


def template_charge() -> dict[str, Any]:
    """Demo charge 1 (clean, fully reconciled) in the streamOS API shape."""
    for charge in demo_payload():
        if charge["id"] == TEMPLATE_CHARGE_ID:
            return dict(charge)
    raise LookupError(f"demo charge {TEMPLATE_CHARGE_ID} is missing from seed/data")


def clone_charge(
    template: Mapping[str, Any], *, document_number: str, charge_id: str | None = None
) -> dict[str, Any]:
    """A copy of `template` as a charge of its own: new ids (charge, pricer invoice, line items) and
    document number; organization, customer, products and items stay shared."""
    charge = copy.deepcopy(dict(template))
    charge["id"] = charge_id or str(uuid.uuid4())
    charge["document_number"] = document_number
    charge["pricer_invoice_id"] = str(uuid.uuid4())
    for line in charge["line_items"]:
        line["id"] = str(uuid.uuid4())
        line["uac_invoice_id"] = charge["id"]
        if line.get("invoice_adjustment_line_item"):
            raise ValueError("clone_charge does not copy invoice adjustments")
    return charge


# ------------------------------------------------------------------------------------------------
# Databases
# ------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------
# Processes
# ------------------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL when its parent dies, so a crashed run leaves no process behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _open_logs(out: Path, err: Path) -> tuple[IO[bytes], IO[bytes]]:
    return out.open("wb"), err.open("wb")


def _tail(path: Path, lines: int) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ManagedProcess:
    """A child process whose stdout and stderr go to files in `log_dir`, one pair per start."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name = name
        self.log_dir = log_dir
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.log_files: list[Path] = []

    async def _spawn(self, args: Sequence[str], env: Mapping[str, str]) -> tuple[Path, Path]:
        self.starts += 1
        out = self.log_dir / f"{self.name}-{self.starts}.stdout.log"
        err = self.log_dir / f"{self.name}-{self.starts}.stderr.log"
        self.log_files += [out, err]
        stdout, stderr = _open_logs(out, err)
        try:
            self.process = await asyncio.create_subprocess_exec(
                *args,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=PROJECT_ROOT,
                env=dict(env),
                preexec_fn=_die_with_parent,
            )
        finally:
            stdout.close()
            stderr.close()
        return out, err

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, exactly like a crash."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL when it has not exited after `timeout_s`."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()

    def output(self) -> str:
        """Everything every start of the process wrote, stdout and stderr."""
        return "".join(path.read_text(errors="replace") for path in self.log_files if path.exists())

    def tail(self, lines: int = 40) -> str:
        parts = [f"--- {path.name} (last {lines} lines) ---\n{_tail(path, lines)}" for path in self.log_files]
        return "\n".join(parts)


def environment_without_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment minus anything the service or the sandbox would read as a setting."""
    names = {name.upper() for name in Settings.model_fields} | {"RECEPIENT_EMAIL"}
    return {
        key: value
        for key, value in environ.items()
        if key.upper() not in names and not key.upper().startswith("SANDBOX_")
    }


class SandboxProcess(ManagedProcess):
    """`python -m sandbox` on two free ports; the URLs are read from its first two stdout lines."""

    rutter_url = ""
    email_url = ""

    async def start(self, *, job_latency: float = 0.05, rate_limit: int = 100_000) -> None:
        out, _ = await self._spawn(
            [
                sys.executable,
                "-m",
                "sandbox",
                "--host",
                "127.0.0.1",
                "--rutter-port",
                "0",
                "--email-port",
                "0",
                "--client-id",
                SANDBOX_CLIENT_ID,
                "--client-secret",
                SANDBOX_CLIENT_SECRET,
                "--job-latency",
                str(job_latency),
                "--rate-limit",
                str(rate_limit),
            ],
            {**environment_without_settings(os.environ), "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            text = out.read_text(errors="replace") if out.exists() else ""
            rutter = re.search(r"(http://\S+)/versioned", text)
            email = re.search(r"(http://\S+)/send\b", text)
            if rutter and email:
                self.rutter_url, self.email_url = rutter.group(1), email.group(1)
                return
            if not self.running:
                raise RuntimeError(f"the sandbox exited before printing its URLs:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox printed no URLs in {READY_TIMEOUT_S:g} s:\n{self.tail()}")
            await asyncio.sleep(POLL_PAUSE_S)

    def control(self, session: aiohttp.ClientSession) -> SandboxControl:
        return SandboxControl(self.rutter_url, self.email_url, session)


@dataclass
class SandboxControl:
    """The sandbox's control API (`/_sandbox/...`) and the email sink's, over HTTP."""

    rutter_url: str
    email_url: str
    session: aiohttp.ClientSession

    async def _call(self, method: str, url: str, body: Any = None) -> Any:
        async with self.session.request(method, url, json=body) as response:
            response.raise_for_status()
            return await response.json()

    async def reset(self) -> None:
        await self._call("POST", f"{self.rutter_url}/_sandbox/reset")
        await self._call("POST", f"{self.email_url}/_sink/reset")

    async def clear_faults(self) -> None:
        await self._call("DELETE", f"{self.rutter_url}/_sandbox/faults")

    async def configure(self, **changes: Any) -> None:
        await self._call("POST", f"{self.rutter_url}/_sandbox/config", changes)

    async def fail_creates(self, fault: str, count: int = 1, **options: Any) -> None:
        await self._call(
            "POST", f"{self.rutter_url}/_sandbox/faults/create", {"fault": fault, "count": count, **options}
        )

    async def fail_jobs(self, count: int = 1, **options: Any) -> None:
        await self._call("POST", f"{self.rutter_url}/_sandbox/faults/job", {"count": count, **options})

    async def invoices(self) -> list[dict[str, Any]]:
        summary = await self._call("GET", f"{self.rutter_url}/_sandbox/invoices")
        invoices: list[dict[str, Any]] = summary["invoices"]
        return invoices

    async def invoices_for(self, document_number: str) -> list[dict[str, Any]]:
        return [i for i in await self.invoices() if i["document_number"] == document_number]

    async def jobs(self) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = (await self._call("GET", f"{self.rutter_url}/_sandbox/jobs"))["jobs"]
        return jobs

    async def requests(self) -> list[dict[str, Any]]:
        log: list[dict[str, Any]] = (await self._call("GET", f"{self.rutter_url}/_sandbox/requests"))[
            "requests"
        ]
        return log

    async def creates(self, document_number: str | None = None) -> list[dict[str, Any]]:
        """The create calls in the request log (optionally of one charge), oldest first."""
        return [
            entry
            for entry in await self.requests()
            if entry["method"] == "POST"
            and entry["path"] == "/versioned/accounting/invoices"
            and (
                document_number is None
                or ((entry.get("body") or {}).get("invoice") or {}).get("document_number") == document_number
            )
        ]

    async def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = (await self._call("GET", f"{self.email_url}/messages"))["messages"]
        return messages


def service_env(
    *,
    database_url: str,
    rutter_url: str,
    email_url: str,
    settings: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """The service's environment against the sandbox, with FAST_SERVICE_SETTINGS and `settings`
    (names in any case) on top; nothing else of the caller's settings leaks in."""
    env = environment_without_settings(os.environ)
    env.update(
        PYTHONUNBUFFERED="1",
        DATABASE_URL=database_url,
        RUTTER_BASE_URL=rutter_url,
        RUTTER_CLIENT_ID=SANDBOX_CLIENT_ID,
        RUTTER_CLIENT_SECRET=SANDBOX_CLIENT_SECRET,
        EMAIL_SERVICE_URL=f"{email_url}/sendMessage/{{organization_id}}",
        RECIPIENT_EMAIL=RECIPIENT_EMAIL,
    )
    env.update(FAST_SERVICE_SETTINGS)
    env.update({name.upper(): _env_value(value) for name, value in (settings or {}).items()})
    return env


def _env_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


async def create_api_key(dsn: str, name: str = "bench") -> str:
    """A new all-organizations API key in that database (what tools driving the service call with)."""
    connection = await asyncpg.connect(dsn)
    try:
        return (await issue_key(connection, organization_id=None, name=name)).key
    finally:
        await connection.close()


def bearer(api_key: str | None, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """`headers` plus `Authorization: Bearer <api_key>` (when there is a key)."""
    combined = dict(headers or {})
    if api_key is not None:
        combined["Authorization"] = f"Bearer {api_key}"
    return combined


class ServiceProcess(ManagedProcess):
    """`python -m uvicorn api.main:app` with api.server's protocol, as deployed, on a fixed free port
    (kept across restarts); `api_key` is what callers authenticate with."""

    def __init__(
        self,
        name: str,
        log_dir: Path,
        env: Mapping[str, str],
        port: int | None = None,
        api_key: str | None = None,
    ) -> None:
        super().__init__(name, log_dir)
        self.env = dict(env)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        self.kills = 0

    async def start(self, settings: Mapping[str, object] | None = None) -> None:
        """Starts the process (`settings` on top of its environment, for this start only) and waits
        until `/readyz` answers 200."""
        env = {**self.env, **{name.upper(): _env_value(value) for name, value in (settings or {}).items()}}
        await self._spawn(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:app",
                "--http",
                "api.server:LimitedHttpToolsProtocol",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env,
        )
        await self.wait_ready()

    async def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                if not self.running:
                    code = self.process.returncode if self.process else None
                    raise RuntimeError(f"{self.name} exited ({code}) before it was ready:\n{self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(f"{self.url}/readyz") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} was not ready after {timeout_s:g} s:\n{self.tail()}")
                await asyncio.sleep(POLL_PAUSE_S)

    async def kill(self) -> None:
        if self.running:
            self.kills += 1
        await super().kill()

    async def restart(self, settings: Mapping[str, object] | None = None) -> None:
        """SIGKILL (when running), then a new process on the same port."""
        await self.kill()
        await self.start(settings)


# ------------------------------------------------------------------------------------------------
# Calling the service
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One HTTP answer of the service: status, JSON body (None when not JSON) and headers (any case)."""

    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def code(self) -> str | None:
        """The error code of an ErrorResponse body."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None

    @property
    def details(self) -> dict[str, Any]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        details = error.get("details") if isinstance(error, dict) else None
        return details if isinstance(details, dict) else {}


async def call(
    session: aiohttp.ClientSession, method: str, url: str, *, json_body: Any = None, headers: Any = None
) -> Answer:
    async with session.request(method, url, json=json_body, headers=headers) as response:
        raw = await response.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return Answer(response.status, body, CIMultiDict(response.headers))


async def post_invoice(
    session: aiohttp.ClientSession,
    base_url: str,
    charge_id: str,
    *,
    key: str | None = None,
    send_email: bool | None = None,
    api_key: str | None = None,
) -> Answer:
    body: dict[str, Any] = {"charge_id": charge_id}
    if send_email is not None:
        body["send_email"] = send_email
    headers = bearer(api_key, {"Idempotency-Key": key} if key is not None else None)
    return await call(session, "POST", f"{base_url}/invoices", json_body=body, headers=headers)


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float, what: str, pause_s: float = POLL_PAUSE_S
) -> T:
    """Polls `probe` until it returns something other than None (or False); bounded by `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout_s:g} s")
        await asyncio.sleep(pause_s)


# ------------------------------------------------------------------------------------------------
# The fault runs
# ------------------------------------------------------------------------------------------------

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


@dataclass
class Verdict:
    sandbox_invoices: int
    stored_invoices: int
    duplicates: list[str]
    lost: list[str]
    unsettled: list[str]
    pending_left: int

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.lost or self.unsettled or self.pending_left)


async def verify(control: SandboxControl, pool: asyncpg.Pool, plans: Sequence[RunPlan]) -> Verdict:
    """Counts duplicates, lost invoices and unsettled charges once everything has settled."""
    numbers = {plan.document_number for plan in plans}
    in_rutter = [invoice for invoice in await control.invoices() if invoice["document_number"] in numbers]
    per_number = Counter(invoice["document_number"] for invoice in in_rutter)
    rows = await pool.fetch(
        "SELECT id, document_number, provider_entity_id FROM acc_uac_invoice WHERE organization_id = $1",
        ORG_ID,
    )
    stored = [row for row in rows if row["document_number"] in numbers]
    stored_per_number = Counter(row["document_number"] for row in stored)
    stored_ids = {row["provider_entity_id"] for row in stored}
    duplicates = sorted(n for n in numbers if per_number[n] > 1 or stored_per_number[n] > 1)
    lost = [
        f"{invoice['document_number']}: Rutter invoice {invoice['id']} has no acc_uac_invoice row"
        for invoice in in_rutter
        if invoice["id"] not in stored_ids
    ]
    broken = await pool.fetch(
        """
        SELECT r.id, r.charge_id FROM invoice_request r
        LEFT JOIN acc_uac_invoice a ON a.id = r.acc_uac_invoice_id
        WHERE r.status = 'COMPLETED' AND a.id IS NULL
        """
    )
    lost += [
        f"request {row['id']} (charge {row['charge_id']}) is COMPLETED without its row" for row in broken
    ]
    completed = {
        str(row["charge_id"])
        for row in await pool.fetch("SELECT charge_id FROM invoice_request WHERE status = 'COMPLETED'")
    }
    unsettled = sorted(plan.document_number for plan in plans if plan.charge_id not in completed)
    pending = await pool.fetchval("SELECT count(*) FROM invoice_request WHERE status = 'PENDING'")
    return Verdict(len(in_rutter), len(stored), duplicates, lost, unsettled, int(pending))


@dataclass
class Report:
    runs: int
    seed: int
    concurrency: int
    wall_s: float
    scenarios: Counter[str]
    answers: Counter[str]
    kills: int
    interrupted: Counter[str]
    verdict: Verdict
    anomalies: list[str]
    log_dir: str

    def table(self) -> str:
        lines = [
            f"fault runs: {self.runs} (seed {self.seed}, concurrency {self.concurrency})",
            "",
            f"{'scenario':<48}{'runs':>8}",
        ]
        lines += [f"{name:<48}{self.scenarios[name]:>8}" for name in SCENARIOS]
        lines += ["", f"{'answers seen by the clients':<48}{'count':>8}"]
        lines += [f"{name:<48}{count:>8}" for name, count in sorted(self.answers.items())]
        verdict = self.verdict
        lines += [
            "",
            f"{'service SIGKILLs / restarts':<48}{self.kills:>8}",
            *(f"{'  ' + when:<48}{self.interrupted[when]:>8}" for when in CRASH_POINTS),
            f"{'invoices in the sandbox':<48}{verdict.sandbox_invoices:>8}",
            f"{'acc_uac_invoice rows':<48}{verdict.stored_invoices:>8}",
            f"{'unexpected answers':<48}{len(self.anomalies):>8}",
            f"{'unsettled charges':<48}{len(verdict.unsettled):>8}",
            f"{'duplicates':<48}{len(verdict.duplicates):>8}",
            f"{'lost':<48}{len(verdict.lost):>8}",
            f"{'wall time':<48}{self.wall_s:>7.1f}s",
        ]
        for title, items in (
            ("duplicates", verdict.duplicates),
            ("lost", verdict.lost),
            ("unsettled", verdict.unsettled),
            ("unexpected answers", self.anomalies),
        ):
            if items:
                lines += ["", f"{title}:"] + [f"  {item}" for item in items[:20]]
        lines += ["", f"process logs: {self.log_dir}"]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "concurrency": self.concurrency,
            "wall_s": round(self.wall_s, 1),
            "scenarios": dict(self.scenarios),
            "answers": dict(self.answers),
            "kills": self.kills,
            "interrupted": dict(self.interrupted),
            "sandbox_invoices": self.verdict.sandbox_invoices,
            "stored_invoices": self.verdict.stored_invoices,
            "duplicates": self.verdict.duplicates,
            "lost": self.verdict.lost,
            "unsettled": self.verdict.unsettled,
            "pending_left": self.verdict.pending_left,
            "anomalies": self.anomalies,
            "log_dir": self.log_dir,
        }


async def run_bench(
    *, runs: int, seed: int, concurrency: int, server_dsn: str, log_dir: Path, keep_database: bool = False
) -> Report:
    started = time.monotonic()
    rng = random.Random(seed)
    dsn = await create_database(server_dsn, "invoice_faults")
    sandbox = SandboxProcess("sandbox", log_dir)
    service: ServiceProcess | None = None
    try:
        await apply_migrations(dsn)
        template = template_charge()
        charges = [clone_charge(template, document_number=f"FLT-{seed}-{i:04d}") for i in range(runs)]
        await load_charges(dsn, charges, progress=None)
        # The first runs get one fault scenario each for sure: even a short bench covers them all.
        forced = SCENARIOS[1:]
        plans = [
            plan_run(
                rng,
                i,
                charge["id"],
                charge["document_number"],
                forced=forced[i] if i < len(forced) else None,
            )
            for i, charge in enumerate(charges)
        ]

        await sandbox.start(job_latency=FAST_JOB_LATENCY_S)
        env = service_env(
            database_url=dsn,
            rutter_url=sandbox.rutter_url,
            email_url=sandbox.email_url,
            settings=BENCH_SERVICE_SETTINGS,
        )
        service = ServiceProcess("service", log_dir, env, api_key=await create_api_key(dsn, "bench.faults"))
        await service.start()
        timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
        async with (
            asyncpg.create_pool(dsn, min_size=1, max_size=4) as pool,
            aiohttp.ClientSession(timeout=timeout) as session,
        ):
            bench = Bench(sandbox, service, pool, session)
            results: list[RunResult] = []
            for start in range(0, runs, concurrency):
                results += await bench.run_wave(plans[start : start + concurrency], rng)
            await bench.control.clear_faults()
            await bench.control.configure(job_latency=FAST_JOB_LATENCY_S)
            await bench.settle()
            verdict = await verify(bench.control, pool, plans)
        answers: Counter[str] = Counter()
        for result in results:
            answers.update(result.answers)
        return Report(
            runs=runs,
            seed=seed,
            concurrency=concurrency,
            wall_s=time.monotonic() - started,
            scenarios=Counter(name for plan in plans for name in plan.scenarios),
            answers=answers,
            kills=service.kills,
            interrupted=bench.interrupted,
            verdict=verdict,
            anomalies=[anomaly for result in results for anomaly in result.anomalies],
            log_dir=str(log_dir),
        )
    finally:
        if service is not None:
            await service.stop()
        await sandbox.stop()
        if not keep_database:
            await drop_database(server_dsn, dsn)


def _server_dsn(configured: str | None) -> str:
    if configured:
        return configured
    from api.db.embedded import start_embedded_server

    return start_embedded_server(PROJECT_ROOT / ".data" / "bench-postgres")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--concurrency", type=int, default=4, help="runs driven at the same time")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="a server to create the bench's database on (default DATABASE_URL, else an embedded one)",
    )
    parser.add_argument("--log-dir", type=Path, default=None, help="where process output goes")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.concurrency < 1:
        parser.error("--runs and --concurrency must be at least 1")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="bench-faults-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        report = asyncio.run(
            run_bench(
                runs=args.runs,
                seed=seed,
                concurrency=args.concurrency,
                server_dsn=_server_dsn(args.database_url),
                log_dir=log_dir,
                keep_database=args.keep_database,
            )
        )
    except Exception as exc:
        print(f"bench.faults: the bench itself failed: {exc!r} (process logs: {log_dir})", file=sys.stderr)
        return 2
    print(report.table(), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(report.as_json(), indent=2))
    return 0 if report.verdict.ok and not report.anomalies else 1


if __name__ == "__main__":
    sys.exit(main())
