"""Email delivery of created invoices: at most once after the create, again on request (throttled)."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from decimal import Decimal

from api.config import Settings
from api.email.client import EmailClient, EmailSendFailed, build_invoice_email
from api.errors import ServiceError
from api.invoices import repository as repo
from api.invoices.charge import Charge
from api.invoices.errors import EmailResendTooSoon, RequestInProgress, RequestNotFound
from api.invoices.presenters import status_url
from api.invoices.rules import access_token_for
from api.invoices.schemas import EmailOutcome
from api.invoices.stored import RequestRow, StoredInvoiceRow
from api.rutter.client import RutterClient
from api.rutter.errors import RutterError
from prisma import Prisma, enums

logger = logging.getLogger("api.invoices")


def _first_amount(*amounts: Decimal | None) -> Decimal:
    return next((amount for amount in amounts if amount is not None), Decimal("0"))


class EmailDelivery:
    """Sends a stored invoice's PDF link to the one recipient; records the outcome on the invoice."""

    def __init__(self, db: Prisma, settings: Settings, rutter: RutterClient, email: EmailClient) -> None:
        self.db = db
        self.settings = settings
        self.rutter = rutter
        self.email = email

    async def send(
        self, invoice: StoredInvoiceRow, charge: Charge, *, resend: bool = False
    ) -> tuple[StoredInvoiceRow, str | None]:
        """Emails the stored invoice's PDF link; at most once unless `resend`. Returns the invoice
        row as it is now and the error, if any: a failure is recorded, never raised."""
        invoice_id = invoice.id
        if not await repo.claim_email(self.db, invoice_id, resend=resend):
            return invoice, None
        pdf_link: str | None = None
        try:
            pdf_link = await self.rutter.get_pdf_link(
                invoice.provider_entity_id or "", access_token=access_token_for(charge, self.settings)
            )
            customer_name = (charge.uac_customer.customer_name if charge.uac_customer else None) or (
                charge.customer.customer_name if charge.customer else None
            )
            subject, text, filename = build_invoice_email(
                customer_name=customer_name or "Customer",
                document_number=invoice.document_number or charge.uac_invoice.document_number or "",
                total_amount=_first_amount(invoice.total_amount, charge.uac_invoice.total_amount),
                currency_code=invoice.currency_code or charge.uac_invoice.currency_code or "",
                due_date=invoice.due_date,
                pdf_link=pdf_link,
            )
            await self.email.send_invoice_email(
                organization_id=charge.uac_invoice.organization_id,
                to=self.settings.recipient_email,
                subject=subject,
                text=text,
                filename=filename,
                pdf_link=pdf_link,
            )
        except (RutterError, EmailSendFailed, ServiceError) as exc:
            logger.warning(
                "invoice_email_failed", extra={"acc_uac_invoice_id": invoice_id, "error": str(exc)}
            )
            failed = await repo.set_email_outcome(self.db, invoice_id, "FAILED_TO_SEND", pdf_link)
            return failed, str(exc)
        return await repo.set_email_outcome(self.db, invoice_id, "SENT", pdf_link), None

    async def resend(
        self, request: RequestRow, load_charge: Callable[[str], Awaitable[Charge]]
    ) -> EmailOutcome:
        """POST /invoices/requests/{id}/email: the invoice's email again, whatever was sent before,
        at most once per EMAIL_RESEND_INTERVAL_S per request."""
        if request.status == enums.invoice_request_status.PENDING:
            raise RequestInProgress(
                "The invoice of this request is not created yet.",
                {"request_id": request.id, "status_url": status_url(request.id)},
            )
        if request.status != enums.invoice_request_status.COMPLETED:
            raise RequestNotFound(
                "This request failed; it has no invoice to email.", {"request_id": request.id}
            )
        charge = await load_charge(request.charge_id)
        invoice_id = request.acc_uac_invoice_id
        stored = await repo.load_invoice(self.db, invoice_id) if invoice_id else None
        if stored is None:  # its acc_uac_invoice row was deleted by someone else since
            raise RequestNotFound(
                "The stored invoice of this request was deleted; there is nothing to email.",
                {"request_id": request.id, "rutter_invoice_id": request.rutter_invoice_id},
            )
        interval_s = self.settings.email_resend_interval_s
        if interval_s > 0:
            wait_s = await repo.claim_email_resend(self.db, request.id, interval_s)
            if wait_s is not None:
                retry_after = max(math.ceil(wait_s), 1)
                raise EmailResendTooSoon(
                    f"The invoice email of this request was sent again less than {interval_s:g} s ago.",
                    {"retry_after_s": retry_after, "email_resend_interval_s": interval_s},
                    headers={"Retry-After": str(retry_after)},
                )
        _, error = await self.send(stored[0], charge, resend=True)
        to = self.settings.recipient_email
        if error:
            return EmailOutcome(status="FAILED", to=to, error=error)
        return EmailOutcome(status="SENT", to=to)
