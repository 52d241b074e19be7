"""SIGKILL of the service process at each step of the flow, then recovery: one invoice, never two,
never lost. And retry-budget storms (5xx, 429, 452) followed by a successful retry.

Each crash point is reached deterministically by holding the service at that step and watching
observable state (database row, sandbox request log) before the kill:

(a) before the create reached Rutter: the first process points at a closed port, so no create
    can ever arrive; the kill lands once the request row records its create attempt (recovery by
    the restarted service's sweep).
(b) create accepted, job id not stored: the sandbox accepts the create and drops the connection,
    then answers the retry 429 with Retry-After 60; the kill lands while the worker sleeps on it
    (recovery by the client retrying its POST with the same Idempotency-Key).
(c) job id stored, job still running: the sandbox holds the job; the kill lands as soon as the
    row holds the job id, and the job is released after the restart (recovery through the status URL).
(d) job finished, write-back not committed: the job finishes at once but the worker's first
    poll is a minute away; the kill lands once the sandbox holds the invoice and before any poll
    (recovery by the sweep).

Leases: INVOICE_LEASE_S is 0.3 s here (renewed while the worker lives), so the restarted
service (or a client) may take the request over soon after the kill; until then it answers
409 REQUEST_IN_PROGRESS / PENDING.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from devkit.client import Answer
from devkit.processes import free_port
from devkit.service import ServiceProcess
from tests.e2e.conftest import E2E, Charge, Row, error_json

pytestmark = pytest.mark.e2e

# For the process that gets killed: recovery only at start-up, so nothing in it races the test.
# Its lease (0.3 s, renewed while it lives) runs out soon after the kill.
CRASHING = {"rutter_job_timeout_s": 1, "invoice_lease_s": 0.3, "recovery_interval_s": 0}
# For the restarted process: the sweep runs every 0.2 s.
SWEEPING = {"rutter_job_timeout_s": 1, "invoice_lease_s": 0.3, "recovery_interval_s": 0.2}
# For a restarted process recovered by a client (POST again or GET the status URL) only.
CLIENT_DRIVEN = {"rutter_job_timeout_s": 1, "invoice_lease_s": 0.3, "recovery_interval_s": 0}


async def _kill(service: ServiceProcess, post: asyncio.Task[Answer]) -> None:
    """SIGKILL while the POST is in flight: its client sees the connection die, never an answer."""
    assert not post.done()
    await service.kill()
    with pytest.raises(aiohttp.ClientError):
        await post


async def _completed(e2e: E2E, charge: Charge) -> Row:
    return await e2e.request_row(charge, lambda row: row["status"] == "COMPLETED")


async def _post_until_created(e2e: E2E, service: ServiceProcess, charge: Charge, key: str | None) -> Answer:
    """The client retries its POST (409 REQUEST_IN_PROGRESS while the dead worker's lease runs)."""

    async def probe() -> Answer | None:
        answer = await e2e.post(service, charge, key=key)
        if (answer.status, answer.code) == (409, "REQUEST_IN_PROGRESS"):
            return None
        return answer

    return await e2e.until(probe, "a POST that is not REQUEST_IN_PROGRESS")


async def test_a_kill_before_the_create_reached_rutter(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: no create can reach anyone
    service = await e2e.start_service(
        **CRASHING,
        rutter_base_url=nowhere,
        rutter_retry_attempts=1000,
        rutter_retry_budget_s=600,
        rutter_retry_max_wait_s=0.2,
    )
    post = asyncio.create_task(e2e.post(service, charge))
    await e2e.request_row(charge, lambda row: row["attempts"] >= 1)

    await _kill(service, post)

    [before] = await e2e.requests_of(charge)  # as the dead worker left it
    assert before["status"] == "PENDING" and before["rutter_job_id"] is None
    assert await e2e.sandbox.creates() == []
    # The real sandbox now; the sweep takes the request over once the dead worker's lease has run out.
    await service.restart({**SWEEPING, "rutter_base_url": e2e.sandbox.rutter_url})
    after = await _completed(e2e, charge)
    assert after["id"] == before["id"]
    await e2e.assert_invoiced_once(charge)
    creates = await e2e.sandbox.creates(charge.document_number)
    assert [c["idempotency_key"] for c in creates] == [before["rutter_idempotency_key"]]


async def test_b_kill_after_the_create_was_accepted_before_the_job_id_was_stored(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    key = f"client-{uuid.uuid4()}"
    service = await e2e.start_service(**CRASHING, rutter_retry_attempts=5, rutter_retry_budget_s=600)
    await e2e.sandbox.fail_creates("drop_connection")  # accepted (job and invoice made), no answer
    await e2e.sandbox.fail_creates("rate_limit", 1, retry_after=60)  # holds the retry for a minute
    post = asyncio.create_task(e2e.post(service, charge, key=key))

    async def held() -> list[dict[str, Any]] | None:
        creates = await e2e.sandbox.creates()
        return creates if [c["status"] for c in creates] == ["dropped", 429] else None

    await e2e.until(held, "the accepted-then-dropped create and the 429 on its retry")
    first_invoice = await e2e.invoice_made_in_rutter(charge)
    await _kill(service, post)

    [before] = await e2e.requests_of(charge)  # as the dead worker left it
    assert before["rutter_job_id"] is None and before["attempts"] == 1  # it never learnt the job id
    assert len(first_invoice) == 1
    assert await e2e.stored_invoices(charge.document_number) == []
    # The 429 that held the worker also paused the organization's shared budget for a minute, as it
    # must; the test lifts that pause, standing for the minute passing.
    assert await e2e.db.fetchval("SELECT paused_until > now() + interval '50 seconds' FROM rutter_budget")
    await e2e.db.execute("DELETE FROM rutter_budget")
    await service.restart(CLIENT_DRIVEN)
    answer = await _post_until_created(e2e, service, charge, key)  # the client retries with its key

    assert answer.status == 201, error_json(answer)
    assert answer.body["request_id"] == before["id"]
    assert answer.body["invoice"]["provider_entity_id"] == first_invoice[0]["id"]
    await e2e.assert_invoiced_once(charge)
    creates = await e2e.sandbox.creates()
    assert [c["status"] for c in creates] == ["dropped", 429, 200]
    assert {c["idempotency_key"] for c in creates} == {before["rutter_idempotency_key"]}
    replay = await e2e.post(service, charge, key=key)
    assert replay.status == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.body["request_id"] == before["id"]


async def test_c_kill_after_the_job_id_was_stored_job_finishes_after_the_restart(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    service = await e2e.start_service(**CRASHING)
    await e2e.sandbox.hold_jobs()  # the job runs until the restarted service is up
    post = asyncio.create_task(e2e.post(service, charge))
    before = await e2e.request_row(charge, lambda row: row["rutter_job_id"] is not None)

    await _kill(service, post)

    await service.restart(CLIENT_DRIVEN)
    assert await e2e.sandbox.invoices_for(charge.document_number) == []  # the job is still running
    assert await e2e.sandbox.release_jobs() == 1

    async def finished() -> dict[str, Any] | None:
        answer = await e2e.get(service, f"/invoices/requests/{before['id']}")
        assert answer.status == 200, error_json(answer)
        body: dict[str, Any] = answer.body
        return body if body["status"] != "PENDING" else None

    final = await e2e.until(finished, "the status URL to leave PENDING")
    assert final["status"] == "COMPLETED", final
    assert final["rutter_job_id"] == before["rutter_job_id"]
    await e2e.assert_invoiced_once(charge)
    assert len(await e2e.sandbox.creates(charge.document_number)) == 1  # recovery only polled


async def test_d_kill_after_the_job_finished_before_the_write_back(e2e: E2E) -> None:
    charge = await e2e.new_charge()
    # The first poll a minute after the create: the kill lands before it, however slow the machine.
    service = await e2e.start_service(**{**CRASHING, "rutter_job_timeout_s": 120}, rutter_poll_initial_s=60)
    post = asyncio.create_task(e2e.post(service, charge))
    before = await e2e.request_row(charge, lambda row: row["rutter_job_id"] is not None)

    in_rutter = await e2e.invoice_made_in_rutter(charge)
    polls = [
        e for e in await e2e.sandbox.requests() if e["path"] == f"/versioned/jobs/{before['rutter_job_id']}"
    ]
    await _kill(service, post)

    assert polls == []  # the worker had not looked at the job yet: the invoice exists only in Rutter
    assert await e2e.stored_invoices(charge.document_number) == []
    await service.restart({**SWEEPING, "rutter_poll_initial_s": 0.02})
    await _completed(e2e, charge)
    request = await e2e.assert_invoiced_once(charge)
    assert request["id"] == before["id"]
    assert request["rutter_invoice_id"] == in_rutter[0]["id"]
    assert len(await e2e.sandbox.creates(charge.document_number)) == 1


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([("server_error", {"count": 3})], id="500-storm"),
        pytest.param(
            [("server_error", {"accept": True}), ("server_error", {"count": 2})], id="500-after-accept"
        ),
        pytest.param([("rate_limit", {"count": 3, "retry_after": 0})], id="429-storm"),
        pytest.param([("platform_rate_limit", {"count": 3})], id="452-storm"),
    ],
)
async def test_storm_exhausts_the_retry_budget_then_a_retry_makes_one_invoice(
    e2e: E2E, faults: list[tuple[str, dict[str, Any]]]
) -> None:
    charge = await e2e.new_charge()
    # No periodic sweep: it could take the kept request over before the client's retry does (the
    # retry would then be 409 REQUEST_IN_PROGRESS), the sooner the slower the machine.
    service = await e2e.start_service(rutter_retry_attempts=3, recovery_interval_s=0)
    for fault, options in faults:
        await e2e.sandbox.fail_creates(fault, **options)

    answer = await e2e.post(service, charge)

    assert (answer.status, answer.code) == (502, "RUTTER_UNAVAILABLE"), error_json(answer)
    [request] = await e2e.requests_of(charge)
    assert request["status"] == "PENDING" and request["lease_owner"] is None  # kept for a retry
    assert answer.details["request_id"] == request["id"]
    assert await e2e.stored_invoices(charge.document_number) == []
    if any(options.get("accept") for _, options in faults):  # the first create was applied after all
        await e2e.invoice_made_in_rutter(charge)
    else:
        assert await e2e.sandbox.invoices_for(charge.document_number) == []

    retry = await e2e.post(service, charge)

    assert retry.status == 201, error_json(retry)
    assert retry.body["request_id"] == request["id"]
    await e2e.assert_invoiced_once(charge)
    creates = await e2e.sandbox.creates()
    assert len(creates) == 4
    assert {c["idempotency_key"] for c in creates} == {request["rutter_idempotency_key"]}
