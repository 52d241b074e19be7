"""503 DATABASE_UNAVAILABLE while PostgreSQL cannot be reached, normal service when it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from api.main import create_app
from sandbox.runner import RunningSandbox
from seed.loader import demo_payload, load_charges
from tests.invoices.conftest import CLEAN_CHARGE, harness_settings
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
async def proxy(database_dsn: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    parts = urlsplit(database_dsn)
    if not parts.hostname or parts.hostname.startswith("/") or "host=" in parts.query:
        pytest.skip("the test database is reached through a Unix socket; the proxy needs TCP")
    proxy = TcpProxy(parts.hostname, parts.port or 5432)
    await proxy.start()
    userinfo = (parts.username or "") + (f":{parts.password}" if parts.password else "")
    netloc = f"{userinfo}@127.0.0.1:{proxy.port}" if userinfo else f"127.0.0.1:{proxy.port}"
    yield proxy, urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    await proxy.cut()


async def test_database_outage_answers_503_and_recovers_without_restart(
    db: object, proxy: tuple[TcpProxy, str], sandbox: RunningSandbox
) -> None:
    tcp_proxy, proxied_dsn = proxy
    await load_charges(proxied_dsn, demo_payload(), progress=None)
    app = create_app(harness_settings(sandbox, proxied_dsn, recovery_interval_s=0))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)  # raises if anything escaped as a 500
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
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
