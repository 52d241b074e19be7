"""`python -m sandbox` as a real process: prints where it listens, serves both apps, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from sandbox.__main__ import parse_args
from tests.sandbox.conftest import headers, invoice_body

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_flags_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_RUTTER_PORT", "9001")
    monkeypatch.setenv("SANDBOX_JOB_LATENCY", "0.5")
    args = parse_args(["--email-port", "9002"])
    assert (args.host, args.rutter_port, args.email_port, args.job_latency) == ("127.0.0.1", 9001, 9002, 0.5)
    assert parse_args(["--rutter-port", "7000"]).rutter_port == 7000


async def test_python_m_sandbox_serves_both_apps(client: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--rutter-port",
        "0",
        "--email-port",
        "0",
        "--job-latency",
        "0",
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        second = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        rutter = re.search(r"(http://127\.0\.0\.1:\d+)/versioned", first)
        email = re.search(r"(http://127\.0\.0\.1:\d+)/send", second)
        assert rutter and email, (first, second)
        rutter_url, email_url = rutter.group(1), email.group(1)

        url = f"{rutter_url}/versioned/accounting/invoices?access_token=access-sandbox-main"
        async with client.post(url, json=invoice_body(mode="prefer_sync"), headers=headers()) as response:
            assert response.status == 200
            assert "invoice" in await response.json()
        async with client.post(f"{email_url}/send", json={"to": "a@example.com", "subject": "s"}) as response:
            assert response.status == 200

        process.send_signal(signal.SIGTERM)
        rest = (await asyncio.wait_for(process.stdout.read(), 20)).decode()
        assert "sandbox stopped" in rest
        assert await asyncio.wait_for(process.wait(), 20) == 0
        log = (await process.stderr.read()).decode()
        assert "rutter POST /versioned/accounting/invoices -> 200" in log
        assert "email POST /send -> 200" in log
        assert "access-sandbox-main" not in log
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
