"""The service as its own process (`uvicorn api.main:app`, as deployed) against the sandbox, and the
environment it runs with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp
import asyncpg

from api.keys.service import issue_key
from devkit.client import wait_for
from devkit.demo import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from devkit.processes import (
    ManagedProcess,
    environment_without_settings,
    free_port,
    listens_on,
    uvicorn_command,
)

READY_TIMEOUT_S = 30.0
# Starts on a new port when the chosen one was taken before the service could bind it.
BIND_ATTEMPTS = 5
RECIPIENT_EMAIL = "billing-e2e@example.com"

# Quick timings for a service that talks to the local sandbox; a test or a benchmark overrides some.
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


def settings_env(settings: Mapping[str, object] | None) -> dict[str, str]:
    """Settings (names in any case) as environment variables; booleans as `true`/`false`."""
    return {
        name.upper(): str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in (settings or {}).items()
    }


def service_env(
    *,
    database_url: str,
    rutter_url: str,
    email_url: str,
    settings: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """The service's environment against the sandbox, with FAST_SERVICE_SETTINGS and `settings`
    (names in any case) on top; nothing else of the caller's settings leaks in."""
    env = environment_without_settings()
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
    env.update(settings_env(settings))
    return env


async def create_api_key(dsn: str, name: str) -> str:
    """A new all-organizations API key in that database (what tools driving the service call with)."""
    connection = await asyncpg.connect(dsn)
    try:
        return (await issue_key(connection, organization_id=None, name=name)).key
    finally:
        await connection.close()


class PortTaken(RuntimeError):
    """The service could not bind its port: another process holds it."""


class ServiceProcess(ManagedProcess):
    """`python -m uvicorn api.main:app` with api.server's protocol, as deployed, on a free port
    (kept across restarts); `api_key` is what callers authenticate with.

    A port picked here is free when picked, not when the service binds it: should another process
    take it first, the service starts again on another free port (`port` and `url` follow, so read
    them after `start()`). A port given by the caller is kept, and a clash with it is an error.

    It runs in `log_dir`, so a developer's `.env` in the project is not read: its environment is
    all its settings.
    """

    def __init__(
        self,
        name: str,
        log_dir: Path,
        env: Mapping[str, str],
        port: int | None = None,
        api_key: str | None = None,
        uvicorn_options: Sequence[str] = (),
    ) -> None:
        super().__init__(name, log_dir)
        self.env = dict(env)
        self.port_given = port is not None
        self.port = port or free_port()
        self.api_key = api_key
        self.uvicorn_options = tuple(uvicorn_options)
        self.kills = 0
        self._stderr: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, settings: Mapping[str, object] | None = None) -> None:
        """Starts the process (`settings` on top of its environment, for this start only) and waits
        until it listens on its port and `/readyz` answers 200 there."""
        env = {**self.env, **settings_env(settings)}
        for attempt in range(1, BIND_ATTEMPTS + 1):
            _, self._stderr = await self._spawn(
                uvicorn_command("127.0.0.1", self.port, *self.uvicorn_options), env, cwd=self.log_dir
            )
            try:
                await self.wait_ready()
                return
            except PortTaken:
                if self.port_given or attempt == BIND_ATTEMPTS:
                    raise
                self.port = free_port()

    def _port_taken(self) -> bool:
        stderr = self._stderr
        return stderr is not None and "address already in use" in stderr.read_text(errors="replace")

    async def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:

            async def ready() -> bool:
                if not self.running:
                    code = self.process.returncode if self.process else None
                    error = PortTaken if self._port_taken() else RuntimeError
                    raise error(f"{self.name} exited ({code}) before it was ready:\n{self.tail()}")
                if listens_on(self.pid, self.port) is False:
                    return False  # not bound yet (whoever answers on the port now is someone else)
                try:
                    async with session.get(f"{self.url}/readyz") as response:
                        return response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    return False

            try:
                await wait_for(ready, timeout_s=timeout_s, what=f"{self.name} ready")
            except TimeoutError:
                raise RuntimeError(
                    f"{self.name} was not ready after {timeout_s:g} s:\n{self.tail()}"
                ) from None

    async def kill(self) -> None:
        if self.running:
            self.kills += 1
        await super().kill()

    async def restart(self, settings: Mapping[str, object] | None = None) -> None:
        """SIGKILL (when running), then a new process on the same port (another, should the port
        have been taken meanwhile)."""
        await self.kill()
        await self.start(settings)
