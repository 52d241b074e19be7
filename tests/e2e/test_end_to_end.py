"""The service as its own process, over real sockets, against the sandbox process and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from api.keys.service import issue_key
from api.keys.tokens import hash_key
from api.paths import PROJECT_ROOT
from devkit.client import Answer, bearer, call
from devkit.databases import temporary_database
from devkit.demo import (
    ACCESS_TOKEN,
    CLEAN_CHARGE_DOCUMENT_NUMBER,
    CLEAN_CHARGE_ID,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
)
from devkit.processes import environment_without_settings
from devkit.service import RECIPIENT_EMAIL, ServiceProcess
from tests.e2e.conftest import E2E, Charge, error_json

pytestmark = pytest.mark.e2e

DEMO_CHARGE = Charge(CLEAN_CHARGE_ID, CLEAN_CHARGE_DOCUMENT_NUMBER)


def _time(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))


async def _follow_status_url(e2e: E2E, service: ServiceProcess, location: str) -> dict[str, Any]:
    """GETs the status URL (each GET resumes polling) until the request is no longer PENDING."""

    async def probe() -> dict[str, Any] | None:
        answer = await e2e.get(service, location)
        assert answer.status == 200, error_json(answer)
        body: dict[str, Any] = answer.body
        return body if body["status"] != "PENDING" else None

    return await e2e.until(probe, f"{location} to leave PENDING")


async def test_charge_is_invoiced_stored_and_emailed(e2e: E2E) -> None:
    service = await e2e.start_service()

    answer = await e2e.post(service, DEMO_CHARGE, send_email=True)

    assert answer.status == 201, error_json(answer)
    body = answer.body
    invoice = body["invoice"]
    assert invoice["document_number"] == "INV-1001"
    assert invoice["total_amount"] == "1750.00"
    assert [line["total_amount"] for line in invoice["line_items"]] == ["1500.00", "250.00"]
    assert body["email"] == {"status": "SENT", "to": RECIPIENT_EMAIL, "error": None}
    assert body["rutter"]["invoice_id"] == invoice["provider_entity_id"]

    [row] = await e2e.stored_invoices("INV-1001")
    assert row["id"] == invoice["id"]
    assert row["email_status"] == "SENT"
    assert row["pdf_link"] == invoice["pdf_link"]
    assert row["provider_entity_id"] == invoice["provider_entity_id"]
    lines = await e2e.db.fetchval(
        "SELECT count(*) FROM uac_line_item WHERE acc_uac_invoice_id = $1", row["id"]
    )
    assert lines == 2
    request = await e2e.assert_invoiced_once(DEMO_CHARGE)
    assert request["id"] == body["request_id"]
    assert request["rutter_job_id"] == body["rutter"]["job_id"]

    log = await e2e.sandbox.requests()
    creates = await e2e.sandbox.creates(DEMO_CHARGE.document_number)
    assert [(c["status"], c["version"], c["authorization"]) for c in creates] == [
        (200, "2023-03-14", "present")
    ]
    assert creates[0]["idempotency_key"] == request["rutter_idempotency_key"]
    assert creates[0]["body"]["response_mode"] == "async"
    assert creates[0]["body"]["invoice"]["customer_id"] == "5d0c7a8e-0123-4c1e-9b23-000000000123"
    assert any(entry["path"] == f"/versioned/jobs/{body['rutter']['job_id']}" for entry in log)
    pdf_calls = [
        e for e in log if e["path"].endswith(f"/accounting/invoices/{invoice['provider_entity_id']}/pdf")
    ]
    assert [(e["status"], e["version"]) for e in pdf_calls] == [(200, "2024-08-31")]

    messages = await e2e.sandbox.messages()
    assert len(messages) == 1
    message = messages[0]
    assert message["to"] in (RECIPIENT_EMAIL, [RECIPIENT_EMAIL])
    assert "INV-1001" in message["subject"]
    [attachment] = message["attachments"]
    assert attachment["path"] == invoice["pdf_link"]
    assert attachment["fetched"]["ok"] is True
    assert attachment["fetched"]["is_pdf"] is True

    again = await e2e.post(service, DEMO_CHARGE, send_email=True)
    assert (again.status, again.code) == (409, "INVOICE_ALREADY_EXISTS"), error_json(again)
    assert len(await e2e.sandbox.messages()) == 1


async def test_the_running_service_needs_a_valid_key(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    service = await e2e.start_service()
    body = {"charge_id": charge.id}

    missing = await call(e2e.http, "POST", f"{service.url}/invoices", json_body=body)
    revoked_key = (await issue_key(e2e.db, organization_id=None)).key
    await e2e.db.execute("UPDATE api_key SET revoked_at = now() WHERE key_hash = $1", hash_key(revoked_key))
    revoked = await call(
        e2e.http, "POST", f"{service.url}/invoices", json_body=body, headers=bearer(revoked_key)
    )
    health = await call(e2e.http, "GET", f"{service.url}/healthz")

    for answer in (missing, revoked):
        assert (answer.status, answer.code) == (401, "UNAUTHENTICATED"), error_json(answer)
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert health.status == 200
    assert await e2e.requests_of(charge) == []


async def test_failed_job_is_502_stores_nothing_and_frees_the_charge(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    service = await e2e.start_service()
    await e2e.sandbox.fail_jobs(1)

    answer = await e2e.post(service, charge)

    assert (answer.status, answer.code) == (502, "RUTTER_REJECTED"), error_json(answer)
    assert answer.details["http_status"] == 450
    assert answer.details["error_code"] == "PLATFORM_BAD_REQUEST"
    assert await e2e.sandbox.invoices_for(charge.document_number) == []
    assert await e2e.stored_invoices(charge.document_number) == []
    [request] = await e2e.requests_of(charge)
    assert request["status"] == "FAILED"
    assert request["active_charge_id"] is None

    retry = await e2e.post(service, charge)

    assert retry.status == 201, error_json(retry)
    assert retry.body["request_id"] != request["id"]
    await e2e.assert_invoiced_once(charge)


async def test_rate_limited_create_waits_for_retry_after_then_succeeds(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    service = await e2e.start_service()
    await e2e.sandbox.fail_creates("rate_limit", 1, retry_after=1)

    answer = await e2e.post(service, charge)

    assert answer.status == 201, error_json(answer)
    creates = await e2e.sandbox.creates()
    assert [c["status"] for c in creates] == [429, 200]
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert (_time(creates[1]) - _time(creates[0])).total_seconds() >= 0.9  # Retry-After: 1 was honoured
    await e2e.assert_invoiced_once(charge)


async def test_slow_job_is_answered_202_and_completed_through_the_status_url(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    service = await e2e.start_service(rutter_job_timeout_s=0.3)
    await e2e.sandbox.hold_jobs()  # still running at the 0.3 s deadline, however slow the machine

    answer = await e2e.post(service, charge)

    assert answer.status == 202, error_json(answer)
    assert answer.body["status"] == "PENDING"
    location = answer.headers["Location"]
    assert location == f"/invoices/requests/{answer.body['request_id']}"
    assert await e2e.stored_invoices(charge.document_number) == []
    assert await e2e.sandbox.release_jobs() == 1

    final = await _follow_status_url(e2e, service, location)

    assert final["status"] == "COMPLETED", final
    assert final["result"]["invoice"]["total_amount"] == "1750.00"
    await e2e.assert_invoiced_once(charge)
    assert len(await e2e.sandbox.creates(charge.document_number)) == 1


async def test_twenty_concurrent_posts_make_one_invoice(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    service = await e2e.start_service()
    await e2e.sandbox.configure(job_latency=0.3)

    answers: list[Answer] = list(await asyncio.gather(*(e2e.post(service, charge) for _ in range(20))))

    winners = [a for a in answers if a.status in (201, 202)]
    assert len(winners) == 1, Counter((a.status, a.code) for a in answers)
    refusals = Counter(a.code for a in answers if a is not winners[0])
    assert sum(refusals.values()) == 19
    assert set(refusals) <= {"REQUEST_IN_PROGRESS", "INVOICE_ALREADY_EXISTS"}, refusals
    assert all(a.status == 409 for a in answers if a is not winners[0])
    if winners[0].status == 202:
        await _follow_status_url(e2e, service, winners[0].headers["Location"])
    await e2e.assert_invoiced_once(charge)
    assert len(await e2e.sandbox.creates(charge.document_number)) == 1


async def test_secrets_never_reach_the_service_log(e2e: E2E) -> None:
    service = await e2e.start_service(log_level="DEBUG")
    emailed, rejected, dropped, unavailable = [await e2e.new_charge() for _ in range(4)]

    assert (await e2e.post(service, emailed, send_email=True)).status == 201
    await e2e.sandbox.fail_jobs(1)
    assert (await e2e.post(service, rejected)).code == "RUTTER_REJECTED"
    await e2e.sandbox.fail_creates("drop_connection")
    assert (await e2e.post(service, dropped)).status == 201
    await e2e.sandbox.fail_creates("server_error", 3)
    assert (await e2e.post(service, unavailable)).code == "RUTTER_UNAVAILABLE"
    await service.stop()

    log = service.output()
    assert '"rutter.request"' in log  # the service did log its Rutter calls
    basic = base64.b64encode(f"{SANDBOX_CLIENT_ID}:{SANDBOX_CLIENT_SECRET}".encode()).decode()
    for secret in (SANDBOX_CLIENT_SECRET, ACCESS_TOKEN, basic):
        assert secret not in log, f"{secret!r} appears in the service's output"


async def test_devrun_check_invoices_a_demo_charge(server_dsn: str, tmp_path: Path) -> None:
    output = tmp_path / "devrun.log"
    async with temporary_database(server_dsn, "invoice_devrun") as dsn:
        with output.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "devrun",
                "--check",
                "--api-port",
                "0",
                "--rutter-port",
                "0",
                "--email-port",
                "0",
                cwd=PROJECT_ROOT,
                env={
                    **environment_without_settings(),
                    "DATABASE_URL": dsn,
                    "PYTHONUNBUFFERED": "1",
                },
                stdout=sink,
                stderr=asyncio.subprocess.STDOUT,
            )
        try:
            code = await asyncio.wait_for(process.wait(), 60)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        text = output.read_text(errors="replace")
        assert code == 0, text[-5000:]
        assert "POST /invoices -> 201" in text
        connection = await asyncpg.connect(dsn)
        try:
            assert await connection.fetchval("SELECT count(*) FROM acc_uac_invoice") == 1
            assert (
                await connection.fetchval("SELECT count(*) FROM invoice_request WHERE status = 'COMPLETED'")
                == 1
            )
        finally:
            await connection.close()
