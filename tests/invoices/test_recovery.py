"""Recovery points: a request interrupted at any step is finished, never duplicated.

Each test leaves the database as a crash at one step would (the lease expired, the worker gone)
and checks that a retry, the status URL or the start-up sweep finishes the same request with one
invoice in Rutter."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import aiohttp
import pytest

from api.invoices.service import RUTTER_KEY_NAMESPACE, InvoiceService
from prisma import Prisma
from tests.invoices.conftest import CLEAN_CHARGE, ORG_ID, Harness


async def _abandoned_request(
    harness: Harness, *, job_id: str | None = None
) -> tuple[str, str, dict[str, Any]]:
    """A request row as the service writes it before the create, its lease already expired."""
    preview = await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")
    body = preview.json()["request_body"]
    request_id = str(uuid.uuid4())
    rutter_key = str(uuid.uuid5(RUTTER_KEY_NAMESPACE, request_id))
    await harness.db.execute(
        """
        INSERT INTO invoice_request (id, charge_id, organization_id, active_charge_id, rutter_idempotency_key,
                                     rutter_version, rutter_request_body, rutter_job_id, lease_owner,
                                     lease_expires_at)
        VALUES ($1, $2, $3, $2, $4, '2023-03-14', $5::jsonb, $6, 'dead-worker', now() - interval '1 second')
        """,
        request_id,
        CLEAN_CHARGE,
        ORG_ID,
        rutter_key,
        json.dumps(body),
        job_id,
    )
    return request_id, rutter_key, body


async def _create_directly(harness: Harness, body: dict[str, Any], key: str) -> str:
    """The create the dead worker sent: accepted by Rutter, its answer never recorded."""
    credentials = f"{harness.sandbox.config.client_id}:{harness.sandbox.config.client_secret}"
    authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{harness.sandbox.rutter_url}/versioned/accounting/invoices",
            params={"access_token": "access-sandbox-demo-0001"},
            json=body,
            headers={
                "Authorization": authorization,
                "X-Rutter-Version": "2023-03-14",
                "Idempotency-Key": key,
            },
        ) as response,
    ):
        assert response.status == 200
        job_id: str = (await response.json())["async_response"]["id"]
        return job_id


def _rutter_creates(harness: Harness) -> list[dict[str, Any]]:
    return [r for r in harness.sandbox.rutter.requests if r["method"] == "POST"]


async def test_crash_before_the_create_is_finished_by_a_retry_with_the_stored_rutter_key(
    harness: Harness,
) -> None:
    request_id, rutter_key, _ = await _abandoned_request(harness)

    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert response.status_code == 201, response.text
    assert response.json()["request_id"] == request_id
    assert [r["idempotency_key"] for r in _rutter_creates(harness)] == [rutter_key]
    assert await harness.count("invoice_request") == 1


async def test_crash_after_an_accepted_create_before_the_job_id_is_stored_makes_no_duplicate(
    harness: Harness,
) -> None:
    _, rutter_key, body = await _abandoned_request(harness)
    await _create_directly(harness, body, rutter_key)

    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert response.status_code == 201, response.text
    assert len(harness.sandbox.rutter.invoices) == 1
    assert response.json()["invoice"]["provider_entity_id"] in harness.sandbox.rutter.invoices


async def test_crash_after_the_job_id_is_stored_only_polls(harness: Harness) -> None:
    _, rutter_key, body = await _abandoned_request(harness)
    job_id = await _create_directly(harness, body, rutter_key)
    await harness.db.execute("UPDATE invoice_request SET rutter_job_id = $1", job_id)

    request_id = await harness.db.fetchval("SELECT id FROM invoice_request")
    status = await harness.client.get(f"/invoices/requests/{request_id}")

    assert status.status_code == 200
    assert status.json()["status"] == "COMPLETED", status.text
    assert len(_rutter_creates(harness)) == 1  # only the dead worker's create
    assert await harness.count("acc_uac_invoice") == 1


async def test_start_up_sweep_finishes_abandoned_requests(harness: Harness) -> None:
    _, rutter_key, body = await _abandoned_request(harness)
    job_id = await _create_directly(harness, body, rutter_key)
    await harness.db.execute("UPDATE invoice_request SET rutter_job_id = $1", job_id)

    async with aiohttp.ClientSession() as http:
        service = InvoiceService.build(Prisma(pool=harness.db), harness.settings, http)
        assert await service.recover_pending() == 1

    assert await harness.count("invoice_request", "status = 'COMPLETED'") == 1
    assert await harness.count("acc_uac_invoice") == 1
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_live_lease_is_respected_by_the_sweep(harness: Harness) -> None:
    await _abandoned_request(harness)
    await harness.db.execute("UPDATE invoice_request SET lease_expires_at = now() + interval '1 minute'")

    async with aiohttp.ClientSession() as http:
        service = InvoiceService.build(Prisma(pool=harness.db), harness.settings, http)
        assert await service.recover_pending() == 0
    assert _rutter_creates(harness) == []


async def test_write_back_and_completion_commit_together(harness: Harness) -> None:
    # A failure inside the write-back transaction leaves neither the invoice nor a completed request.
    await harness.db.execute(
        """
        CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN
            IF NEW.acc_uac_invoice_id IS NOT NULL THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_line BEFORE INSERT ON uac_line_item FOR EACH ROW EXECUTE FUNCTION refuse_line();
        """
    )
    try:
        response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
        assert response.status_code == 500
        assert "disk full" not in response.text
        assert await harness.count("acc_uac_invoice") == 0
        assert await harness.count("invoice_request", "status = 'PENDING'") == 1
    finally:
        await harness.db.execute("DROP TRIGGER refuse_line ON uac_line_item; DROP FUNCTION refuse_line();")

    retry = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert retry.status_code == 201, retry.text
    assert len(harness.sandbox.rutter.invoices) == 1
    assert json.loads(retry.text)["invoice"]["total_amount"] == "1750.00"


@pytest.mark.parametrize("settings_overrides", [{"invoice_lease_s": 0.2, "rutter_job_timeout_s": 5.0}])
async def test_a_live_worker_keeps_its_lease_beyond_the_lease_length(harness: Harness) -> None:
    harness.sandbox.rutter.configure(job_latency=0.8)  # four lease lengths
    post = asyncio.create_task(harness.post_invoice({"charge_id": CLEAN_CHARGE}))
    for _ in range(500):  # until the job id is stored
        if await harness.db.fetchval("SELECT rutter_job_id FROM invoice_request") is not None:
            break
        await asyncio.sleep(0.01)

    stolen = []
    async with aiohttp.ClientSession() as http:
        rival = InvoiceService.build(Prisma(pool=harness.db), harness.settings, http)
        while not post.done():
            stolen.append(await rival.recover_pending())
            await asyncio.sleep(0.05)

    assert (await post).status_code == 201
    assert len(stolen) > 5 and set(stolen) == {0}  # the rival never found the request free
    assert len(_rutter_creates(harness)) == 1


@pytest.mark.parametrize("settings_overrides", [{"rutter_job_timeout_s": 0.2}])
async def test_a_refused_job_poll_never_frees_the_charge_for_a_second_invoice(harness: Harness) -> None:
    harness.sandbox.rutter.configure(job_latency=0.6)
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert first.status_code == 202, first.text
    secret = harness.sandbox.config.client_secret
    harness.sandbox.rutter.configure(client_secret="rotated")  # every poll now answers 401

    status = await harness.client.get(first.headers["location"])
    again = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert status.json()["status"] == "PENDING", status.text
    assert again.status_code == 502, again.text
    assert again.json()["error"]["code"] == "RUTTER_UNAVAILABLE"
    assert await harness.count("invoice_request") == 1

    harness.sandbox.rutter.configure(client_secret=secret)
    for _ in range(50):
        done = (await harness.client.get(first.headers["location"])).json()
        if done["status"] != "PENDING":
            break
    assert done["status"] == "COMPLETED", done
    assert len(harness.sandbox.rutter.invoices) == 1
    assert len(_rutter_creates(harness)) == 1
