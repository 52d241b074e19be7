"""The application's own limits: body size (413), body deadline (408), requests in progress (503)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from api.limits import BodyLimitMiddleware, ConcurrencyLimitMiddleware
from tests.invoices.conftest import CLEAN_CHARGE, Harness

small_bodies = pytest.mark.parametrize("settings_overrides", [{"max_body_bytes": 1000}])


@small_bodies
async def test_a_declared_body_over_the_limit_is_413_without_reading_it(harness: Harness) -> None:
    response = await harness.client.post(
        "/invoices", content=b"x" * 1001, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    body = response.json()
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert body["error"]["details"] == {"max_body_bytes": 1000}
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["connection"] == "close"


@small_bodies
async def test_a_streamed_body_over_the_limit_is_413(harness: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 300

    response = await harness.client.post(
        "/invoices", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await harness.count("invoice_request") == 0


@small_bodies
async def test_a_body_within_the_limit_is_served(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 201, response.text


@small_bodies
async def test_authentication_comes_before_the_body_size(harness: Harness) -> None:
    response = await harness.client.post("/invoices", content=b"x" * 5000, headers={"Authorization": ""})
    assert response.status_code == 401


@small_bodies
async def test_the_size_comes_before_validation(harness: Harness) -> None:
    response = await harness.client.post("/invoices", content=b"{" * 5000)
    assert response.status_code == 413


# --- the middleware alone ----------------------------------------------------------------------


def _scope(headers: list[tuple[bytes, bytes]], path: str = "/invoices") -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": headers, "state": {}}


async def _reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive())["type"] == "http.request":
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"late"})


async def test_a_body_that_does_not_arrive_in_time_is_408_and_closes_the_connection() -> None:
    sent: list[Message] = []

    async def never() -> Message:
        await asyncio.sleep(3600)
        raise AssertionError

    async def record(message: Message) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(_reading_app, max_body_bytes=1000, read_timeout_s=0.2)
    async with asyncio.timeout(2):
        await middleware(_scope([(b"content-length", b"10")]), never, record)
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert b"REQUEST_TIMEOUT" in sent[1]["body"]
    assert len(sent) == 2  # the application's late answer is dropped


async def test_requests_beyond_the_ceiling_get_503_but_probes_are_answered() -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = ConcurrencyLimitMiddleware(slow_app, max_requests=1)
    statuses: list[Any] = []

    async def record(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append((message["status"], dict(message["headers"]).get(b"retry-after")))

    async def nothing() -> Message:
        return {"type": "http.request", "body": b""}

    first = asyncio.create_task(middleware(_scope([]), nothing, record))
    await entered.wait()  # the first request is in progress
    await middleware(_scope([]), nothing, record)
    probe = asyncio.create_task(middleware(_scope([], path="/healthz"), nothing, record))
    release.set()
    await first
    await probe
    assert statuses == [(503, b"1"), (200, None), (200, None)]


async def test_a_streamed_body_is_counted_across_chunks() -> None:
    sent: list[Message] = []
    chunks = [b"a" * 600, b"b" * 600]

    async def receive() -> Message:
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def record(message: Message) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(_reading_app, max_body_bytes=1000, read_timeout_s=5)
    await middleware(_scope([(b"transfer-encoding", b"chunked")]), receive, record)
    assert sent[0]["status"] == 413 and len(sent) == 2
