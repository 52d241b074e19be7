"""End-to-end fixtures: the Rutter sandbox and the service as real processes on real sockets.

* one sandbox process for the session (`python -m sandbox`, ports 0, URLs read from its stdout),
  reset before every test;
* one database for the session: created with `create_database`, migrated, demo charges loaded;
  tests that need a charge of their own get a copy of demo charge 1 (`E2E.new_charge`);
* services started per test (`await e2e.start_service(**settings)`): `uvicorn api.main:app` on a free
  port, environment pointing at the sandbox and the database, ready once `/readyz` answers 200;
  `service.kill()` is a SIGKILL, `service.restart(settings)` a SIGKILL plus a new process on the same port.

Process output goes to files under the session's tmp dir; when a test fails, what the processes
wrote during it is printed. Teardown terminates every process (SIGKILL if it does not stop).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
import pytest

from api.invoices.service import RUTTER_KEY_NAMESPACE
from devkit.charges import clone_charge, template_charge
from devkit.client import Answer, bearer, call, post_invoice, wait_for
from devkit.databases import temporary_database
from devkit.sandbox import SandboxControl, SandboxProcess
from devkit.service import ServiceProcess, create_api_key, service_env
from seed.loader import demo_payload, load_charges

T = TypeVar("T")

_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


Row = dict[str, Any]


def plain(record: asyncpg.Record) -> Row:
    """A row as a dict, UUIDs as their strings (the API and the sandbox speak strings)."""
    return {key: str(value) if isinstance(value, uuid.UUID) else value for key, value in record.items()}


@dataclass(frozen=True)
class Charge:
    id: str
    document_number: str


@dataclass
class E2E:
    """What an end-to-end test works with."""

    database_url: str
    db: asyncpg.Pool
    sandbox: SandboxControl
    sandbox_process: SandboxProcess
    http: aiohttp.ClientSession
    log_dir: Path
    api_key: str
    services: list[ServiceProcess] = field(default_factory=list)

    async def start_service(self, **settings: object) -> ServiceProcess:
        """A new service process; `settings` (e.g. rutter_job_timeout_s=1) go on top of the fast defaults."""
        env = service_env(
            database_url=self.database_url,
            rutter_url=self.sandbox.rutter_url,
            email_url=self.sandbox.email_url,
            settings=settings,
        )
        service = ServiceProcess(f"service{len(self.services) + 1}", self.log_dir, env, api_key=self.api_key)
        self.services.append(service)
        await service.start()
        return service

    async def new_charge(self) -> Charge:
        """A fresh billable charge: demo charge 1 with new ids and a new document number."""
        number = f"E2E-{uuid.uuid4().hex[:10].upper()}"
        charge = clone_charge(template_charge(), document_number=number)
        await load_charges(self.db, [charge], progress=None)
        return Charge(charge["id"], number)

    async def post(
        self, service: ServiceProcess, charge: Charge | str, *, key: str | None = None, **body: Any
    ) -> Answer:
        charge_id = charge.id if isinstance(charge, Charge) else charge
        return await post_invoice(self.http, service.url, charge_id, key=key, api_key=service.api_key, **body)

    async def get(self, service: ServiceProcess, path: str) -> Answer:
        return await call(self.http, "GET", f"{service.url}{path}", headers=bearer(service.api_key))

    async def requests_of(self, charge: Charge | str) -> list[Row]:
        """The charge's invoice_request rows, oldest first (UUIDs as strings)."""
        charge_id = charge.id if isinstance(charge, Charge) else charge
        records = await self.db.fetch(
            "SELECT * FROM invoice_request WHERE charge_id = $1 ORDER BY created_at", charge_id
        )
        return [plain(record) for record in records]

    async def stored_invoices(self, document_number: str) -> list[Row]:
        """The acc_uac_invoice rows with that document number (UUIDs as strings)."""
        records = await self.db.fetch(
            "SELECT * FROM acc_uac_invoice WHERE document_number = $1", document_number
        )
        return [plain(record) for record in records]

    async def until(self, probe: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 15.0) -> T:
        """Bounded polling on observable state (never a bare sleep)."""
        return await wait_for(probe, timeout_s=timeout_s, what=what)

    async def request_row(self, charge: Charge, condition: Callable[[Row], bool]) -> Row:
        """Waits until the charge's (only) invoice request satisfies `condition`."""

        async def probe() -> Row | None:
            rows = await self.requests_of(charge)
            return rows[0] if len(rows) == 1 and condition(rows[0]) else None

        return await self.until(probe, f"the invoice request of {charge.document_number}")

    async def invoice_made_in_rutter(self, charge: Charge) -> list[dict[str, Any]]:
        """Waits until the sandbox holds an invoice for the charge (its job has run); returns them."""

        async def probe() -> list[dict[str, Any]] | None:
            return await self.sandbox.invoices_for(charge.document_number) or None

        return await self.until(probe, f"an invoice for {charge.document_number} in the sandbox")

    async def assert_invoiced_once(self, charge: Charge) -> Row:
        """Exactly one invoice in the sandbox, one acc_uac_invoice row for it, the request COMPLETED."""
        in_rutter = await self.sandbox.invoices_for(charge.document_number)
        assert len(in_rutter) == 1, in_rutter
        stored = await self.stored_invoices(charge.document_number)
        assert len(stored) == 1, stored
        assert stored[0]["provider_entity_id"] == in_rutter[0]["id"]
        completed = [r for r in await self.requests_of(charge) if r["status"] == "COMPLETED"]
        assert len(completed) == 1
        assert completed[0]["acc_uac_invoice_id"] == stored[0]["id"]
        assert in_rutter[0]["idempotency_key"] == completed[0]["rutter_idempotency_key"]
        assert completed[0]["rutter_idempotency_key"] == str(
            uuid.uuid5(RUTTER_KEY_NAMESPACE, completed[0]["id"])
        )
        return completed[0]

    def output_since(self, marks: dict[Path, int]) -> str:
        parts = []
        for path in sorted(
            {*self.sandbox_process.log_files, *(p for s in self.services for p in s.log_files)}
        ):
            if not path.exists():
                continue
            text = path.read_bytes()[marks.get(path, 0) :].decode(errors="replace")
            lines = text.splitlines()[-150:]
            parts.append(f"----- {path.name} -----\n" + "\n".join(lines))
        return "\n".join(parts)


def _sizes(paths: list[Path]) -> dict[Path, int]:
    return {path: path.stat().st_size for path in paths if path.exists()}


@pytest.fixture(scope="session")
def e2e_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-processes")


@pytest.fixture(scope="session")
async def e2e_database(server_dsn: str) -> AsyncIterator[str]:
    """A database of the e2e tests' own: migrated, the demo charges loaded; dropped at the end."""
    async with temporary_database(server_dsn, "invoice_e2e", migrated=True) as dsn:
        await load_charges(dsn, demo_payload(), progress=None)
        yield dsn


@pytest.fixture(scope="session")
async def e2e_api_key(e2e_database: str) -> str:
    """An all-organizations key the e2e services are called with."""
    return await create_api_key(e2e_database, "e2e")


@pytest.fixture(scope="session")
async def e2e_pool(e2e_database: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(e2e_database, min_size=1, max_size=5) as pool:
        yield pool


@pytest.fixture(scope="session")
async def sandbox_process(e2e_log_dir: Path) -> AsyncIterator[SandboxProcess]:
    sandbox = SandboxProcess("sandbox", e2e_log_dir)
    try:
        await sandbox.start(job_latency=0.05)
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def e2e(
    request: pytest.FixtureRequest,
    e2e_database: str,
    e2e_pool: asyncpg.Pool,
    e2e_api_key: str,
    sandbox_process: SandboxProcess,
    e2e_log_dir: Path,
) -> AsyncIterator[E2E]:
    marks = _sizes(sandbox_process.log_files)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        control = sandbox_process.control(http)
        await control.reset()
        # A request an earlier (failed) test left PENDING would be swept by this test's service.
        await e2e_pool.execute("DELETE FROM invoice_request WHERE status = 'PENDING'")
        # An earlier test's 429 with a long Retry-After would still pause the organization's budget.
        await e2e_pool.execute("DELETE FROM rutter_budget")
        harness = E2E(e2e_database, e2e_pool, control, sandbox_process, http, e2e_log_dir, e2e_api_key)
        try:
            yield harness
        finally:
            for service in harness.services:
                await service.stop()
            if request.node.stash.get(_CALL_FAILED, False):
                print(f"\n===== process output during {request.node.name} =====")
                print(harness.output_since(marks))


def error_json(answer: Answer) -> str:
    """For assertion messages."""
    return json.dumps(answer.body)[:2000]
