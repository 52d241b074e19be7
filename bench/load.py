"""The load generator: POST /invoices once per charge with closed-loop workers."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.measure import latency_summary_ms
from devkit.service import ServiceProcess


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


async def drive(
    service: ServiceProcess,
    charge_ids: Sequence[str],
    concurrency: int,
    *,
    on_done: Callable[[], None] | None = None,
) -> DriveResult:
    """POST /invoices once per charge with `concurrency` closed-loop workers; 201 is success."""
    result = DriveResult()
    pending = iter(charge_ids)
    url = f"{service.url}/invoices"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {service.api_key}"}
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker() -> None:
            for charge_id in pending:
                body = json.dumps({"charge_id": charge_id, "send_email": False}).encode()
                started = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers=headers) as response:
                        payload = await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
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
