"""devkit's ServiceProcess when its port is taken between picking it and binding it."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from devkit.service import ServiceProcess, service_env
from sandbox.runner import start_app
from tests.e2e.conftest import E2E

pytestmark = pytest.mark.e2e


async def _impostor_ready(request: web.Request) -> web.Response:
    return web.json_response({"impostor": True})


def _take(port: int) -> socket.socket:
    """Another process's listener on the port (one that never answers)."""
    thief = socket.socket()
    thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no obstacle
    thief.bind(("127.0.0.1", port))
    thief.listen()
    return thief


async def test_a_service_whose_port_was_taken_starts_and_restarts_on_another(e2e: E2E) -> None:
    env = service_env(
        database_url=e2e.database_url, rutter_url=e2e.sandbox.rutter_url, email_url=e2e.sandbox.email_url
    )
    service = ServiceProcess("service-port-taken", e2e.log_dir, env, api_key=e2e.api_key)
    e2e.services.append(service)
    picked = service.port

    # Taken by a server that answers /readyz 200 itself: it must not pass for the service.
    impostor = web.Application()
    impostor.router.add_get("/readyz", _impostor_ready)
    runner, _ = await start_app(impostor, port=picked)
    try:
        await service.start()
        first = service.port
        assert first != picked
        assert service.url == f"http://127.0.0.1:{first}"
        ready = await e2e.get(service, "/readyz")
        assert ready.status == 200 and "impostor" not in ready.body

        await service.kill()
        with _take(first):  # taken while the service was down
            await service.restart()
            assert service.port not in {picked, first}
            assert (await e2e.get(service, "/readyz")).status == 200
    finally:
        await runner.cleanup()

    assert service.output().count("address already in use") == 2  # both clashes happened
    assert service.starts == 4


async def test_a_port_the_caller_chose_is_never_swapped(e2e: E2E) -> None:
    env = service_env(
        database_url=e2e.database_url, rutter_url=e2e.sandbox.rutter_url, email_url=e2e.sandbox.email_url
    )
    with _take(0) as thief:
        port = thief.getsockname()[1]
        service = ServiceProcess("service-fixed-port", e2e.log_dir, env, port=port, api_key=e2e.api_key)
        e2e.services.append(service)
        with pytest.raises(RuntimeError, match="address already in use"):
            await service.start()
    assert (service.port, service.starts) == (port, 1)
