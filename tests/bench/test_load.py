"""The load generator's own HTTP client against a real socket: statuses counted, the connection
kept alive, and reopened after the server closes it or drops it mid-request."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from bench.load import _parse_head, drive


@dataclass
class StandIn:
    """A POST /invoices stand-in: `answer(n)` says what the n-th request (from 0) gets."""

    answer: Callable[[int], bytes | None]
    url: str = ""
    api_key: str | None = "key-1"
    requests: list[dict[str, object]] = field(default_factory=list)
    connections: int = 0
    headers: list[bytes] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                self.headers.append(head)
                self.requests.append(json.loads(await reader.readexactly(length)))
                response = self.answer(len(self.requests) - 1)
                if response is None:  # drop the connection without answering
                    break
                writer.write(response)
                await writer.drain()
                if b"Connection: close" in response:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def serving(answer: Callable[[int], bytes | None]) -> AsyncIterator[StandIn]:
    target = StandIn(answer)
    server = await asyncio.start_server(target.serve, "127.0.0.1", 0)
    target.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield target


def _response(status: int, body: bytes, *extra: str) -> bytes:
    headers = "".join(f"{line}\r\n" for line in extra)
    return f"HTTP/1.1 {status} X\r\ncontent-length: {len(body)}\r\n{headers}\r\n".encode() + body


async def test_every_charge_is_posted_once_on_kept_alive_connections() -> None:
    async with serving(lambda n: _response(201, b'{"id": "inv"}')) as target:
        result = await drive(target, [f"charge-{n}" for n in range(40)], 4)
        assert result.created == 40 and result.errors == 0
        assert sorted(str(request["charge_id"]) for request in target.requests) == sorted(
            f"charge-{n}" for n in range(40)
        )
        assert all(request["send_email"] is False for request in target.requests)
        assert target.connections == 4
        assert all(b"Authorization: Bearer key-1\r\n" in head for head in target.headers)
        assert all(head.startswith(b"POST /invoices HTTP/1.1\r\n") for head in target.headers)
        assert len(result.latencies_s) == 40


async def test_errors_are_counted_and_the_connection_reopened() -> None:
    def answer(n: int) -> bytes | None:
        if n == 1:
            return _response(503, b'{"error": "busy"}', "Connection: close")
        if n == 3:
            return None
        return _response(201, b"{}")

    async with serving(answer) as target:
        result = await drive(target, [f"charge-{n}" for n in range(6)], 1)
        assert dict(result.statuses) == {201: 4, 503: 1, 0: 1}
        assert result.error_samples[0] == 'HTTP 503: {"error": "busy"}'
        assert result.error_samples[1].startswith("IncompleteReadError")
        assert len(target.requests) == 6
        assert target.connections == 3


def test_the_response_head_is_read_by_hand() -> None:
    assert _parse_head(b"HTTP/1.1 201 Created\r\nContent-Length: 12\r\n\r\n") == (201, 12, False)
    assert _parse_head(b"HTTP/1.1 503 Busy\r\nconnection: close\r\n\r\n") == (503, 0, True)
    with pytest.raises(ValueError, match="chunked"):
        _parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
