"""503 DATABASE_UNAVAILABLE while PostgreSQL cannot be reached, normal service when it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from api.keys.service import issue_key
from api.main import create_app
from devkit.client import wait_for
from devkit.proxy import TcpProxy
from sandbox.runner import RunningSandbox
from seed.loader import demo_payload, load_charges
from tests.invoices.conftest import CLEAN_CHARGE, bearer, harness_settings


async def _job_id_stored(db: asyncpg.Pool) -> str:
    async def stored() -> str | None:
        job_id: str | None = await db.fetchval("SELECT rutter_job_id FROM invoice_request")
        return job_id

    return await wait_for(stored, timeout_s=30, what="the request's job id stored")


@pytest.fixture
async def proxy(database_dsn: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A TCP proxy in front of the test database (reached over TCP or, embedded, a Unix socket)
    and the DSN that goes through it."""
    proxy = TcpProxy.in_front_of(database_dsn)
    await proxy.start()
    yield proxy, proxy.dsn(database_dsn)
    await proxy.close()


async def test_database_outage_answers_503_and_recovers_without_restart(
    db: asyncpg.Pool, proxy: tuple[TcpProxy, str], sandbox: RunningSandbox
) -> None:
    tcp_proxy, proxied_dsn = proxy
    await load_charges(proxied_dsn, demo_payload(), progress=None)
    headers = bearer((await issue_key(db, organization_id=None)).key)
    app = create_app(harness_settings(sandbox, proxied_dsn, recovery_interval_s=0))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)  # raises if anything escaped as a 500
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            assert (await client.get("/readyz")).status_code == 200

            await tcp_proxy.cut()
            down = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})
            ready_down = await client.get("/readyz")

            await tcp_proxy.restore()
            ready_up = await client.get("/readyz")
            up = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})

    assert down.status_code == 503
    assert down.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert ready_down.status_code == 503
    assert ready_up.status_code == 200
    assert up.status_code == 201, up.text
    assert len(sandbox.rutter.invoices) == 1


async def test_outage_in_the_middle_of_a_request_leaves_one_invoice_once_the_database_is_back(
    db: asyncpg.Pool, proxy: tuple[TcpProxy, str], sandbox: RunningSandbox
) -> None:
    tcp_proxy, proxied_dsn = proxy
    await load_charges(proxied_dsn, demo_payload(), progress=None)
    headers = bearer((await issue_key(db, organization_id=None)).key)
    sandbox.rutter.hold_jobs()  # the job runs until the database is cut
    settings = harness_settings(sandbox, proxied_dsn, recovery_interval_s=0, invoice_lease_s=0.3)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            post = asyncio.create_task(client.post("/invoices", json={"charge_id": CLEAN_CHARGE}))
            await _job_id_stored(db)  # Rutter has the job, the worker is polling it
            await tcp_proxy.cut()
            assert sandbox.rutter.release_jobs() == 1  # the invoice exists; the write-back cannot
            during = await post

            await tcp_proxy.restore()
            after = during
            for _ in range(100):  # retry until the dead lease has expired
                after = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})
                if after.status_code != 409:
                    break
                await asyncio.sleep(0.05)

    assert during.status_code == 503, during.text
    assert during.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert after.status_code == 201, after.text
    assert len(sandbox.rutter.invoices) == 1
    assert await db.fetchval("SELECT count(*) FROM acc_uac_invoice") == 1
    creates = [r for r in sandbox.rutter.requests if r["method"] == "POST"]
    assert len(creates) == 1


async def test_an_interrupted_request_resumes_at_once_when_the_database_is_back(
    db: asyncpg.Pool, proxy: tuple[TcpProxy, str], sandbox: RunningSandbox
) -> None:
    """The worker that lost the database gives its claim up in memory too: a retry with the same
    Idempotency-Key is not kept waiting for the (long) lease to run out."""
    tcp_proxy, proxied_dsn = proxy
    await load_charges(proxied_dsn, demo_payload(), progress=None)
    headers = {**bearer((await issue_key(db, organization_id=None)).key), "Idempotency-Key": "outage-retry"}
    sandbox.rutter.hold_jobs()
    settings = harness_settings(sandbox, proxied_dsn, recovery_interval_s=0, invoice_lease_s=60)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            post = asyncio.create_task(client.post("/invoices", json={"charge_id": CLEAN_CHARGE}))
            await _job_id_stored(db)
            await tcp_proxy.cut()
            assert sandbox.rutter.release_jobs() == 1
            during = await post
            await tcp_proxy.restore()
            status = await client.get(during.json()["error"]["details"]["status_url"])
            retry = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})

    assert during.status_code == 503, during.text
    details = during.json()["error"]["details"]
    request_id = await db.fetchval("SELECT id FROM invoice_request")
    assert details == {"request_id": request_id, "status_url": f"/invoices/requests/{request_id}"}
    assert status.status_code == 200 and status.json()["status"] == "COMPLETED", status.text
    assert retry.status_code == 201, retry.text
    assert retry.json()["request_id"] == request_id
    assert len(sandbox.rutter.invoices) == 1
    assert await db.fetchval("SELECT count(*) FROM acc_uac_invoice") == 1


async def test_a_stalled_database_answers_503_within_the_deadline(
    db: asyncpg.Pool, proxy: tuple[TcpProxy, str], sandbox: RunningSandbox
) -> None:
    tcp_proxy, proxied_dsn = proxy
    await load_charges(proxied_dsn, demo_payload(), progress=None)
    headers = bearer((await issue_key(db, organization_id=None)).key)
    deadline_s = 2.0
    settings = harness_settings(sandbox, proxied_dsn, recovery_interval_s=0, db_timeout_s=deadline_s)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            assert (await client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")).status_code == 200

            tcp_proxy.stall()

            async def timed(method: str, url: str, **kwargs: object) -> tuple[httpx.Response, float]:
                started = time.monotonic()
                response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
                return response, time.monotonic() - started

            # More requests at once than the pool has connections: none waits past the deadline.
            answers = await asyncio.gather(
                *(timed("POST", "/invoices", json={"charge_id": CLEAN_CHARGE}) for _ in range(12)),
                timed("GET", f"/charges/{CLEAN_CHARGE}/invoice-preview"),
                timed("GET", "/readyz"),
            )
            tcp_proxy.unstall()
            after = None
            for _ in range(50):
                after = await client.post("/invoices", json={"charge_id": CLEAN_CHARGE})
                if after.status_code != 503:
                    break
                await asyncio.sleep(0.1)

    for response, elapsed in answers:
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        # One deadline and some slack, not two (waiting for a connection, then for the statement).
        assert elapsed < 2 * deadline_s, elapsed
    assert after is not None
    assert after.status_code == 201, after.text
    assert len(sandbox.rutter.invoices) == 1
