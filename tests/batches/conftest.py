"""Batches through the ASGI app (workers in the app's process), the run's PostgreSQL and the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from api.batches.queue import ensure_schema
from api.keys.service import issue_key
from api.main import create_app
from sandbox.runner import RunningSandbox
from seed.loader import demo_payload, load_charges
from tests.invoices.conftest import Harness, bearer, harness_settings, sandbox, settings_overrides

__all__ = ["sandbox", "settings_overrides"]

T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 30.0) -> T:
    """Waits for a condition (checked every 50 ms) up to a deadline."""
    async with asyncio.timeout(timeout_s):
        while True:
            if (value := await probe()) is not None:
                return value
            await asyncio.sleep(0.05)


@pytest.fixture
async def batches(
    db: asyncpg.Pool, database_dsn: str, sandbox: RunningSandbox, settings_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    """The invoices harness, with pgqueuer's tables (in their own schema) installed and emptied."""
    await ensure_schema(database_dsn)
    await db.execute("TRUNCATE pgqueuer.pgqueuer, pgqueuer.pgqueuer_log")
    await load_charges(db, demo_payload(), progress=None)
    api_key = (await issue_key(db, organization_id=None, name="tests")).key
    settings = harness_settings(sandbox, database_dsn, **settings_overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.first_sweep_done.wait()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=bearer(api_key)
        ) as client:
            yield Harness(client=client, db=db, sandbox=sandbox, settings=settings, api_key=api_key)


async def finished(harness: Harness, batch_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """The batch once it is COMPLETED or CANCELLED with nothing left running."""

    async def probe() -> dict[str, Any] | None:
        response = await harness.client.get(f"/invoice-batches/{batch_id}", params={"limit": 1000})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        done = body["status"] == "COMPLETED" or (
            body["status"] == "CANCELLED" and body["counts"]["running"] == 0
        )
        return body if done else None

    return await until(probe, f"batch {batch_id} finished", timeout_s)
