"""The email sink: store, validate, fail on demand, show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox import RunningSandbox
from tests.sandbox.conftest import headers, invoice_body, invoices_url


def _email(**changes: Any) -> dict[str, Any]:
    return {
        "to": "billing@customer.example",
        "subject": "Invoice INV-1001",
        "text": "Please find your invoice attached.",
        "attachments": [{"filename": "INV-1001.pdf", "path": "/nonexistent/INV-1001.pdf"}],
        **changes,
    }


@pytest.mark.parametrize("path", ["/send", "/sendMessage/abc", "/sendMessage/a/b"])
async def test_messages_are_stored_and_listed(
    sb: RunningSandbox, client: aiohttp.ClientSession, path: str
) -> None:
    async with client.post(sb.email_url + path, json=_email()) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["ok"] is True
    async with client.get(f"{sb.email_url}/messages") as response:
        listed = await response.json()
    assert listed["count"] == 1
    (message,) = listed["messages"]
    assert message["id"] == answer["id"]
    assert message["endpoint"] == path
    assert (message["to"], message["subject"]) == ("billing@customer.example", "Invoice INV-1001")
    assert message["attachments"][0]["filename"] == "INV-1001.pdf"
    assert message["attachments"][0]["fetched"]["ok"] is False  # no such file here
    assert sb.email.messages == listed["messages"]


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "no recipient"},
        _email(to=""),
        _email(to=[]),
        _email(to="not-an-address"),
        _email(subject=""),
        {k: v for k, v in _email().items() if k != "subject"},
        _email(attachments={"filename": "x.pdf"}),
        _email(attachments=[{"filename": "x.pdf"}]),
        _email(text=5),
        ["not", "an", "object"],
    ],
)
async def test_invalid_sends_are_400_and_not_stored(
    sb: RunningSandbox, client: aiohttp.ClientSession, body: Any
) -> None:
    async with client.post(f"{sb.email_url}/send", json=body) as response:
        assert response.status == 400
        answer = await response.json()
    assert answer["ok"] is False and answer["error"]
    assert sb.email.messages == []


async def test_fail_next_n_then_always_then_reset(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    async with client.post(f"{sb.email_url}/_sink/fail", json={"count": 2}) as response:
        assert (await response.json())["fail_next"] == 2
    statuses = []
    for _ in range(3):
        async with client.post(f"{sb.email_url}/send", json=_email()) as response:
            statuses.append(response.status)
    assert statuses == [500, 500, 200]

    async with client.post(f"{sb.email_url}/_sink/fail", json={"always": True, "status": 503}) as response:
        assert response.status == 200
    for _ in range(2):
        async with client.post(f"{sb.email_url}/sendMessage/x", json=_email()) as response:
            assert response.status == 503
    async with client.post(f"{sb.email_url}/_sink/fail", json={"always": False}) as response:
        assert response.status == 200
    async with client.post(f"{sb.email_url}/send", json=_email()) as response:
        assert response.status == 200

    async with client.get(f"{sb.email_url}/messages") as response:
        listed = await response.json()
    assert (listed["count"], listed["failed_attempts"]) == (2, 4)
    async with client.get(f"{sb.email_url}/") as response:
        assert "Invoice INV-1001" in await response.text()
    async with client.post(f"{sb.email_url}/_sink/reset") as response:
        assert response.status == 200
    assert sb.email.messages == [] and sb.email.failed_attempts == 0


async def test_recipient_filter_and_list_recipients(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    for to in ("a@example.com", ["b@example.com", "c@example.com"]):
        async with client.post(f"{sb.email_url}/send", json=_email(to=to)) as response:
            assert response.status == 200
    async with client.get(f"{sb.email_url}/messages", params={"to": "c@example.com"}) as response:
        listed = await response.json()
    assert [m["to"] for m in listed["messages"]] == [["b@example.com", "c@example.com"]]


async def test_attachments_are_fetched_from_the_rutter_pdf_link_and_local_files(
    sb: RunningSandbox, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    async with client.post(
        invoices_url(sb), json=invoice_body(mode="prefer_sync"), headers=headers()
    ) as response:
        invoice_id = (await response.json())["invoice"]["id"]
    async with client.get(invoices_url(sb, suffix=f"/{invoice_id}/pdf"), headers=headers()) as response:
        link = (await response.json())["invoice"]["pdf_link"]
    local = tmp_path / "copy.pdf"
    local.write_bytes(b"%PDF-1.4 tiny")
    attachments = [
        {"filename": "INV-1001.pdf", "path": link},
        {"filename": "copy.pdf", "path": str(local)},
        {"filename": "missing.pdf", "path": f"{sb.rutter_url}/files/invoices/nope.pdf"},
    ]
    async with client.post(f"{sb.email_url}/send", json=_email(attachments=attachments)) as response:
        assert response.status == 200
    fetched = [a["fetched"] for a in sb.email.messages[0]["attachments"]]
    assert fetched[0]["ok"] and fetched[0]["is_pdf"] and fetched[0]["status"] == 200
    assert fetched[0]["content_type"] == "application/pdf"
    assert fetched[1]["ok"] and fetched[1]["is_pdf"] and fetched[1]["size"] == 13
    assert not fetched[2]["ok"] and fetched[2]["status"] == 404
