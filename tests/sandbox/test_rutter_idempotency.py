"""Idempotency-Key: replays, conflicts, and what is (not) remembered."""

from __future__ import annotations

import aiohttp

from sandbox import JobFailure, RunningSandbox
from tests.sandbox.conftest import OTHER_TOKEN, headers, invoice_body, invoices_url, wait_for_job


async def test_same_key_same_body_replays_the_same_job_and_creates_one_invoice(
    slow_sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    body = invoice_body()
    answers = []
    for _ in range(3):
        async with client.post(invoices_url(slow_sb), json=body, headers=headers(key="charge-1")) as response:
            assert response.status == 200
            answers.append((await response.json(), response.headers["X-Rutter-Job-ID"]))
    assert answers[0] == answers[1] == answers[2]
    job = await wait_for_job(client, answers[0][0]["async_response"]["response_url"])
    assert job["status"] == "success"
    async with client.post(invoices_url(slow_sb), json=body, headers=headers(key="charge-1")) as response:
        assert (await response.json()) == answers[0][0]  # still the first answer, same job
    assert len(slow_sb.rutter.jobs) == 1
    async with client.get(f"{slow_sb.rutter_url}/_sandbox/invoices") as response:
        summary = await response.json()
    assert summary["count"] == 1
    assert summary["by_idempotency_key"] == {"charge-1": 1}


async def test_prefer_sync_replay_answers_the_same_invoice(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    body = invoice_body(mode="prefer_sync")
    async with client.post(invoices_url(sb), json=body, headers=headers(key="k")) as first:
        first_body = await first.json()
    async with client.post(invoices_url(sb), json=body, headers=headers(key="k")) as second:
        assert await second.json() == first_body
        assert second.headers["X-Rutter-Job-ID"] == first.headers["X-Rutter-Job-ID"]
    assert len(sb.rutter.invoices) == 1


async def test_same_key_different_body_is_409(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
        assert response.status == 200
    changed = invoice_body(memo="another memo")
    async with client.post(invoices_url(sb), json=changed, headers=headers(key="k")) as response:
        assert response.status == 409
        body = await response.json()
        assert "X-Rutter-Job-ID" not in response.headers
    assert body["error_code"] == "IDEMPOTENCY_KEY_CONFLICT"
    assert set(body) == {"error_type", "error_code", "error_message"}
    # other parameters count too: another connection, another version
    async with client.post(
        invoices_url(sb, OTHER_TOKEN), json=invoice_body(), headers=headers(key="k")
    ) as response:
        assert response.status == 409
    async with client.post(
        invoices_url(sb), json=invoice_body(), headers=headers("2023-03-14", key="k")
    ) as response:
        assert response.status == 409
    assert len(sb.rutter.invoices) == 1


async def test_rejected_requests_are_not_remembered(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    invalid = invoice_body(currency_code="???")
    async with client.post(invoices_url(sb), json=invalid, headers=headers(key="k")) as response:
        assert response.status == 400
    sb.rutter.fail_next_creates("platform_rate_limit")
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
        assert response.status == 452
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
        assert response.status == 200  # the same key is free: nothing was accepted before
    assert len(sb.rutter.idempotency) == 1


async def test_a_failed_job_is_replayed_as_the_same_failure(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    sb.rutter.queue_job_failure(JobFailure(error_code="DUPLICATE_DOCUMENT_NUMBER", error_message="dup"))
    body = invoice_body(mode="prefer_sync")
    async with client.post(invoices_url(sb), json=body, headers=headers(key="k")) as first:
        assert first.status == 450
        first_body = await first.json()
    async with client.post(invoices_url(sb), json=body, headers=headers(key="k")) as second:
        assert second.status == 450
        assert await second.json() == first_body
    assert first_body["error_code"] == "DUPLICATE_DOCUMENT_NUMBER"
    assert sb.rutter.invoices == {}
