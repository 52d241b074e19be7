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

from api.invoices.driver import RequestDriver
from api.invoices.schemas import CreateInvoiceRequest
from api.invoices.service import RUTTER_KEY_NAMESPACE, InvoiceService
from api.invoices.stored import RequestRow
from devkit.client import wait_for
from prisma import Prisma
from tests.invoices.conftest import ADJUSTED_CHARGE, CLEAN_CHARGE, ORG_ID, Harness


async def _abandoned_request(
    harness: Harness, *, job_id: str | None = None, charge_id: str = CLEAN_CHARGE
) -> tuple[str, str, dict[str, Any]]:
    """A request row as the service writes it before the create, its lease already expired."""
    preview = await harness.client.get(f"/charges/{charge_id}/invoice-preview")
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
        charge_id,
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


async def test_one_requests_fault_does_not_stop_the_sweep(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    faulty, _, _ = await _abandoned_request(harness, charge_id=ADJUSTED_CHARGE)
    await _abandoned_request(harness)
    drive = RequestDriver.drive

    async def drive_or_fail(self: RequestDriver, request: RequestRow, *args: Any, **kwargs: Any) -> Any:
        if request.id == faulty:
            raise RuntimeError("a fault of this request alone")
        return await drive(self, request, *args, **kwargs)

    monkeypatch.setattr(RequestDriver, "drive", drive_or_fail)
    async with aiohttp.ClientSession() as http:
        service = InvoiceService.build(Prisma(pool=harness.db), harness.settings, http)
        assert await service.recover_pending() == 2

    completed = "status = 'COMPLETED' AND charge_id = $1"
    assert await harness.count("invoice_request", completed, CLEAN_CHARGE) == 1
    assert await harness.count("invoice_request", "status = 'PENDING' AND id = $1", faulty) == 1
    errors = [r for r in caplog.records if r.msg == "invoice_request_recovery_error"]
    assert [getattr(r, "invoice_request_id", None) for r in errors] == [faulty]


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


class ManualHeartbeat:
    """The lease heartbeat's sleep, moved by the test: each pause lasts until `beat()`, which lets
    one renewal through and returns once the heartbeat is asleep again (that renewal has run)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []  # what the heartbeat asked to sleep, in seconds
        self._asleep = asyncio.Event()
        self._wake: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self._asleep.set()
        await self._wake.get()

    async def beat(self) -> None:
        async with asyncio.timeout(DEADLINE_S):
            await self._asleep.wait()
            self._asleep.clear()
            self._wake.put_nowait(None)
            await self._asleep.wait()


# Bounds a wait for something that must happen (never a measure of how fast it happens).
DEADLINE_S = 30.0
# The live worker's own deadline on the (held) job is far away; no sweep of the app competes.
LEASE_TEST_SETTINGS = {"rutter_job_timeout_s": 120.0, "recovery_interval_s": 0}


async def _job_id_stored(harness: Harness) -> str:
    async def stored() -> str | None:
        job_id: str | None = await harness.db.fetchval("SELECT rutter_job_id FROM invoice_request")
        return job_id

    return await wait_for(stored, timeout_s=DEADLINE_S, what="the request's job id stored")


async def _expire_lease(harness: Harness) -> None:
    """The lease runs out, on the database's clock (as if the heartbeat had missed its beats)."""
    await harness.db.execute("UPDATE invoice_request SET lease_expires_at = now() - interval '1 second'")


async def _lease(harness: Harness) -> tuple[str, bool]:
    row = await harness.db.fetchrow(
        "SELECT lease_owner, lease_expires_at > now() AS live FROM invoice_request"
    )
    assert row is not None
    return row["lease_owner"], row["live"]


@pytest.mark.parametrize("settings_overrides", [LEASE_TEST_SETTINGS])
async def test_a_live_worker_keeps_its_lease_beyond_the_lease_length(harness: Harness) -> None:
    harness.sandbox.rutter.hold_jobs()  # the job runs until the test says otherwise
    heartbeat = ManualHeartbeat()
    async with aiohttp.ClientSession() as http:
        db = Prisma(pool=harness.db)
        worker = InvoiceService.build(db, harness.settings, http, heartbeat_sleep=heartbeat.sleep)
        rival = InvoiceService.build(db, harness.settings, http)
        post = asyncio.create_task(worker.create(CreateInvoiceRequest(charge_id=CLEAN_CHARGE), None))
        await _job_id_stored(harness)

        for _ in range(3):  # each time the lease would have run out, a beat renews it
            await _expire_lease(harness)
            assert await _lease(harness) == (worker.driver.worker_id, False)
            await heartbeat.beat()
            assert await _lease(harness) == (worker.driver.worker_id, True)
            assert await rival.recover_pending() == 0  # the rival finds nothing to take over

        assert not post.done()
        assert harness.sandbox.rutter.release_jobs() == 1
        answer = await post

    assert answer.status_code == 201
    assert heartbeat.pauses[:4] == [harness.settings.invoice_lease_s / 3] * 4
    assert len(_rutter_creates(harness)) == 1
    assert len(harness.sandbox.rutter.invoices) == 1
    assert await harness.count("invoice_request", "status = 'COMPLETED'") == 1


@pytest.mark.parametrize("settings_overrides", [LEASE_TEST_SETTINGS])
async def test_a_worker_whose_heartbeat_stops_is_taken_over_without_a_second_invoice(
    harness: Harness,
) -> None:
    harness.sandbox.rutter.hold_jobs()
    heartbeat = ManualHeartbeat()
    async with aiohttp.ClientSession() as http:
        db = Prisma(pool=harness.db)
        stalled = InvoiceService.build(db, harness.settings, http, heartbeat_sleep=heartbeat.sleep)
        rival = InvoiceService.build(db, harness.settings, http)
        post = asyncio.create_task(stalled.create(CreateInvoiceRequest(charge_id=CLEAN_CHARGE), None))
        await _job_id_stored(harness)

        await _expire_lease(harness)  # and no beat: the worker looks dead
        sweep = asyncio.create_task(rival.recover_pending())

        async def taken_over() -> bool:
            return await _lease(harness) == (rival.driver.worker_id, True)

        await wait_for(taken_over, timeout_s=DEADLINE_S, what="the rival's lease")
        await heartbeat.beat()  # the stalled worker's late renewal does not take the lease back
        assert await _lease(harness) == (rival.driver.worker_id, True)

        assert harness.sandbox.rutter.release_jobs() == 1
        async with asyncio.timeout(DEADLINE_S):
            driven, answer = await asyncio.gather(sweep, post)

    assert driven == 1
    assert answer.status_code == 201
    assert len(_rutter_creates(harness)) == 1  # the rival only polled the stored job
    assert len(harness.sandbox.rutter.invoices) == 1
    assert await harness.count("acc_uac_invoice") == 1
    assert await harness.count("invoice_request", "status = 'COMPLETED'") == 1


@pytest.mark.parametrize("settings_overrides", [{"rutter_job_timeout_s": 0.2}])
async def test_a_refused_job_poll_never_frees_the_charge_for_a_second_invoice(harness: Harness) -> None:
    harness.sandbox.rutter.hold_jobs()  # still running when the 0.2 s job deadline ends the POST
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert first.status_code == 202, first.text
    secret = harness.sandbox.config.client_secret
    harness.sandbox.rutter.configure(client_secret="rotated")  # every poll now answers 401
    harness.sandbox.rutter.release_jobs()  # the job is done, but nobody can read it

    status = await harness.client.get(first.headers["location"])
    again = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert status.json()["status"] == "PENDING", status.text
    assert again.status_code == 502, again.text
    assert again.json()["error"]["code"] == "RUTTER_UNAVAILABLE"
    assert await harness.count("invoice_request") == 1

    harness.sandbox.rutter.configure(client_secret=secret)
    done = (await harness.client.get(first.headers["location"])).json()
    assert done["status"] == "COMPLETED", done
    assert len(harness.sandbox.rutter.invoices) == 1
    assert len(_rutter_creates(harness)) == 1
