"""The invoice email: at most once per invoice, an explicit resend, and the sweep for unsent ones."""

from __future__ import annotations

import asyncio

import aiohttp

from api.invoices.service import InvoiceService
from prisma import Prisma
from tests.invoices.conftest import CLEAN_CHARGE, RECIPIENT, Harness


async def test_replayed_create_does_not_send_the_email_again(harness: Harness) -> None:
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True}, key="mail-1")
    again = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True}, key="mail-1")

    assert first.status_code == again.status_code == 201
    assert again.json()["email"]["status"] == "SENT"
    assert len(harness.sandbox.email.messages) == 1


async def test_resend_sends_the_email_again(harness: Harness) -> None:
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})
    request_id = created.json()["request_id"]

    response = await harness.client.post(f"/invoices/requests/{request_id}/email")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "SENT", "to": RECIPIENT, "error": None}
    assert len(harness.sandbox.email.messages) == 2


async def test_resend_after_a_failed_email_delivers_it(harness: Harness) -> None:
    harness.sandbox.email.fail(1)
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})
    assert created.json()["email"]["status"] == "FAILED"

    response = await harness.client.post(f"/invoices/requests/{created.json()['request_id']}/email")

    assert response.json()["status"] == "SENT"
    status = await harness.db.fetchval("SELECT email_status FROM acc_uac_invoice")
    assert status == "SENT"


async def test_resend_for_an_unknown_request_is_404(harness: Harness) -> None:
    response = await harness.client.post("/invoices/requests/00000000-0000-4000-8000-000000000000/email")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_sweep_sends_an_email_the_dead_worker_never_started(harness: Harness) -> None:
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": False})
    # As if the request had asked for email and the worker died right after the write-back.
    await harness.db.execute("UPDATE invoice_request SET send_email = true")
    async with aiohttp.ClientSession() as http:  # a live worker may still be about to send it
        assert await _service(harness, http).recover_pending() == 0
    await harness.db.execute("UPDATE invoice_request SET completed_at = now() - interval '1 hour'")

    async with aiohttp.ClientSession() as http:
        assert await _service(harness, http).recover_pending() == 1
        assert await _service(harness, http).recover_pending() == 0

    assert len(harness.sandbox.email.messages) == 1
    assert created.status_code == 201
    assert await harness.db.fetchval("SELECT email_status FROM acc_uac_invoice") == "SENT"


async def test_sweep_never_resends_an_email_that_was_being_sent(harness: Harness) -> None:
    await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})
    await harness.db.execute("UPDATE acc_uac_invoice SET email_status = 'SENDING'")

    async with aiohttp.ClientSession() as http:
        assert await _service(harness, http).recover_pending() == 0

    assert len(harness.sandbox.email.messages) == 1


async def test_a_second_resend_within_the_interval_is_rate_limited(harness: Harness) -> None:
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})
    url = f"/invoices/requests/{created.json()['request_id']}/email"

    first = await harness.client.post(url)
    second = await harness.client.post(url)

    assert first.status_code == 200, first.text
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(second.headers["retry-after"]) <= 60
    assert second.json()["error"]["details"]["request_id"] == created.json()["request_id"]
    assert len(harness.sandbox.email.messages) == 2  # the create's and one resend


async def test_concurrent_resends_send_once(harness: Harness) -> None:
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": False})
    url = f"/invoices/requests/{created.json()['request_id']}/email"

    answers = await asyncio.gather(*(harness.client.post(url) for _ in range(8)))

    assert sorted(answer.status_code for answer in answers) == [200] + [429] * 7
    assert len(harness.sandbox.email.messages) == 1


async def test_a_resend_after_the_interval_is_sent(harness: Harness) -> None:
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": False})
    url = f"/invoices/requests/{created.json()['request_id']}/email"

    assert (await harness.client.post(url)).status_code == 200
    assert (await harness.client.post(url)).status_code == 429
    # The interval passes (the throttle reads the database's clock): the last send is 61 s old.
    await harness.db.execute("UPDATE invoice_email_resend SET last_sent_at = now() - interval '61 seconds'")
    assert (await harness.client.post(url)).status_code == 200
    assert len(harness.sandbox.email.messages) == 2


def _service(harness: Harness, http: aiohttp.ClientSession) -> InvoiceService:
    return InvoiceService.build(Prisma(pool=harness.db), harness.settings, http)
