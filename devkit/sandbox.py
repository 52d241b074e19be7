"""`python -m sandbox` (the Rutter stand-in and email sink) as a child process, and its control API."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

import aiohttp

from devkit.client import wait_for
from devkit.demo import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from devkit.processes import ManagedProcess, environment_without_settings

READY_TIMEOUT_S = 30.0


def sandbox_command(
    *, host: str = "127.0.0.1", rutter_port: int = 0, email_port: int = 0, **options: object
) -> list[str]:
    """`python -m sandbox` on those ports (0: any free one); `options` are its flags
    (`job_latency=0` is `--job-latency 0`)."""
    args = [sys.executable, "-m", "sandbox", "--host", host]
    args += ["--rutter-port", str(rutter_port), "--email-port", str(email_port)]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return args


class SandboxProcess(ManagedProcess):
    """`python -m sandbox` on two free ports; the URLs are read from its first two stdout lines."""

    rutter_url = ""  # without /versioned
    email_url = ""

    async def start(
        self, *, job_latency: float = 0.05, rate_limit: int = 100_000, quiet: bool = False
    ) -> None:
        """Starts it with the fixed credentials; `quiet` drops its per-request log lines."""
        command = sandbox_command(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            job_latency=job_latency,
            rate_limit=rate_limit,
        )
        out, _ = await self._spawn(
            command, {**environment_without_settings(), "PYTHONUNBUFFERED": "1"}, quiet=quiet
        )

        async def urls() -> tuple[str, str] | None:
            text = out.read_text(errors="replace") if out.exists() else ""
            rutter = re.search(r"(http://\S+)/versioned", text)
            email = re.search(r"(http://\S+)/send\b", text)
            if rutter and email:
                return rutter.group(1), email.group(1)
            if not self.running:
                raise RuntimeError(f"the sandbox exited before printing its URLs:\n{self.tail()}")
            return None

        try:
            self.rutter_url, self.email_url = await wait_for(
                urls, timeout_s=READY_TIMEOUT_S, what="the sandbox's URLs"
            )
        except TimeoutError as exc:
            raise RuntimeError(f"{exc}:\n{self.tail()}") from None

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

    async def hold_jobs(self) -> None:
        """New jobs stay pending until `release_jobs()`."""
        await self._call("POST", f"{self.rutter_url}/_sandbox/jobs/hold")

    async def release_jobs(self) -> int:
        """Finishes the held jobs now and stops holding; returns how many it finished."""
        released: int = (await self._call("POST", f"{self.rutter_url}/_sandbox/jobs/release"))["released"]
        return released

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
