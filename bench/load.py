"""The load generator: POST /invoices once per charge with closed-loop workers."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from bench.measure import latency_summary_ms

# A request not answered within this long counts as an error (status 0).
REQUEST_TIMEOUT_S = 300.0


class Target(Protocol):
    """What is driven: the service (devkit.service.ServiceProcess) or a test's stand-in."""

    @property
    def url(self) -> str: ...

    api_key: str | None


@dataclass
class DriveResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def created(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 201)


class _Connection:
    """One keep-alive HTTP/1.1 connection to the service, speaking just what POST /invoices needs.

    The load generator shares the machine's cores with what it measures, so it is kept lean: a
    prebuilt request, the response's status line and Content-Length read by hand (aiohttp's client
    cost about 0.45 ms of CPU per request here, this about a fifth of it)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, length, close = _parse_head(head)
            body = await self.reader.readexactly(length) if length else b""
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, Content-Length (0 if absent) and whether the server closes the connection."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise ValueError("chunked responses are not expected from POST /invoices")
    return status, length, close


async def drive(
    service: Target,
    charge_ids: Sequence[str],
    concurrency: int,
    *,
    on_done: Callable[[], None] | None = None,
) -> DriveResult:
    """POST /invoices once per charge with `concurrency` closed-loop workers; 201 is success."""
    result = DriveResult()
    pending = iter(charge_ids)
    address = urlsplit(service.url)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    head = (
        f"POST {address.path.rstrip('/')}/invoices HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer {service.api_key}\r\n"
    ).encode()

    async def worker() -> None:
        connection = _Connection(host, port)
        try:
            for charge_id in pending:
                body = json.dumps({"charge_id": charge_id, "send_email": False}).encode()
                request = b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)
                started = time.perf_counter()
                try:
                    status, payload = await asyncio.wait_for(connection.post(request), REQUEST_TIMEOUT_S)
                except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
                    result.statuses[0] += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - started
                result.statuses[status] += 1
                if status == 201:
                    result.latencies_s.append(elapsed)
                elif len(result.error_samples) < 5:
                    result.error_samples.append(f"HTTP {status}: {payload[:300].decode(errors='replace')}")
                if on_done is not None:
                    on_done()
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(charge_ids)) or 1)))
    result.wall_s = time.perf_counter() - started
    return result


def run_summary(result: DriveResult, concurrency: int) -> dict[str, Any]:
    return {
        "concurrency": concurrency,
        "invoices": result.created + result.errors,
        "ok": result.created,
        "errors": result.errors,
        "statuses": {str(status): count for status, count in sorted(result.statuses.items())},
        "error_samples": result.error_samples,
        "wall_s": round(result.wall_s, 3),
        "invoices_per_s": round(result.created / result.wall_s, 2) if result.wall_s else 0.0,
        "latency_ms": latency_summary_ms(result.latencies_s),
    }
