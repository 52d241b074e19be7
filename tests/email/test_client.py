"""EmailClient against a mocked email service, and the invoice email's wording and filename."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses

from api.config import Settings
from api.email import EmailClient, EmailSendFailed, build_invoice_email, safe_pdf_filename
from devkit.demo import ORGANIZATION_ID
from tests.rutter.http_mock import mock_http, requests_to

ORG_ID = ORGANIZATION_ID
EMAIL_URL_TEMPLATE = "https://mail.test/sendMessage/{organization_id}"
EMAIL_URL = f"https://mail.test/sendMessage/{ORG_ID}"
PDF_LINK = "https://files.example/invoices/inv-1.pdf"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with mock_http() as mock:
        yield mock


@pytest.fixture
def email_client(session: aiohttp.ClientSession) -> EmailClient:
    return EmailClient(session, Settings(_env_file=None, email_service_url=EMAIL_URL_TEMPLATE))


async def send(email_client: EmailClient, organization_id: str = ORG_ID) -> None:
    await email_client.send_invoice_email(
        organization_id=organization_id,
        to="billing@example.com",
        subject="Invoice INV-1001",
        text="Please find attached…",
        filename="Acme_Corp_INV-1001.pdf",
        pdf_link=PDF_LINK,
    )


async def test_invoice_email_is_posted_with_the_pdf_link_as_attachment(
    email_client: EmailClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="api.email")
    mocked.post(EMAIL_URL, payload={"ok": True})

    await send(email_client)

    [call] = requests_to(mocked, "POST", f"/sendMessage/{ORG_ID}")
    assert call.kwargs["json"] == {
        "to": "billing@example.com",
        "subject": "Invoice INV-1001",
        "text": "Please find attached…",
        "attachments": [{"filename": "Acme_Corp_INV-1001.pdf", "path": PDF_LINK}],
    }
    [record] = [record for record in caplog.records if record.name == "api.email"]
    assert record.status == 200  # type: ignore[attr-defined]
    assert ORG_ID[:8] not in repr(record.__dict__)


async def test_each_organization_gets_its_own_url_and_a_url_without_placeholder_is_kept(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    other = "5a0e4b7c-0000-4000-8000-000000000002"
    mocked.post(EMAIL_URL, payload={"ok": True})
    mocked.post(f"https://mail.test/sendMessage/{other}", payload={"ok": True})
    mocked.post("https://mail.test/fixed", payload={"ok": True})
    templated = EmailClient(session, Settings(_env_file=None, email_service_url=EMAIL_URL_TEMPLATE))
    fixed = EmailClient(session, Settings(_env_file=None, email_service_url="https://mail.test/fixed"))

    await send(templated)
    await send(templated, other)
    await send(fixed, other)

    assert len(requests_to(mocked, "POST", f"/sendMessage/{ORG_ID}")) == 1
    assert len(requests_to(mocked, "POST", f"/sendMessage/{other}")) == 1
    assert len(requests_to(mocked, "POST", "/fixed")) == 1
    assert templated.url_for("a/b c") == "https://mail.test/sendMessage/a%2Fb%20c"


def test_default_email_url_is_the_per_organization_template() -> None:
    default = EMAIL_URL_TEMPLATE.replace("https://mail.test", "https://dev.email.streamos.io")
    assert Settings(_env_file=None).email_service_url == default
    assert Settings(_env_file=None, email_service_url=" ").email_service_url == default  # compose's empty


@pytest.mark.parametrize("status", [400, 500, 503])
async def test_email_service_refusal_raises_email_send_failed_with_the_status(
    email_client: EmailClient, mocked: aioresponses, status: int
) -> None:
    mocked.post(EMAIL_URL, status=status, body="mailbox unavailable", content_type="text/plain")

    with pytest.raises(EmailSendFailed) as raised:
        await send(email_client)

    assert raised.value.status == status
    assert "mailbox unavailable" in str(raised.value)


async def test_email_service_unreachable_raises_email_send_failed(
    email_client: EmailClient, mocked: aioresponses
) -> None:
    key = ConnectionKey("mail.test", 443, True, True, None, None, None)
    mocked.post(EMAIL_URL, exception=aiohttp.ClientConnectorError(key, OSError(111, "refused")))

    with pytest.raises(EmailSendFailed) as raised:
        await send(email_client)

    assert raised.value.status is None


async def test_email_send_timeout_raises_email_send_failed_and_is_not_retried(
    email_client: EmailClient, mocked: aioresponses
) -> None:
    mocked.post(EMAIL_URL, exception=TimeoutError(), repeat=True)

    with pytest.raises(EmailSendFailed):
        await send(email_client)

    assert len(requests_to(mocked, "POST", f"/sendMessage/{ORG_ID}")) == 1


def test_invoice_email_names_customer_document_number_amount_and_due_date() -> None:
    subject, text, filename = build_invoice_email(
        "Acme Corp", "INV-1001", Decimal("1750"), "USD", datetime(2024, 5, 31, tzinfo=UTC), PDF_LINK
    )

    for part in ("Acme Corp", "INV-1001", "1,750.00 USD", "2024-05-31"):
        assert part in subject
        assert part in text
    assert PDF_LINK in text
    assert filename == "Acme_Corp_INV-1001.pdf"


def test_invoice_email_keeps_sub_cent_amounts_exact_and_accepts_a_plain_date() -> None:
    subject, _, _ = build_invoice_email("Acme", "INV-1", Decimal("0.125"), "USD", date(2024, 6, 1), PDF_LINK)

    assert "0.125 USD" in subject
    assert "2024-06-01" in subject


def test_subject_stays_on_one_line_whatever_the_customer_name() -> None:
    subject, _, filename = build_invoice_email(
        "Evil\r\nBcc: victim@example.com", "INV-1", Decimal("1"), "USD", None, PDF_LINK
    )

    assert "\r" not in subject and "\n" not in subject
    assert "due on receipt" in subject
    assert filename == "Evil_Bcc_victim_example.com_INV-1.pdf"


@pytest.mark.parametrize(
    ("customer_name", "document_number", "expected"),
    [
        ("Acme Corp", "INV-1001", "Acme_Corp_INV-1001.pdf"),
        ("../../etc/passwd", "INV/1", "etc_passwd_INV_1.pdf"),
        ("C:\\Windows\\System32", "..", "C_Windows_System32.pdf"),
        ("Nul\x00Byte\x1fCo", "INV\t7\n", "Nul_Byte_Co_INV_7.pdf"),
        ("Müller & Söhne GmbH", "RE-2024-01", "Muller_Sohne_GmbH_RE-2024-01.pdf"),
        ("...hidden", None, "hidden.pdf"),
        ("", "", "invoice.pdf"),
        ("東京商事", "", "invoice.pdf"),
    ],
)
def test_attachment_filename_is_safe(customer_name: str, document_number: str | None, expected: str) -> None:
    filename = safe_pdf_filename(customer_name, document_number)

    assert filename == expected
    assert "/" not in filename and "\\" not in filename
    assert all(char.isprintable() for char in filename)
    assert not filename.startswith(".")
    assert filename.endswith(".pdf")


def test_long_names_give_a_bounded_filename() -> None:
    filename = safe_pdf_filename("A" * 500, "INV-1")

    assert len(filename) <= 104
    assert filename.endswith(".pdf")
