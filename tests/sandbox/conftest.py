"""Fixtures for the sandbox tests: the apps on real sockets of 127.0.0.1 (port 0), an aiohttp client."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox import RunningSandbox, RutterConfig, running_sandbox

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
TOKEN = "access-sandbox-11111111-2222-3333-4444-555555555555"
OTHER_TOKEN = "access-sandbox-other"


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def headers(version: str = "2024-08-31", key: str | None = None, **extra: str) -> dict[str, str]:
    result = {"Authorization": basic(), "X-Rutter-Version": version, **extra}
    if key is not None:
        result["Idempotency-Key"] = key
    return result


def invoice_body(version: str = "2024-08-31", mode: str | None = "async", **invoice: Any) -> dict[str, Any]:
    """A valid create body for `version` (2023-03-14 needs due_date and every line's item)."""
    body: dict[str, Any] = {
        "customer_id": "7b0e9a4e-1c1f-4a53-9d0e-1b8d1a6f7c10",
        "issue_date": "2024-05-01T00:00:00.000Z",
        "due_date": "2024-05-31T00:00:00.000Z",
        "currency_code": "USD",
        "document_number": "INV-1001",
        "memo": "Charge ch_123",
        "line_items": [
            {
                "total_amount": 12.34,
                "description": "Streaming minutes",
                "item": {"id": "3f6b1c2a-0001-4e5f-9a6b-7c8d9e0f1a21", "quantity": 2, "unit_amount": 6.17},
            },
            {
                "total_amount": 5,
                "description": "Storage",
                "item": {"id": "3f6b1c2a-0002-4e5f-9a6b-7c8d9e0f1a22"},
            },
        ],
    }
    body.update(invoice)
    result: dict[str, Any] = {"invoice": body}
    if mode is not None:
        result["response_mode"] = mode
    return result


def invoices_url(sb: RunningSandbox, token: str = TOKEN, suffix: str = "") -> str:
    return f"{sb.rutter_api_base}/accounting/invoices{suffix}?access_token={token}"


async def wait_for_job(
    client: aiohttp.ClientSession, url: str, version: str = "2024-08-31", within: float = 5.0
) -> dict[str, Any]:
    """Polls a job until it is terminal (bounded; short waits between polls)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with client.get(url, headers=headers(version)) as response:
            assert response.status == 200, await response.text()
            job: dict[str, Any] = await response.json()
        if job["status"] in {"success", "failure"}:
            return job
        assert loop.time() < deadline, f"job still {job['status']} after {within} s"
        await asyncio.sleep(0.02)


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sb() -> AsyncIterator[RunningSandbox]:
    """Both apps, jobs finishing at once (job_latency=0)."""
    async with running_sandbox(RutterConfig(job_latency=0)) as sandbox:
        yield sandbox


@pytest.fixture
async def slow_sb() -> AsyncIterator[RunningSandbox]:
    """Both apps with jobs taking 0.3 s, so their early statuses can be seen."""
    async with running_sandbox(RutterConfig(job_latency=0.3)) as sandbox:
        yield sandbox
