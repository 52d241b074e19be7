"""Creating invoices: async jobs, prefer_sync, the per-version invoice shapes, GET by id, validation."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest

from sandbox import RunningSandbox
from tests.sandbox.conftest import OTHER_TOKEN, headers, invoice_body, invoices_url, wait_for_job

ITEM_9 = "3f6b1c2a-0009-4e5f-9a6b-7c8d9e0f1a29"

INVOICE_KEYS_2023 = {
    "id", "platform_id", "account_id", "customer_id", "subsidiary_id", "due_date", "issue_date", "status",
    "currency_code", "document_number", "memo", "amount_due", "sub_total", "tax_amount", "total_amount",
    "total_discount", "linked_payments", "line_items", "created_at", "updated_at",
}  # fmt: skip
INVOICE_KEYS_2024 = {
    "id", "platform_id", "account_id", "class_id", "customer_id", "payment_terms_id", "subsidiary_id",
    "due_date", "issue_date", "status", "amount_due", "currency_code", "discount_amount", "document_number",
    "memo", "sub_total", "tax_amount", "total_amount", "linked_payments", "addresses", "line_items",
    "additional_fields", "created_at", "updated_at", "last_synced_at", "platform_url",
}  # fmt: skip


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


async def _create(
    client: aiohttp.ClientSession, sb: RunningSandbox, version: str, body: dict[str, Any], **kw: str
) -> tuple[int, dict[str, Any], Any]:
    async with client.post(invoices_url(sb), json=body, headers=headers(version, **kw)) as response:
        return response.status, await response.json(), response.headers


async def test_async_create_gives_a_pending_job_that_succeeds_2023(
    slow_sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    body = invoice_body("2023-03-14")
    slow_sb.rutter.hold_jobs()  # still running at the early look, however slow the machine
    status, answer, response_headers = await _create(client, slow_sb, "2023-03-14", body, key="key-2023")
    assert status == 200
    job_id = answer["async_response"]["id"]
    assert answer == {
        "async_response": {
            "id": job_id,
            "response_url": f"{slow_sb.rutter_api_base}/jobs/{job_id}",
            "status": "pending",
        }
    }
    assert response_headers["X-Rutter-Job-ID"] == job_id
    assert response_headers["X-Rutter-Request-ID"]

    async with client.get(
        answer["async_response"]["response_url"], headers=headers("2023-03-14")
    ) as response:
        early = await response.json()
    assert early["status"] in {"prequeued", "pending"}
    assert "response" not in early
    assert early["request"]["method"] == "POST"
    assert early["request"]["url"].endswith("/versioned/accounting/invoices?access_token=***")
    assert early["request"]["body"] == body
    assert early["request"]["idempotency_key"] == "key-2023"
    assert slow_sb.rutter.invoices == {}  # created when the job finishes

    assert slow_sb.rutter.release_jobs() == 1
    job = await wait_for_job(client, answer["async_response"]["response_url"], "2023-03-14")
    assert job["status"] == "success"
    assert job["response"]["http_status"] == 200
    invoice = job["response"]["body"]["invoice"]
    assert set(invoice) == INVOICE_KEYS_2023
    assert _is_uuid(invoice["id"])
    assert invoice["platform_id"]
    assert invoice["customer_id"] == body["invoice"]["customer_id"]
    assert invoice["status"] == "open"
    assert invoice["currency_code"] == "USD"
    assert invoice["document_number"] == "INV-1001"
    assert invoice["memo"] == "Charge ch_123"
    assert (invoice["issue_date"], invoice["due_date"]) == (
        "2024-05-01T00:00:00.000Z",
        "2024-05-31T00:00:00.000Z",
    )
    # 2023-03-14: amounts are strings
    assert invoice["sub_total"] == "17.34"
    assert invoice["tax_amount"] == "0"
    assert invoice["total_amount"] == "17.34"
    assert invoice["amount_due"] == "17.34"
    assert invoice["total_discount"] == "0"
    assert invoice["linked_payments"] == []
    first, second = invoice["line_items"]
    assert _is_uuid(first["id"])
    assert first["amount"] == "12.34"
    assert first["unit_amount"] == "6.17"
    assert first["quantity"] == 2
    assert first["item_id"] == "3f6b1c2a-0001-4e5f-9a6b-7c8d9e0f1a21"
    assert second["amount"] == "5"
    assert second["quantity"] == 1
    assert list(slow_sb.rutter.invoices) == [invoice["id"]]


async def test_async_create_succeeds_with_numbers_2024(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    body = invoice_body(
        "2024-08-31",
        line_items=[
            {"total_amount": 10.5, "description": "Minutes", "additional_fields": {"tax_amount": 1.05}},
            {"total_amount": 2, "item": {"id": ITEM_9, "quantity": 4}},
        ],
        additional_fields={
            "billing_email": "ap@example.com",
            "addresses": [{"type": "billing", "address1": "1 Main St", "city": "SF", "country": "US"}],
        },
    )
    status, answer, _ = await _create(client, sb, "2024-08-31", body)
    assert status == 200
    job = await wait_for_job(client, answer["async_response"]["response_url"])
    invoice = job["response"]["body"]["invoice"]
    assert set(invoice) == INVOICE_KEYS_2024
    assert invoice["sub_total"] == 12.5
    assert invoice["tax_amount"] == 1.05
    assert invoice["total_amount"] == 13.55
    assert invoice["amount_due"] == 13.55
    assert invoice["discount_amount"] == 0
    assert invoice["status"] == "open"
    assert invoice["last_synced_at"]
    assert invoice["linked_payments"] == []
    assert invoice["addresses"][0]["type"] == "billing"
    assert invoice["addresses"][0]["address3"] is None
    first, second = invoice["line_items"]
    assert "id" not in first
    assert first["item"] is None
    assert first["total_amount"] == 11.55
    assert first["sub_total"] == 10.5
    assert second["item"] == {"id": ITEM_9, "quantity": 4, "unit_amount": 0.5}


async def test_prefer_sync_is_the_default_and_answers_the_invoice(
    slow_sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    status, answer, response_headers = await _create(client, slow_sb, "2024-08-31", invoice_body(mode=None))
    assert status == 200
    assert set(answer) == {"invoice"}
    assert answer["invoice"]["total_amount"] == 17.34
    assert response_headers["X-Rutter-Job-ID"] in slow_sb.rutter.jobs
    assert slow_sb.rutter.jobs[response_headers["X-Rutter-Job-ID"]].status == "success"

    status, answer, _ = await _create(
        client, slow_sb, "2023-03-14", invoice_body("2023-03-14", mode="prefer_sync")
    )
    assert answer["invoice"]["total_amount"] == "17.34"


async def test_response_mode_may_come_from_the_query(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    url = invoices_url(sb) + "&response_mode=async"
    async with client.post(url, json=invoice_body(mode=None), headers=headers()) as response:
        assert "async_response" in await response.json()


async def test_prefer_sync_answers_async_when_the_job_takes_too_long(
    slow_sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    slow_sb.rutter.configure(prefer_sync_timeout=0.01)
    _, answer, _ = await _create(client, slow_sb, "2024-08-31", invoice_body(mode="prefer_sync"))
    assert answer["async_response"]["status"] == "pending"
    job = await wait_for_job(client, answer["async_response"]["response_url"])
    assert job["status"] == "success"


@pytest.mark.parametrize("version", ["2023-03-14", "2024-08-31"])
async def test_get_invoice_by_id_with_connection(
    sb: RunningSandbox, client: aiohttp.ClientSession, version: str
) -> None:
    _, created, _ = await _create(client, sb, version, invoice_body(version, mode="prefer_sync"))
    invoice_id = created["invoice"]["id"]
    async with client.get(invoices_url(sb, suffix=f"/{invoice_id}"), headers=headers(version)) as response:
        assert response.status == 200
        fetched = await response.json()
    assert fetched["invoice"] == created["invoice"]
    connection = fetched["connection"]
    assert set(connection) == {"id", "orgId", "platform"}
    assert _is_uuid(connection["id"]) and _is_uuid(connection["orgId"])
    assert connection["platform"] == "QUICKBOOKS"

    # rendered in the version of the GET, whatever the version of the create
    other = "2024-08-31" if version == "2023-03-14" else "2023-03-14"
    async with client.get(invoices_url(sb, suffix=f"/{invoice_id}"), headers=headers(other)) as response:
        amount = (await response.json())["invoice"]["total_amount"]
    assert amount == (17.34 if other == "2024-08-31" else "17.34")

    platform_id = created["invoice"]["platform_id"]
    url = invoices_url(sb, suffix=f"/{platform_id}") + "&id_type=platform"
    async with client.get(url, headers=headers(version)) as response:
        assert (await response.json())["invoice"]["id"] == invoice_id

    async with client.get(invoices_url(sb), headers=headers(version)) as response:
        listed = await response.json()
    assert [item["id"] for item in listed["invoices"]] == [invoice_id]
    assert listed["next_cursor"] is None


async def test_unknown_invoice_and_job_are_404(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    _, created, _ = await _create(client, sb, "2024-08-31", invoice_body(mode="prefer_sync"))
    for url in (
        invoices_url(sb, suffix=f"/{uuid.uuid4()}"),
        invoices_url(sb, OTHER_TOKEN, f"/{created['invoice']['id']}"),  # another connection's invoice
        f"{sb.rutter_api_base}/jobs/{uuid.uuid4()}",
    ):
        async with client.get(url, headers=headers()) as response:
            assert response.status == 404, url
            assert (await response.json())["error_code"] == "NOT_FOUND"
    sb.rutter.configure(not_found_status=410)
    async with client.get(invoices_url(sb, suffix=f"/{uuid.uuid4()}"), headers=headers()) as response:
        assert response.status == 410


@pytest.mark.parametrize(
    ("version", "change", "field"),
    [
        ("2023-03-14", {"due_date": None}, "due_date"),
        ("2023-03-14", {"line_items": [{"total_amount": 1}]}, "invoice.line_items[0].item"),
        ("2024-08-31", {"customer_id": 42}, "invoice.customer_id"),
        ("2024-08-31", {"line_items": [{"description": "x"}]}, "invoice.line_items[0].total_amount"),
        ("2024-08-31", {"line_items": [{"total_amount": "12.34"}]}, "invoice.line_items[0].total_amount"),
        ("2024-08-31", {"currency_code": "usd"}, "invoice.currency_code"),
        ("2024-08-31", {"status": "paid"}, "invoice.status"),
        ("2024-08-31", {"line_items": [{"total_amount": 1, "discount_amount": -1}]}, "discount_amount"),
        ("2024-08-31", {"additional_fields": {"billing_mail": "x@example.com"}}, "billing_mail"),
        ("2024-08-31", {"line_items": [{"total_amount": 1, "item": {"sku": "x"}}]}, "item.sku"),
        # 2024-08-31 declares customer_id and item.id as uuid strings (2023-03-14 does not).
        (
            "2024-08-31",
            {"customer_id": "rutter-customer-1"},
            "invoice.customer_id: 'rutter-customer-1' is not a valid uuid",
        ),
        (
            "2024-08-31",
            {"line_items": [{"total_amount": 1, "item": {"id": "item-9"}}]},
            "item.id: 'item-9' is not a valid uuid",
        ),
    ],
)
async def test_invalid_bodies_are_400_naming_the_field(
    sb: RunningSandbox, client: aiohttp.ClientSession, version: str, change: dict[str, Any], field: str
) -> None:
    body = invoice_body(version)
    for key, value in change.items():
        if value is None:
            del body["invoice"][key]
        else:
            body["invoice"][key] = value
    status, answer, response_headers = await _create(client, sb, version, body)
    assert status == 400
    assert answer["error_type"] == "INVALID_INPUT"
    assert answer["error_code"] == "INVALID_REQUEST_BODY"
    assert field in answer["error_message"]
    assert "X-Rutter-Job-ID" not in response_headers
    assert sb.rutter.jobs == {}


async def test_2024_does_not_require_due_date_or_item(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    body = invoice_body("2024-08-31", line_items=[{"total_amount": 3}])
    del body["invoice"]["due_date"]
    status, _, _ = await _create(client, sb, "2024-08-31", body)
    assert status == 200


async def test_bad_json_and_bad_response_mode_are_400(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    async with client.post(invoices_url(sb), data=b"{not json", headers=headers()) as response:
        assert response.status == 400
        assert (await response.json())["error_code"] == "INVALID_REQUEST_BODY"
    status, answer, _ = await _create(client, sb, "2024-08-31", invoice_body(mode="later"))
    assert status == 400
    assert "response_mode" in answer["error_message"]


async def test_unknown_top_level_invoice_keys_are_accepted_with_a_warning(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    body = invoice_body("2023-03-14", account_id="ar-account-1")
    status, answer, response_headers = await _create(client, sb, "2023-03-14", body)
    assert status == 200
    assert "invoice.account_id" in response_headers["X-Sandbox-Warnings"]
    job = await wait_for_job(client, answer["async_response"]["response_url"], "2023-03-14")
    assert job["response"]["body"]["invoice"]["account_id"] == "ar-account-1"
    post = next(entry for entry in sb.rutter.requests if entry["method"] == "POST")
    assert post["warnings"] == ["unknown key 'invoice.account_id' ignored"]
