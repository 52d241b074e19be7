"""The service through its ASGI app, against the run's PostgreSQL and the in-process sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from api.config import Settings
from api.keys.service import issue_key
from api.main import create_app
from devkit import demo
from sandbox.runner import RunningSandbox, running_sandbox
from sandbox.rutter_state import RutterConfig
from seed.loader import demo_payload, load_charges

ORG_ID = demo.ORGANIZATION_ID
CLEAN_CHARGE = demo.CLEAN_CHARGE_ID
SUPPRESSED_CHARGE = demo.SUPPRESSED_CHARGE_ID
PRODUCTLESS_CHARGE = demo.PRODUCTLESS_CHARGE_ID
UNRECONCILED_CUSTOMER_CHARGE = demo.UNRECONCILED_CUSTOMER_CHARGE_ID
UNRECONCILED_ITEM_CHARGE = demo.UNRECONCILED_ITEM_CHARGE_ID
ADJUSTED_CHARGE = demo.ADJUSTED_CHARGE_ID
RECIPIENT = "ap-team@example.com"


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


@dataclass
class Harness:
    client: httpx.AsyncClient
    db: asyncpg.Pool
    sandbox: RunningSandbox
    settings: Settings
    api_key: str

    async def post_invoice(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key is not None else {}
        return await self.client.post("/invoices", json=body, headers=headers)

    async def count(self, table: str, where: str = "TRUE", *args: Any) -> int:
        value = await self.db.fetchval(f"SELECT count(*) FROM {table} WHERE {where}", *args)  # noqa: S608
        return int(value)


def harness_settings(sandbox: RunningSandbox, database_dsn: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_dsn,
        "rutter_base_url": sandbox.rutter_url,
        "rutter_client_id": sandbox.config.client_id,
        "rutter_client_secret": sandbox.config.client_secret,
        "rutter_version": "2023-03-14",
        "rutter_job_timeout_s": 5.0,
        "rutter_poll_initial_s": 0.02,
        "rutter_poll_factor": 1.5,
        "rutter_poll_max_s": 0.1,
        "rutter_retry_attempts": 3,
        "rutter_retry_budget_s": 2.0,
        "rutter_retry_initial_s": 0.01,
        "rutter_retry_max_wait_s": 0.05,
        "email_enabled": False,
        "email_service_url": f"{sandbox.email_url}/sendMessage/{{organization_id}}",
        "recipient_email": RECIPIENT,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(RutterConfig(job_latency=0.05)) as running:
        yield running


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override this fixture (or parametrize it) to change the service's settings."""
    return {}


@pytest.fixture
async def harness(
    db: asyncpg.Pool, database_dsn: str, sandbox: RunningSandbox, settings_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    await load_charges(db, demo_payload(), progress=None)
    api_key = (await issue_key(db, organization_id=None, name="tests")).key
    settings = harness_settings(sandbox, database_dsn, **settings_overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.first_sweep_done.wait()  # so that it cannot race the test
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=bearer(api_key)
        ) as client:
            yield Harness(client=client, db=db, sandbox=sandbox, settings=settings, api_key=api_key)
