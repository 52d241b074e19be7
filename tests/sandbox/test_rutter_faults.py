"""Rate limiting, scripted faults (control API), the request log, reset."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from sandbox import RunningSandbox, RutterConfig, running_sandbox
from tests.sandbox.conftest import (
    CLIENT_SECRET,
    OTHER_TOKEN,
    TOKEN,
    headers,
    invoice_body,
    invoices_url,
    wait_for_job,
)


async def _control(client: aiohttp.ClientSession, sb: RunningSandbox, path: str, body: Any = None) -> Any:
    async with client.post(f"{sb.rutter_url}/_sandbox/{path}", json=body or {}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_rate_limit_per_organization_is_429_with_retry_after(client: aiohttp.ClientSession) -> None:
    async with running_sandbox(RutterConfig(job_latency=0, rate_limit=3, rate_window=60)) as sb:
        for _ in range(3):
            async with client.post(invoices_url(sb), json=invoice_body(), headers=headers()) as response:
                assert response.status == 200
        async with client.post(invoices_url(sb), json=invoice_body(), headers=headers()) as response:
            assert response.status == 429
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            body = await response.json()
            assert "X-Rutter-Job-ID" not in response.headers
        assert body["error_code"] == "RATE_LIMIT_EXCEEDED"
        assert set(body) == {"error_type", "error_code", "error_message"}
        # GETs and job polls of the same organization are limited too; another organization is not
        async with client.get(invoices_url(sb), headers=headers()) as response:
            assert response.status == 429
        job_id = next(iter(sb.rutter.jobs))
        async with client.get(f"{sb.rutter_api_base}/jobs/{job_id}", headers=headers()) as response:
            assert response.status == 429
        async with client.post(
            invoices_url(sb, OTHER_TOKEN), json=invoice_body(), headers=headers()
        ) as response:
            assert response.status == 200
        assert len(sb.rutter.invoices) == 4
        # the limit can be changed at run time
        await _control(client, sb, "config", {"rate_limit": 100})
        async with client.get(invoices_url(sb), headers=headers()) as response:
            assert response.status == 200


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        ({"fault": "rate_limit"}, 429, "1"),
        ({"fault": "rate_limit", "retry_after": 7}, 429, "7"),
        ({"fault": "platform_rate_limit"}, 452, None),
        ({"fault": "platform_rate_limit", "retry_after": 3}, 452, "3"),
        ({"fault": "server_error"}, 500, None),
        ({"fault": "server_error", "status": 503}, 503, None),
    ],
)
async def test_injected_create_faults_answer_instead_of_accepting(
    sb: RunningSandbox,
    client: aiohttp.ClientSession,
    fault: dict[str, Any],
    status: int,
    retry_after: str | None,
) -> None:
    queued = await _control(client, sb, "faults/create", {**fault, "count": 2})
    assert queued["queued"] == 2
    for _ in range(2):
        async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
            assert response.status == status
            assert response.headers.get("Retry-After") == retry_after
            assert "X-Rutter-Job-ID" not in response.headers
            assert set(await response.json()) == {"error_type", "error_code", "error_message"}
    assert sb.rutter.jobs == {} and sb.rutter.idempotency == {}
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
        assert response.status == 200  # the third create is back to normal


async def test_custom_error_code_and_message(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    await _control(
        client,
        sb,
        "faults/create",
        {"fault": "server_error", "error_code": "UPSTREAM", "error_message": "boom"},
    )
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers()) as response:
        body = await response.json()
    assert (body["error_code"], body["error_message"]) == ("UPSTREAM", "boom")


async def test_accepted_server_error_still_creates_the_invoice(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    await _control(client, sb, "faults/create", {"fault": "server_error", "accept": True})
    body = invoice_body(mode="prefer_sync")
    async with client.post(invoices_url(sb), json=body, headers=headers(key="k")) as response:
        assert response.status == 500
    assert len(sb.rutter.invoices) == 1
    async with client.post(invoices_url(sb), json=body, headers=headers(key="k")) as response:
        assert response.status == 200  # the retry with the same key finds the accepted request
        invoice = (await response.json())["invoice"]
    assert list(sb.rutter.invoices) == [invoice["id"]]


@pytest.mark.parametrize("mode", ["async", "prefer_sync"])
async def test_dropped_connection_after_accepting(
    slow_sb: RunningSandbox, client: aiohttp.ClientSession, mode: str
) -> None:
    await _control(client, slow_sb, "faults/create", {"fault": "drop_connection"})
    body = invoice_body(mode=mode)
    with pytest.raises(aiohttp.ClientConnectionError):  # ServerDisconnectedError: no response at all
        async with client.post(invoices_url(slow_sb), json=body, headers=headers(key="charge-9")) as response:
            await response.read()
    # the create was accepted: its job runs and creates the invoice
    (job_id,) = slow_sb.rutter.jobs
    job = await wait_for_job(client, f"{slow_sb.rutter_api_base}/jobs/{job_id}")
    assert job["status"] == "success"
    assert len(slow_sb.rutter.invoices) == 1
    entry = next(e for e in slow_sb.rutter.requests if e["method"] == "POST")
    assert entry["status"] == "dropped"
    # a retry with the same key gets the accepted request's answer, not a second invoice
    async with client.post(invoices_url(slow_sb), json=body, headers=headers(key="charge-9")) as response:
        assert response.status == 200
        assert response.headers["X-Rutter-Job-ID"] == job_id
        answer = await response.json()
    if mode == "async":
        assert answer["async_response"]["id"] == job_id
    else:
        assert answer["invoice"]["id"] == job["response"]["body"]["invoice"]["id"]
    assert len(slow_sb.rutter.invoices) == 1


async def test_drop_waits_for_an_accepted_create(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    await _control(client, sb, "faults/create", {"fault": "drop_connection"})
    async with client.post(
        invoices_url(sb), json=invoice_body(currency_code="???"), headers=headers()
    ) as response:
        assert response.status == 400  # not accepted: the drop is still queued
    with pytest.raises(aiohttp.ClientConnectionError):
        async with client.post(invoices_url(sb), json=invoice_body(), headers=headers()) as response:
            await response.read()


@pytest.mark.parametrize("mode", ["async", "prefer_sync"])
async def test_next_job_fails_with_a_450_body(
    sb: RunningSandbox, client: aiohttp.ClientSession, mode: str
) -> None:
    await _control(
        client,
        sb,
        "faults/job",
        {
            "error_type": "PLATFORM_ERROR",
            "error_code": "DUPLICATE_DOC",
            "error_message": "Duplicate Document Number",
        },
    )
    async with client.post(invoices_url(sb), json=invoice_body(mode=mode), headers=headers()) as response:
        job_id = response.headers["X-Rutter-Job-ID"]  # accepted
        answer = await response.json()
        status = response.status
    expected = {
        "error_type": "PLATFORM_ERROR",
        "error_code": "DUPLICATE_DOC",
        "error_message": "Duplicate Document Number",
    }
    if mode == "prefer_sync":
        assert (status, answer) == (450, expected)
    job = await wait_for_job(client, f"{sb.rutter_api_base}/jobs/{job_id}")
    assert job["status"] == "failure"
    assert job["response"] == {"http_status": 450, "body": expected}
    assert sb.rutter.invoices == {}
    async with client.post(invoices_url(sb), json=invoice_body(mode=mode), headers=headers()) as response:
        assert response.status == 200  # only the next job failed


async def test_job_latency_can_change_at_run_time(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    config = await _control(client, sb, "config", {"job_latency": 1.0})
    assert config["config"]["job_latency"] == 1.0
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers()) as response:
        url = (await response.json())["async_response"]["response_url"]
    async with client.get(url, headers=headers()) as response:  # one round trip: well within 1 s
        assert (await response.json())["status"] in {"prequeued", "pending"}
    assert (await wait_for_job(client, url))["status"] == "success"


async def _create(client: aiohttp.ClientSession, sb: RunningSandbox, number: str) -> str:
    """An async create; returns its job's URL."""
    async with client.post(
        invoices_url(sb), json=invoice_body(document_number=number), headers=headers()
    ) as response:
        assert response.status == 200, await response.text()
        url: str = (await response.json())["async_response"]["response_url"]
        return url


async def _job(client: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with client.get(url, headers=headers()) as response:
        assert response.status == 200
        job: dict[str, Any] = await response.json()
        return job


async def test_held_jobs_stay_pending_until_released(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    # sb's jobs finish at once (job_latency 0) unless held.
    sb.rutter.hold_jobs()
    first = await _create(client, sb, "INV-HELD-1")
    sb.rutter.queue_job_failure()  # the next job fails, when it ends
    second = await _create(client, sb, "INV-HELD-2")

    assert [(await _job(client, url))["status"] for url in (first, second)] == ["pending", "pending"]
    assert sb.rutter.invoices == {}
    assert [job.status for job in sb.rutter.jobs.values()] == ["pending", "pending"]
    assert all(job.timers == [] for job in sb.rutter.jobs.values())

    assert sb.rutter.release_jobs() == 2

    assert (await _job(client, first))["status"] == "success"
    assert (await _job(client, second))["response"]["http_status"] == 450
    assert [i.document_number for i in sb.rutter.invoices.values()] == ["INV-HELD-1"]
    third = await _create(client, sb, "INV-HELD-3")  # no longer holding: done at once
    assert (await _job(client, third))["status"] == "success"
    assert sb.rutter.release_jobs() == 0


async def test_holding_jobs_over_the_control_api(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    assert await _control(client, sb, "jobs/hold") == {"holding": True}
    url = await _create(client, sb, "INV-HELD-HTTP")
    async with client.get(f"{sb.rutter_url}/_sandbox/config") as response:
        state = await response.json()
    assert (state["holding_jobs"], state["held_jobs"]) == (True, 1)
    async with client.get(f"{sb.rutter_url}/_sandbox/") as response:
        assert "new jobs held: 1 so far" in await response.text()
    assert (await _job(client, url))["status"] == "pending"

    assert await _control(client, sb, "jobs/release") == {"released": 1}

    assert (await _job(client, url))["status"] == "success"
    await _control(client, sb, "jobs/hold")
    await _create(client, sb, "INV-HELD-RESET")
    await _control(client, sb, "reset")  # forgets the held job and stops holding
    assert (sb.rutter.holding_jobs, sb.rutter.held_jobs) == (False, [])
    assert (await _job(client, await _create(client, sb, "INV-AFTER-RESET")))["status"] == "success"


async def test_control_rejects_bad_bodies(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    for path, body in [
        ("faults/create", {"fault": "meteor"}),
        ("faults/create", {"fault": "rate_limit", "count": 0}),
        ("faults/job", {"http_status": 200}),
        ("config", {"job_latency": -1}),
        ("config", {"surprise": 1}),
    ]:
        async with client.post(f"{sb.rutter_url}/_sandbox/{path}", json=body) as response:
            assert response.status == 400, (path, body)
            assert "error" in await response.json()


async def test_request_log_masks_secrets_and_reset_forgets_everything(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
        assert response.status == 200
    async with client.post(
        invoices_url(sb), json=invoice_body(), headers={"X-Rutter-Version": "x"}
    ) as response:
        assert response.status == 401
    async with client.get(f"{sb.rutter_url}/_sandbox/requests") as response:
        log = await response.json()
    text = str(log) + str(sb.rutter.jobs)
    assert TOKEN not in text
    assert CLIENT_SECRET not in text
    assert "Basic " not in text
    first, second = log["requests"]  # newest last; control calls are not logged
    assert first["status"] == 200 and second["status"] == 401
    assert first["query"] == {"access_token": "***"}
    assert first["idempotency_key"] == "k"
    assert first["body"] == invoice_body()
    assert first["job_id"] in sb.rutter.jobs
    async with client.get(f"{sb.rutter_url}/_sandbox/requests?limit=1") as response:
        assert (await response.json())["requests"] == [second]

    async with client.get(f"{sb.rutter_url}/_sandbox/") as response:
        assert response.content_type == "text/html"
        page = await response.text()
    assert "/versioned/accounting/invoices" in page and "Invoices (1)" in page and "Jobs (1)" in page
    async with client.get(f"{sb.rutter_url}/_sandbox/jobs") as response:
        assert len((await response.json())["jobs"]) == 1

    await _control(client, sb, "faults/job", {"count": 3})
    await _control(client, sb, "config", {"job_latency": 5})
    assert (await _control(client, sb, "reset"))["reset"] is True
    async with client.get(f"{sb.rutter_url}/_sandbox/invoices") as response:
        assert await response.json() == {"count": 0, "by_idempotency_key": {}, "invoices": []}
    async with client.get(f"{sb.rutter_url}/_sandbox/config") as response:
        state = await response.json()
    assert state["config"]["job_latency"] == 0
    assert state["job_failures"] == [] and state["create_faults"] == []
    assert sb.rutter.requests == type(sb.rutter.requests)() and sb.rutter.idempotency == {}
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers(key="k")) as response:
        assert response.status == 200  # the key was forgotten too
