"""The email client: sends the invoice PDF (by link) to the one configured recipient.

Sending is not retried: the email service gives no idempotency key, and a timeout after sending
could mean the email went out. A failure is reported to the caller, who records it.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import aiohttp
from yarl import URL

from api.config import Settings

logger = logging.getLogger("api.email")

DEFAULT_TIMEOUT_S = 15.0
MAX_FILENAME_STEM = 100


class EmailSendFailed(Exception):
    """The email service did not accept the message (non-2xx answer or network error)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # None when no HTTP answer came back


ORGANIZATION_PLACEHOLDER = "{organization_id}"


class EmailClient:
    """Posts messages to EMAIL_SERVICE_URL (its `{organization_id}` replaced by the charge's organization)."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self._session = session
        self._url = settings.email_service_url
        self._host = URL(self._url).host
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    def url_for(self, organization_id: str) -> str:
        """The email service URL for one organization."""
        return self._url.replace(ORGANIZATION_PLACEHOLDER, quote(organization_id, safe=""))

    async def send_invoice_email(
        self, *, organization_id: str, to: str, subject: str, text: str, filename: str, pdf_link: str
    ) -> None:
        """Sends one email with the PDF at `pdf_link` attached as `filename`, through the
        organization's URL; raises EmailSendFailed."""
        message = {
            "to": to,
            "subject": subject,
            "text": text,
            "attachments": [{"filename": filename, "path": pdf_link}],
        }
        started = time.perf_counter()
        status: int | None = None
        try:
            async with self._session.post(
                self.url_for(organization_id), json=message, timeout=self._timeout, allow_redirects=False
            ) as response:
                status = response.status
                detail = (await response.text(errors="replace"))[:200] if status >= 300 else ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log(self._host, status, started, error=type(exc).__name__)
            raise EmailSendFailed(f"the email service could not be reached ({type(exc).__name__})") from exc
        _log(self._host, status, started)
        if status >= 300:
            raise EmailSendFailed(
                f"the email service answered HTTP {status}{': ' + detail if detail else ''}", status=status
            )


def build_invoice_email(
    customer_name: str,
    document_number: str | None,
    total_amount: Decimal,
    currency_code: str,
    due_date: date | datetime | None,
    pdf_link: str,
) -> tuple[str, str, str]:
    """The subject, body text and attachment filename of the email for one invoice.

    The subject and text name the customer, the document number, the amount and the due date; the
    filename is `Customer_Name_DOCNUMBER.pdf` with only letters, digits, `.`, `_` and `-`.
    """
    customer = _one_line(customer_name) or "customer"
    number = _one_line(document_number or "") or "(no number)"
    amount = f"{_format_amount(total_amount)} {_one_line(currency_code)}".strip()
    due = _format_date(due_date)
    subject = f"Invoice {number} for {customer}: {amount}, due {due}"
    text = "\n".join(
        [
            f"Hello {customer},",
            "",
            f"Please find attached invoice {number} for {amount}, due {due}.",
            f"The PDF can also be downloaded here: {pdf_link}",
            "",
            "Thank you for your business.",
        ]
    )
    return subject, text, safe_pdf_filename(customer_name, document_number)


def safe_pdf_filename(customer_name: str, document_number: str | None) -> str:
    """`Acme_Corp_INV-1001.pdf`: ASCII letters, digits, `.`, `_` and `-` only, never hidden, ends in .pdf."""
    parts = [_filename_part(customer_name), _filename_part(document_number or "")]
    stem = "_".join(part for part in parts if part)[:MAX_FILENAME_STEM].strip("._-")
    return f"{stem or 'invoice'}.pdf"


def _filename_part(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    part = re.sub(r"[^A-Za-z0-9.-]+", "_", ascii_text)  # slashes, spaces, control chars and the rest
    part = re.sub(r"\.{2,}", ".", part)  # no ".." left to look like a parent directory
    return part.strip("._-")


def _one_line(text: str) -> str:
    """Control characters (CR/LF among them) become spaces, so nothing can add an email header."""
    cleaned = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return " ".join(cleaned.split())


def _format_amount(amount: Decimal) -> str:
    """1750 -> 1,750.00; keeps more than two decimals when the amount has them."""
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{amount:,.{places}f}"


def _format_date(value: date | datetime | None) -> str:
    if value is None:
        return "on receipt"
    day = value.date() if isinstance(value, datetime) else value
    return day.isoformat()


def _log(host: str | None, status: int | None, started: float, *, error: str | None = None) -> None:
    # The URL's path is a per-tenant key of the email service: log its host only.
    extra: dict[str, object] = {
        "host": host,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if error:
        extra["error"] = error
    logger.info("email.send", extra=extra)
