"""The invoice endpoints' answers, built from what is stored: the 201 body, a request's status."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from api.config import Settings
from api.errors import ErrorBody, InternalError
from api.invoices import repository as repo
from api.invoices.schemas import EmailOutcome, InvoiceCreated, InvoiceOut, InvoiceRequestStatus, RutterRef
from api.invoices.stored import RequestRow, StoredInvoiceRow, StoredLineRow
from prisma import Prisma, enums


@dataclass
class Answer:
    """What an endpoint answers: status, body and extra headers."""

    status_code: int
    body: BaseModel
    headers: dict[str, str] = field(default_factory=dict)


def status_url(request_id: str) -> str:
    return f"/invoices/requests/{request_id}"


def created_body_from(
    settings: Settings,
    request: RequestRow,
    stored_invoice: StoredInvoiceRow,
    lines: list[StoredLineRow],
    email_error: str | None,
) -> InvoiceCreated:
    """The 201 body of a completed request from its stored invoice and lines."""
    invoice = InvoiceOut.from_rows(stored_invoice, lines)
    return InvoiceCreated(
        request_id=request.id,
        invoice=invoice,
        rutter=RutterRef(job_id=request.rutter_job_id, invoice_id=request.rutter_invoice_id),
        email=email_outcome(settings, request, invoice, email_error),
    )


async def created_body(db: Prisma, settings: Settings, request: RequestRow) -> InvoiceCreated:
    """The 201 body of a completed request, from what is stored."""
    stored = await repo.load_invoice(db, request.acc_uac_invoice_id) if request.acc_uac_invoice_id else None
    if stored is None:  # its acc_uac_invoice row was deleted by someone else since
        raise InternalError(
            "The stored invoice of this request was deleted; the invoice exists in Rutter.",
            {"request_id": request.id, "rutter_invoice_id": request.rutter_invoice_id},
        )
    return created_body_from(settings, request, *stored, None)


def email_outcome(
    settings: Settings, request: RequestRow, invoice: InvoiceOut, error: str | None
) -> EmailOutcome:
    if not request.send_email:
        return EmailOutcome(status="SKIPPED")
    to = settings.recipient_email
    if invoice.email_status == "SENT":
        return EmailOutcome(status="SENT", to=to)
    return EmailOutcome(status="FAILED", to=to, error=error or "the email could not be sent")


async def status_body(db: Prisma, settings: Settings, request: RequestRow) -> InvoiceRequestStatus:
    """GET /invoices/requests/{id}'s body: the request, with its invoice or its error once ended."""
    result = None
    error = None
    if request.status == enums.invoice_request_status.COMPLETED:
        result = await created_body(db, settings, request)
    elif request.status == enums.invoice_request_status.FAILED:
        body = request.response_body or {}
        error = ErrorBody.model_validate(
            body.get("error") or {"code": request.error_code or "FAILED", "message": ""}
        )
    return InvoiceRequestStatus(
        request_id=request.id,
        charge_id=request.charge_id,
        status=request.status.value,
        status_url=status_url(request.id),
        rutter_job_id=request.rutter_job_id,
        created_at=request.created_at,
        updated_at=request.updated_at,
        result=result,
        error=error,
    )
