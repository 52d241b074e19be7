"""RutterClient against a mocked Rutter: requests it sends, retries, job polling, errors, logs."""

from __future__ import annotations

import base64
import json
import logging
import math
import re
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from api.logging import JsonFormatter
from api.rutter import (
    RetryPolicy,
    RutterClient,
    RutterIdempotencyConflict,
    RutterJobTimeout,
    RutterNotConfigured,
    RutterNotReached,
    RutterOutcomeUnknown,
    RutterRejected,
    RutterUnavailable,
)
from api.rutter.client import create_body
from tests.rutter.conftest import (
    ACCESS_TOKEN,
    BASE_URL,
    CLIENT_ID,
    CLIENT_SECRET,
    IDEMPOTENCY_KEY,
    INVOICE_ID,
    INVOICES_URL,
    JOB_ID,
    JOB_URL,
    PDF_URL,
    FakeTime,
    invoice_2023,
    make_settings,
)
from tests.rutter.http_mock import requests_to

INVOICE_BODY: dict[str, Any] = {
    "customer_id": "cus-1",
    "issue_date": "2024-05-01T00:00:00.000Z",
    "due_date": "2024-05-31T00:00:00.000Z",
    "currency_code": "USD",
    "document_number": "INV-1001",
    "line_items": [{"total_amount": 12.34, "item": {"id": "item-1", "quantity": 1, "unit_amount": 12.34}}],
}
ASYNC_ANSWER = {"async_response": {"id": JOB_ID, "status": "pending", "response_url": JOB_URL}}
PENDING_JOB = {"id": JOB_ID, "status": "pending", "request": {"method": "POST", "url": INVOICES_URL}}
SUCCESS_JOB = {
    "id": JOB_ID,
    "status": "success",
    "request": {"method": "POST", "url": INVOICES_URL, "idempotency_key": IDEMPOTENCY_KEY},
    "response": {"http_status": 200, "body": {"invoice": invoice_2023()}},
}
BASIC_AUTH = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def connection_refused() -> aiohttp.ClientConnectorError:
    key = ConnectionKey("rutter.test", 443, True, True, None, None, None)
    return aiohttp.ClientConnectorError(key, OSError(111, "Connect call failed"))


async def create(client: RutterClient) -> str | None:
    result = await client.create_invoice(
        create_body(INVOICE_BODY), access_token=ACCESS_TOKEN, idempotency_key=IDEMPOTENCY_KEY
    )
    return result.job_id


# --- create -----------------------------------------------------------------------------------


async def test_create_invoice_posts_async_request_with_credentials_and_returns_job_id(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)

    result = await client.create_invoice(
        create_body(INVOICE_BODY), access_token=ACCESS_TOKEN, idempotency_key=IDEMPOTENCY_KEY
    )

    assert result.job_id == JOB_ID
    assert result.invoice is None
    [call] = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    headers = call.kwargs["headers"]
    assert headers["Authorization"] == BASIC_AUTH
    assert headers["X-Rutter-Version"] == "2023-03-14"
    assert headers["Idempotency-Key"] == IDEMPOTENCY_KEY
    assert headers["Content-Type"] == "application/json"
    assert call.kwargs["params"] == {"access_token": ACCESS_TOKEN}
    assert json.loads(call.kwargs["data"]) == {"response_mode": "async", "invoice": INVOICE_BODY}


async def test_create_invoice_sends_the_configured_version(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_time: FakeTime
) -> None:
    client = RutterClient(session, make_settings("2024-08-31"), sleep=fake_time.sleep, clock=fake_time.clock)
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)

    await create(client)

    [call] = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    assert call.kwargs["headers"]["X-Rutter-Version"] == "2024-08-31"


async def test_create_invoice_sends_decimal_amounts_as_exact_json_numbers(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)
    body = {
        **INVOICE_BODY,
        "line_items": [{"total_amount": Decimal("1500.10")}, {"total_amount": Decimal("3")}],
    }

    await client.create_invoice(create_body(body), access_token=ACCESS_TOKEN, idempotency_key=IDEMPOTENCY_KEY)

    [call] = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    assert b'"total_amount": 1500.1}' in call.kwargs["data"]
    assert b'"total_amount": 3}' in call.kwargs["data"]


async def test_create_answered_synchronously_returns_the_invoice_without_a_job(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, payload={"invoice": invoice_2023()})

    result = await client.create_invoice(
        create_body(INVOICE_BODY), access_token=ACCESS_TOKEN, idempotency_key=IDEMPOTENCY_KEY
    )

    assert result.job_id is None
    assert result.invoice is not None
    assert result.invoice.id == INVOICE_ID
    assert result.invoice.total_amount == Decimal("14.34")


async def test_create_with_unexpected_body_uses_the_job_id_header(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, payload={"something": "else"}, headers={"X-Rutter-Job-ID": JOB_ID})

    assert await create(client) == JOB_ID


async def test_create_with_unreadable_answer_is_outcome_unknown_and_not_retried(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, body="<html>ok</html>", content_type="text/html")

    with pytest.raises(RutterOutcomeUnknown) as raised:
        await create(client)

    assert raised.value.last_status == 200
    assert len(requests_to(mocked, "POST", "/versioned/accounting/invoices")) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 410, 450])
async def test_create_refused_by_rutter_raises_rejected_with_its_error_and_is_not_retried(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime, status: int
) -> None:
    error = {
        "error_type": "INVALID_REQUEST",
        "error_code": "BAD_FIELD",
        "error_message": "due_date is required",
    }
    mocked.post(INVOICES_URL, status=status, payload=error, repeat=True)

    with pytest.raises(RutterRejected) as raised:
        await create(client)

    assert raised.value.http_status == status
    assert raised.value.error_type == "INVALID_REQUEST"
    assert raised.value.error_code == "BAD_FIELD"
    assert raised.value.error_message == "due_date is required"
    assert len(requests_to(mocked, "POST", "/versioned/accounting/invoices")) == 1
    assert fake_time.sleeps == []


async def test_create_answered_409_is_an_idempotency_conflict_not_a_refusal(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    # An earlier request with this key was accepted: an invoice may exist, so this must not read as "no".
    mocked.post(INVOICES_URL, status=409, payload={"error_code": "IDEMPOTENCY_KEY_CONFLICT"}, repeat=True)

    with pytest.raises(RutterIdempotencyConflict):
        await create(client)

    assert len(requests_to(mocked, "POST", "/versioned/accounting/invoices")) == 1
    assert fake_time.sleeps == []


async def test_create_sends_the_version_it_is_given(client: RutterClient, mocked: aioresponses) -> None:
    mocked.post(INVOICES_URL, payload={"async_response": {"id": "job-1", "status": "pending"}})

    await client.create_invoice(
        create_body({}), access_token=ACCESS_TOKEN, idempotency_key="k", version="2024-08-31"
    )

    (request,) = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    assert request.kwargs["headers"]["X-Rutter-Version"] == "2024-08-31"


async def test_rejection_without_a_json_body_still_carries_the_status(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, status=404, body="Not Found", content_type="text/plain")

    with pytest.raises(RutterRejected) as raised:
        await create(client)

    assert (raised.value.http_status, raised.value.error_code) == (404, None)


# --- retries ----------------------------------------------------------------------------------


async def test_rate_limited_create_waits_retry_after_then_succeeds_with_the_same_idempotency_key(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    mocked.post(
        INVOICES_URL, status=429, headers={"Retry-After": "3"}, payload={"error_code": "RATE_LIMITED"}
    )
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)

    assert await create(client) == JOB_ID

    calls = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    assert [call.kwargs["headers"]["Idempotency-Key"] for call in calls] == [IDEMPOTENCY_KEY] * 2
    assert calls[0].kwargs["data"] == calls[1].kwargs["data"]
    assert len(fake_time.sleeps) == 1
    assert 3.0 <= fake_time.sleeps[0] <= 3.0 + 0.35  # Retry-After plus its jitter


async def test_platform_rate_limit_452_is_retried(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    mocked.post(INVOICES_URL, status=452, payload={"error_code": "PLATFORM_RATE_LIMITED"})
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)

    assert await create(client) == JOB_ID
    assert len(fake_time.sleeps) == 1


async def test_retry_after_beyond_the_budget_gives_up_at_once_without_waiting(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    mocked.post(INVOICES_URL, status=429, headers={"Retry-After": "60"}, repeat=True)

    with pytest.raises(RutterUnavailable) as raised:
        await create(client)

    assert not isinstance(raised.value, RutterOutcomeUnknown)  # a 429 was never applied
    assert (raised.value.last_status, raised.value.attempts) == (429, 1)
    assert fake_time.sleeps == []


async def test_server_error_storm_on_create_gives_up_after_the_budget_as_outcome_unknown(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_time: FakeTime
) -> None:
    policy = RetryPolicy(attempts=100, budget_s=10.0, initial_wait_s=1.0, max_wait_s=4.0)
    client = RutterClient(
        session, make_settings(), sleep=fake_time.sleep, clock=fake_time.clock, retry_policy=policy
    )
    mocked.post(INVOICES_URL, status=503, repeat=True)

    with pytest.raises(RutterOutcomeUnknown) as raised:
        await create(client)

    # Still a RutterUnavailable (RUTTER_UNAVAILABLE for the API), but the invoice may exist.
    assert isinstance(raised.value, RutterUnavailable)
    assert raised.value.last_status == 503
    calls = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    assert raised.value.attempts == len(calls) > 1
    assert {call.kwargs["headers"]["Idempotency-Key"] for call in calls} == {IDEMPOTENCY_KEY}
    assert sum(fake_time.sleeps) <= policy.budget_s
    for attempt, wait in enumerate(fake_time.sleeps):  # full jitter under a growing, capped ceiling
        assert 0 <= wait <= min(policy.max_wait_s, policy.initial_wait_s * 2**attempt)


async def test_server_error_storm_on_get_gives_up_after_the_attempts_as_unavailable(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    mocked.get(JOB_URL, status=502, repeat=True)

    with pytest.raises(RutterUnavailable) as raised:
        await client.get_job(JOB_ID)

    assert type(raised.value) is RutterUnavailable
    assert (raised.value.last_status, raised.value.attempts) == (502, 5)
    assert len(requests_to(mocked, "GET", f"/versioned/jobs/{JOB_ID}")) == 5
    assert len(fake_time.sleeps) == 4


async def test_connection_refused_then_success_retries_the_create(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    mocked.post(INVOICES_URL, exception=connection_refused())
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)

    assert await create(client) == JOB_ID
    assert len(requests_to(mocked, "POST", "/versioned/accounting/invoices")) == 2
    assert len(fake_time.sleeps) == 1


async def test_rutter_unreachable_throughout_raises_not_reached(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, exception=connection_refused(), repeat=True)

    with pytest.raises(RutterNotReached) as raised:
        await create(client)

    assert (raised.value.last_status, raised.value.attempts) == (None, 5)
    assert isinstance(raised.value.__cause__, RutterNotReached)


async def test_lost_answer_to_create_is_retried_with_the_same_idempotency_key(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, exception=aiohttp.SocketTimeoutError("read timed out"))
    mocked.post(INVOICES_URL, exception=aiohttp.ServerDisconnectedError())
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)

    assert await create(client) == JOB_ID
    calls = requests_to(mocked, "POST", "/versioned/accounting/invoices")
    assert [call.kwargs["headers"]["Idempotency-Key"] for call in calls] == [IDEMPOTENCY_KEY] * 3


async def test_create_whose_first_answer_was_lost_stays_outcome_unknown_even_if_later_attempts_never_connect(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.post(INVOICES_URL, exception=TimeoutError())
    mocked.post(INVOICES_URL, exception=connection_refused(), repeat=True)

    with pytest.raises(RutterOutcomeUnknown):
        await create(client)


async def test_missing_credentials_raise_not_configured_without_sending(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_time: FakeTime
) -> None:
    client = RutterClient(session, make_settings(rutter_client_secret=None), sleep=fake_time.sleep)

    with pytest.raises(RutterNotConfigured):
        await create(client)

    assert mocked.requests == {}


# --- jobs ---------------------------------------------------------------------------------------


async def test_get_job_sends_basic_auth_and_version_but_no_access_token(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.get(JOB_URL, payload=PENDING_JOB)

    job = await client.get_job(JOB_ID)

    assert (job.id, job.status, job.finished) == (JOB_ID, "pending", False)
    assert job.request is not None and job.request.url is not None
    assert ACCESS_TOKEN not in job.request.url
    [call] = requests_to(mocked, "GET", f"/versioned/jobs/{JOB_ID}")
    assert call.kwargs["params"] is None
    assert call.kwargs["headers"]["Authorization"] == BASIC_AUTH
    assert call.kwargs["headers"]["X-Rutter-Version"] == "2023-03-14"


async def test_wait_for_job_polls_with_growing_capped_waits_until_success(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    for _ in range(7):
        mocked.get(JOB_URL, payload=PENDING_JOB)
    mocked.get(JOB_URL, payload=SUCCESS_JOB)

    invoice = await client.wait_for_job(JOB_ID, deadline_s=60)

    assert invoice.id == INVOICE_ID
    assert invoice.total_amount == Decimal("14.34")
    assert fake_time.sleeps == [0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875, 5.0, 5.0]
    assert len(requests_to(mocked, "GET", f"/versioned/jobs/{JOB_ID}")) == 8


@pytest.mark.parametrize("job_duration_s", [0.3, 0.5, 1.0, 2.0, 4.0, 7.5, 12.0, 20.0])
async def test_polls_for_a_job_stay_within_the_logarithmic_bound(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime, job_duration_s: float
) -> None:
    done_at = fake_time.now + job_duration_s

    def job_state(url: URL, **kwargs: Any) -> CallbackResult:
        return CallbackResult(payload=SUCCESS_JOB if fake_time.now >= done_at else PENDING_JOB)

    mocked.get(JOB_URL, callback=job_state, repeat=True)

    await client.wait_for_job(JOB_ID, deadline_s=25)

    polls = len(requests_to(mocked, "GET", f"/versioned/jobs/{JOB_ID}"))
    assert polls <= math.ceil(math.log(max(job_duration_s, 0.5) / 0.5, 1.5)) + 2


async def test_failed_job_raises_rejected_with_the_platform_error(
    client: RutterClient, mocked: aioresponses
) -> None:
    error = {
        "error_type": "PLATFORM_ERROR",
        "error_code": "INVALID_CUSTOMER",
        "error_message": "Customer is inactive in QuickBooks.",
    }
    failed = {"id": JOB_ID, "status": "failure", "response": {"http_status": 450, "body": error}}
    mocked.get(JOB_URL, payload=failed)

    with pytest.raises(RutterRejected) as raised:
        await client.wait_for_job(JOB_ID, deadline_s=10)

    rejected = raised.value
    assert (rejected.http_status, rejected.error_type, rejected.error_code) == (
        450,
        "PLATFORM_ERROR",
        "INVALID_CUSTOMER",
    )
    assert rejected.error_message == "Customer is inactive in QuickBooks."
    assert "INVALID_CUSTOMER" in str(rejected)


@pytest.mark.parametrize("status", [401, 404, 410])
async def test_a_refused_poll_is_outcome_unknown_never_a_rejection(
    client: RutterClient, mocked: aioresponses, status: int
) -> None:
    # Bad credentials or a job Rutter no longer knows say nothing about whether the invoice exists.
    mocked.get(JOB_URL, status=status, payload={"error_code": "NOT_FOUND"})

    with pytest.raises(RutterOutcomeUnknown) as raised:
        await client.wait_for_job(JOB_ID, deadline_s=10)

    assert not isinstance(raised.value, RutterRejected)
    assert raised.value.last_status == status


async def test_finished_job_without_a_response_is_outcome_unknown(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.get(JOB_URL, payload={"id": JOB_ID, "status": "failure"})

    with pytest.raises(RutterOutcomeUnknown):
        await client.wait_for_job(JOB_ID, deadline_s=10)


async def test_job_still_running_at_the_deadline_raises_job_timeout_after_a_last_poll_at_the_deadline(
    client: RutterClient, mocked: aioresponses, fake_time: FakeTime
) -> None:
    started = fake_time.now
    mocked.get(JOB_URL, payload=PENDING_JOB, repeat=True)

    with pytest.raises(RutterJobTimeout) as raised:
        await client.wait_for_job(JOB_ID, deadline_s=3)

    assert raised.value.job_id == JOB_ID
    assert fake_time.now - started == pytest.approx(3.0)
    assert fake_time.sleeps == pytest.approx([0.5, 0.75, 1.125, 0.625])


async def test_job_poll_recovers_from_a_transient_server_error(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.get(JOB_URL, status=503)
    mocked.get(JOB_URL, payload=SUCCESS_JOB)

    invoice = await client.wait_for_job(JOB_ID, deadline_s=10)

    assert invoice.id == INVOICE_ID


async def test_rutter_down_while_polling_ends_in_job_timeout_not_a_failure(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.get(JOB_URL, status=500, repeat=True)

    with pytest.raises(RutterJobTimeout) as raised:
        await client.wait_for_job(JOB_ID, deadline_s=4)

    assert isinstance(raised.value.__cause__, RutterUnavailable)


async def test_job_that_succeeded_without_an_invoice_is_outcome_unknown(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.get(JOB_URL, payload={"id": JOB_ID, "status": "success", "response": {"http_status": 200}})

    with pytest.raises(RutterOutcomeUnknown):
        await client.wait_for_job(JOB_ID, deadline_s=10)


# --- invoices and PDF --------------------------------------------------------------------------


async def test_a_finished_job_in_2024_shape_gives_its_invoice_with_exact_decimals(
    session: aiohttp.ClientSession, mocked: aioresponses, fake_time: FakeTime
) -> None:
    client = RutterClient(session, make_settings("2024-08-31"), sleep=fake_time.sleep, clock=fake_time.clock)
    # Raw JSON so the numbers reach the client exactly as Rutter writes them.
    invoice = (
        f'{{"id": "{INVOICE_ID}", "platform_id": "7", "issue_date": "2024-05-01T00:00:00Z",'
        ' "total_amount": 0.3, "sub_total": 0.3, "tax_amount": 0, "discount_amount": 0.05,'
        ' "amount_due": 1e-2, "platform_url": "https://qbo.example/inv/7",'
        ' "last_synced_at": "2024-05-01T00:00:00Z",'
        ' "line_items": [{"platform_id": "1", "total_amount": 0.1, "item": {"id": "item-1", "quantity": 1,'
        ' "unit_amount": 0.1}}, {"platform_id": "2", "total_amount": 0.2, "item": null}]}'
    )
    body = (
        f'{{"id": "{JOB_ID}", "status": "success",'
        f' "response": {{"http_status": 200, "body": {{"invoice": {invoice}}}}}}}'
    )
    mocked.get(JOB_URL, body=body, content_type="application/json")

    found = await client.wait_for_job(JOB_ID, deadline_s=10)

    assert found.total_amount == Decimal("0.3")
    assert sum(line.total_amount or 0 for line in found.line_items) == found.total_amount
    assert found.total_discount == Decimal("0.05")
    assert found.amount_due == Decimal("0.01")
    assert found.line_items[0].item_id == "item-1"
    assert found.line_items[0].unit_amount == Decimal("0.1")
    assert found.platform_url == "https://qbo.example/inv/7"


async def test_get_pdf_link_always_asks_with_version_2024_08_31(
    client: RutterClient, mocked: aioresponses
) -> None:
    mocked.get(PDF_URL, payload={"invoice": {"pdf_link": "https://files.example/inv.pdf"}})

    link = await client.get_pdf_link(INVOICE_ID, access_token=ACCESS_TOKEN)

    assert link == "https://files.example/inv.pdf"
    [call] = requests_to(mocked, "GET", f"/versioned/accounting/invoices/{INVOICE_ID}/pdf")
    assert call.kwargs["headers"]["X-Rutter-Version"] == "2024-08-31"
    assert call.kwargs["params"] == {"access_token": ACCESS_TOKEN}


async def test_pdf_link_missing_from_the_answer_raises(client: RutterClient, mocked: aioresponses) -> None:
    mocked.get(PDF_URL, payload={"invoice": {}})

    with pytest.raises(RutterUnavailable):
        await client.get_pdf_link(INVOICE_ID, access_token=ACCESS_TOKEN)


async def test_base_url_given_with_versioned_suffix_is_not_doubled(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    client = RutterClient(session, make_settings(rutter_base_url=f"{BASE_URL}/versioned/"))
    mocked.get(JOB_URL, payload=PENDING_JOB)

    await client.get_job(JOB_ID)


# --- logs ---------------------------------------------------------------------------------------


async def test_every_call_is_logged_once_without_any_secret(
    client: RutterClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="api.rutter")
    mocked.post(INVOICES_URL, exception=connection_refused())
    mocked.post(INVOICES_URL, status=429, headers={"Retry-After": "1"})
    mocked.post(INVOICES_URL, payload=ASYNC_ANSWER)
    mocked.get(JOB_URL, payload=SUCCESS_JOB)
    mocked.get(PDF_URL, status=401, payload={"error_code": "INVALID_CREDENTIALS", "error_message": "bad"})

    await create(client)
    await client.wait_for_job(JOB_ID, deadline_s=10)
    with pytest.raises(RutterRejected) as raised:
        await client.get_pdf_link(INVOICE_ID, access_token=ACCESS_TOKEN)

    records = [record for record in caplog.records if record.name == "api.rutter"]
    assert [(r.method, r.path, r.status, r.attempt) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/versioned/accounting/invoices", None, 1),
        ("POST", "/versioned/accounting/invoices", 429, 2),
        ("POST", "/versioned/accounting/invoices", 200, 3),
        ("GET", f"/versioned/jobs/{JOB_ID}", 200, 1),
        ("GET", f"/versioned/accounting/invoices/{INVOICE_ID}/pdf", 401, 1),
    ]
    assert all(record.levelno == logging.INFO for record in records)
    assert all(isinstance(record.duration_ms, float) for record in records)  # type: ignore[attr-defined]
    secrets = [CLIENT_SECRET, ACCESS_TOKEN, BASIC_AUTH.removeprefix("Basic ")]
    formatter = JsonFormatter()
    logged = "\n".join([caplog.text, *(formatter.format(record) for record in records)])
    logged += "\n".join(repr(record.__dict__) for record in records)
    for secret in secrets:
        assert secret not in logged
        assert secret not in str(raised.value)
        assert not re.search(re.escape(secret), repr(raised.value))
