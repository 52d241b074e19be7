"""Starting the sandbox apps on real sockets, in-process (tests) or from `python -m sandbox`.

async with running_sandbox(RutterConfig(job_latency=0)) as sb:
    sb.rutter_url        # "http://127.0.0.1:PORT"   (the service's base is sb.rutter_api_base)
    sb.rutter_api_base   # "http://127.0.0.1:PORT/versioned"
    sb.email_url         # "http://127.0.0.1:PORT"
    sb.rutter            # RutterState: .invoices, .jobs, .requests, .queue_create_fault(...), ...
    sb.email             # EmailSinkState: .messages, .fail(...), .reset()
    sb.config            # the RutterConfig it started with (client id/secret, ...)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from sandbox.email_sink import EMAIL_STATE, EmailSinkConfig, EmailSinkState, create_email_app
from sandbox.rutter import create_rutter_app
from sandbox.rutter_state import RUTTER_STATE, RutterConfig, RutterState


async def start_app(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serves `app` on host:port (0 = any free port); returns the runner and the base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server  # the bound socket tells the real port when port was 0
    sockets = getattr(server, "sockets", None)
    if not sockets:
        await runner.cleanup()
        raise RuntimeError("the sandbox app did not bind a socket")
    bound_host, bound_port = sockets[0].getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"


@dataclass
class RunningSandbox:
    rutter_url: str
    email_url: str
    rutter: RutterState
    email: EmailSinkState
    config: RutterConfig

    @property
    def rutter_api_base(self) -> str:
        return f"{self.rutter_url}/versioned"


@asynccontextmanager
async def running_rutter(
    config: RutterConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[tuple[str, RutterState]]:
    """The Rutter sandbox on a socket: yields (base URL, state)."""
    app = create_rutter_app(config)
    runner, url = await start_app(app, host, port)
    try:
        yield url, app[RUTTER_STATE]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running_email_sink(
    config: EmailSinkConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[tuple[str, EmailSinkState]]:
    """The email sink on a socket: yields (base URL, state)."""
    app = create_email_app(config)
    runner, url = await start_app(app, host, port)
    try:
        yield url, app[EMAIL_STATE]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running_sandbox(
    config: RutterConfig | None = None,
    email_config: EmailSinkConfig | None = None,
    host: str = "127.0.0.1",
    rutter_port: int = 0,
    email_port: int = 0,
) -> AsyncIterator[RunningSandbox]:
    """Both apps on sockets of this process (port 0 = a free port each)."""
    config = config or RutterConfig()
    async with (
        running_rutter(config, host, rutter_port) as (rutter_url, rutter),
        running_email_sink(email_config, host, email_port) as (email_url, email),
    ):
        yield RunningSandbox(
            rutter_url=rutter_url, email_url=email_url, rutter=rutter, email=email, config=config
        )
