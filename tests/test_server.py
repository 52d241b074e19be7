"""The connection limits of api.server's protocol, against a real uvicorn server on 127.0.0.1 and
raw sockets: idle and slow clients are closed after the read timeout, oversized headers refused,
connections beyond the ceiling answered 503 while /healthz keeps working."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import asyncpg
import pytest
import uvicorn

from api.config import Settings
from api.keys.service import issue_key
from api.main import create_app
from api.server import LimitedHttpToolsProtocol

READ_TIMEOUT_S = 0.5


@dataclass
class RunningServer:
    port: int
    api_key: str
    uvicorn: uvicorn.Server

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)


async def _until_closed(reader: asyncio.StreamReader, limit_s: float = 5.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    async with asyncio.timeout(limit_s):
        data = await reader.read()
    return data, time.monotonic() - started


async def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Waits for the in-process server's state to satisfy `condition` (a deadline, not a timing)."""
    async with asyncio.timeout(timeout_s):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


@pytest.fixture
async def server(database_dsn: str, db: asyncpg.Pool) -> AsyncIterator[RunningServer]:
    settings = Settings(
        _env_file=None,
        database_url=database_dsn,
        request_read_timeout_s=READ_TIMEOUT_S,
        max_header_bytes=4096,
        max_connections=5,
    )

    class Protocol(LimitedHttpToolsProtocol):
        @staticmethod
        def settings() -> Settings:
            return settings

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings), http=Protocol, lifespan="on", log_level="warning")
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve(sockets=[listener]))
    await _until(lambda: running.started or task.done())
    assert running.started, task
    try:
        key = (await issue_key(db, organization_id=None)).key
        yield RunningServer(listener.getsockname()[1], key, running)
    finally:
        running.should_exit = True
        await task
        listener.close()


async def test_a_connection_that_sends_nothing_is_closed_after_the_read_timeout(
    server: RunningServer,
) -> None:
    reader, writer = await server.connect()
    data, waited = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408")
    assert READ_TIMEOUT_S * 0.8 < waited < READ_TIMEOUT_S + 1


async def test_headers_that_never_end_are_closed_after_the_read_timeout(server: RunningServer) -> None:
    reader, writer = await server.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    data, waited = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408")
    assert waited < READ_TIMEOUT_S + 1


async def test_a_declared_body_that_never_comes_is_closed_after_the_read_timeout(
    server: RunningServer,
) -> None:
    reader, writer = await server.connect()
    writer.write(
        b"POST /invoices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {server.api_key}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"charge_id"'
    )
    data, waited = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 408")
    assert b'"REQUEST_TIMEOUT"' in data
    assert waited < READ_TIMEOUT_S + 1


async def test_oversized_headers_are_refused(server: RunningServer) -> None:
    reader, writer = await server.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 10_000 + b"\r\n\r\n")
    data, _ = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 431")


async def test_a_100_mb_body_is_refused_from_its_content_length(server: RunningServer) -> None:
    reader, writer = await server.connect()
    writer.write(
        b"POST /invoices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {server.api_key}\r\nContent-Length: {100 * 2**20}\r\n\r\n".encode()
    )
    data, waited = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 413")
    assert b'"PAYLOAD_TOO_LARGE"' in data
    assert waited < 1


async def test_connections_beyond_the_ceiling_get_503_and_healthz_survives(server: RunningServer) -> None:
    idle = [await server.connect() for _ in range(5)]
    await _until(lambda: len(server.uvicorn.server_state.connections) == 5)  # all five taken in
    reader, writer = await server.connect()
    data, _ = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 503")

    # The idle ones are closed by the read timeout; then /healthz is answered again.
    for idle_reader, _ in idle:
        await _until_closed(idle_reader)
    for _, idle_writer in idle:
        idle_writer.close()
    reader, writer = await server.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data, _ = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 200")


async def test_a_keep_alive_connection_serves_several_requests(server: RunningServer) -> None:
    reader, writer = await server.connect()
    for _ in range(3):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        await reader.readexactly(length)
        await asyncio.sleep(READ_TIMEOUT_S * 0.7)  # the pauses add up beyond the read timeout
    writer.close()
