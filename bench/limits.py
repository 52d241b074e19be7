"""`python -m bench.limits`: what oversized bodies cost the service (RSS), measured, not assumed.

Starts the service as deployed (uvicorn with api.server's protocol) on a fresh database, then sends
N bodies of 100 MB at once to POST /invoices, with a Content-Length (answered 413 before anything
is read) and, separately, chunked (read up to MAX_BODY_BYTES, then 413). Samples the service's
resident memory every 10 ms and reports its growth over the idle baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from api.paths import PROJECT_ROOT
from bench.measure import process_memory_kb
from devkit.databases import temporary_database
from devkit.embedded import server_dsn
from devkit.service import ServiceProcess, create_api_key, service_env

BODY_BYTES = 100 * 2**20
CHUNK = b" " * 2**16
GOAL_MIB = 20.0


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    return process_memory_kb(pid) / 1024


async def send_oversized(port: int, api_key: str, *, chunked: bool) -> bytes:
    """One 100 MB POST /invoices; returns the status line (b"reset" when the server closed the
    connection before its answer could be read). Stops sending once the server has answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY_BYTES}"
    writer.write(
        f"POST /invoices HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n".encode()
    )
    answer = asyncio.create_task(reader.readline())
    try:
        # A server that judges by the headers answers at once; otherwise send the body meanwhile.
        await asyncio.wait({answer}, timeout=0.5)
        sent = 0
        while sent < BODY_BYTES and not answer.done():
            piece = f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n" if chunked else CHUNK
            writer.write(piece)
            await writer.drain()
            sent += len(CHUNK)
        return (await asyncio.wait_for(answer, 30)).strip()
    except ConnectionError:
        return b"reset"
    finally:
        if not answer.done():
            answer.cancel()
        writer.close()


async def measure(port: int, api_key: str, pid: int, concurrency: int, *, chunked: bool) -> dict[str, float]:
    baseline = rss_mib(pid)
    peak = baseline
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    statuses = await asyncio.gather(
        *(send_oversized(port, api_key, chunked=chunked) for _ in range(concurrency))
    )
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.2)
    done.set()
    await sampler
    answered = sum(1 for status in statuses if status.startswith(b"HTTP/1.1 413"))
    # "reset": the server closed on a body it would not read before the client could read the 413.
    resets = sum(1 for status in statuses if status == b"reset")
    return {
        "baseline": baseline,
        "peak": peak,
        "growth": peak - baseline,
        "answered": answered,
        "resets": resets,
        "s": elapsed,
    }


async def refuses_oversized_bodies(service: ServiceProcess, concurrency: int) -> bool:
    """Both framings, one after the other; True when every body was refused within the goal."""
    assert service.api_key is not None
    ok = True
    for chunked in (False, True):
        result = await measure(service.port, service.api_key, service.pid, concurrency, chunked=chunked)
        # Chunked bodies are read up to MAX_BODY_BYTES each (1 MiB by default) before the 413.
        goal = concurrency * 1.5 + 5 if chunked else GOAL_MIB
        framing = "chunked, no Content-Length" if chunked else "Content-Length: 100 MiB"
        print(
            f"{concurrency} x 100 MiB bodies ({framing}): {result['answered']:.0f} answered 413, "
            f"{result['resets']:.0f} closed before the 413 was read, in {result['s']:.2f} s; service RSS "
            f"{result['baseline']:.1f} MiB -> peak {result['peak']:.1f} MiB "
            f"(growth {result['growth']:.1f} MiB, goal < {goal:.0f})"
        )
        refused = result["answered"] + result["resets"] == concurrency
        ok = ok and refused and result["growth"] < goal
    return ok


async def run(server_dsn: str, concurrency: int, log_dir: Path) -> bool:
    async with temporary_database(server_dsn, "bench_limits", migrated=True) as dsn:
        env = service_env(database_url=dsn, rutter_url="http://127.0.0.1:9", email_url="http://127.0.0.1:9")
        service = ServiceProcess("service", log_dir, env, api_key=await create_api_key(dsn, "bench.limits"))
        try:
            await service.start()
            return await refuses_oversized_bodies(service, concurrency)
        finally:
            await service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.limits", description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=20, help="oversized requests sent at once")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-limits-"))
    ok = asyncio.run(
        run(
            server_dsn(args.database_url, PROJECT_ROOT / ".data" / "bench-postgres"),
            args.concurrency,
            log_dir,
        )
    )
    print("OK" if ok else "FAILED: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
