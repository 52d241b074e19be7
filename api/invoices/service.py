"""The invoice flow: checks, the Rutter create-and-poll with recovery points, write-back, email.

One charge yields at most one invoice: the database holds one live request per charge (a unique
index), the Rutter Idempotency-Key is derived from the request and stored before the first create,
the job id is stored the moment it is known (after that recovery only polls), and the write-back
commits together with the request's completion.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
from pydantic import BaseModel

from api.config import Settings
from api.email.client import EmailClient, EmailSendFailed, build_invoice_email
from api.errors import (
    DATABASE_UNREACHABLE,
    DatabaseUnavailable,
    ErrorBody,
    ErrorResponse,
    InternalError,
    ServiceError,
)
from api.invoices import repository as repo
from api.invoices import sweep
from api.invoices.charge import Charge
from api.invoices.errors import (
    ChargeNotFound,
    DuplicateDocumentNumber,
    EmailResendTooSoon,
    IdempotencyKeyReused,
    InvoiceAlreadyExists,
    RequestInProgress,
    RequestNotFound,
    RutterNotConfiguredError,
    RutterRejectedInvoice,
    RutterUnavailableError,
)
from api.invoices.rules import access_token_for, build_rutter_invoice, validate_charge
from api.invoices.schemas import (
    CreateInvoiceRequest,
    EmailOutcome,
    InvoiceCreated,
    InvoiceOut,
    InvoicePreview,
    RutterRef,
)
from api.invoices.schemas import (
    InvoiceRequestStatus as RequestStatusBody,
)
from api.logging import bind_log_fields
from api.rutter import budget
from api.rutter.client import RutterClient
from api.rutter.errors import RutterError, RutterJobTimeout, RutterRejected
from api.rutter.schemas import RutterInvoice
from prisma import Prisma, enums, models
from prisma.errors import UniqueViolationError

logger = logging.getLogger("api.invoices")

# Rutter idempotency keys are UUIDs derived from our request id, so every retry sends the same one.
RUTTER_KEY_NAMESPACE = uuid.UUID("7d3c8a2e-5b7f-4c1d-9e61-2f0b8a4c9d13")

# Leases this process's workers gave up without being able to release them (the database was
# away): request id -> the owner the database still names. A later call in this process takes such
# a request over at once instead of waiting for the lease to run out.
ABANDONED_LEASES: dict[str, str] = {}


@dataclass
class Answer:
    """What an endpoint answers: status, body and extra headers."""

    status_code: int
    body: BaseModel
    headers: dict[str, str] = field(default_factory=dict)


def status_url(request_id: str) -> str:
    return f"/invoices/requests/{request_id}"


@contextlib.contextmanager
def errors_about(request_id: str) -> Iterator[None]:
    """Every error answered about a recorded request names it and its status URL; the database
    being away or too slow is 503 DATABASE_UNAVAILABLE, anything unexpected 500."""
    about = {"request_id": request_id, "status_url": status_url(request_id)}
    try:
        yield
    except ServiceError as exc:
        for name, value in about.items():
            exc.details.setdefault(name, value)
        raise
    except DATABASE_UNREACHABLE as exc:
        logger.error(
            "database_unavailable", extra={"error": type(exc).__name__, "invoice_request_id": request_id}
        )
        raise DatabaseUnavailable(
            "The database cannot be reached; the request is kept: retry it, or follow its status URL, "
            "once the database is back.",
            about,
        ) from exc
    except Exception as exc:
        logger.exception("unhandled_error", extra={"invoice_request_id": request_id})
        raise InternalError("An unexpected error occurred.", about) from exc


def request_fingerprint(body: CreateInvoiceRequest) -> str:
    """The same request body always gives the same fingerprint (used with Idempotency-Key)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _first_amount(*amounts: Decimal | None) -> Decimal:
    return next((amount for amount in amounts if amount is not None), Decimal("0"))


class InvoiceService:
    """Turns charges into Rutter invoices; holds no state between calls."""

    def __init__(
        self,
        db: Prisma,
        settings: Settings,
        rutter: RutterClient,
        email: EmailClient,
        *,
        organization_id: str | None = None,
    ) -> None:
        self.db = db
        # The one organization the caller may see (its API key's), or None for every organization.
        self.organization_id = organization_id
        self.settings = settings
        self.rutter = rutter
        self.email = email
        self.worker_id = f"worker-{uuid.uuid4()}"

    @classmethod
    def build(
        cls,
        db: Prisma,
        settings: Settings,
        http: aiohttp.ClientSession,
        *,
        organization_id: str | None = None,
    ) -> InvoiceService:
        """The service with its Rutter and email clients on the shared HTTP session, limited to one
        organization's charges and requests when `organization_id` is given."""
        return cls(
            db,
            settings,
            RutterClient(http, settings),
            EmailClient(http, settings),
            organization_id=organization_id,
        )

    def _may_see(self, organization_id: str | None) -> bool:
        return self.organization_id is None or self.organization_id == organization_id

    def _client_key(self, idempotency_key: str) -> str:
        """Idempotency-Keys are per organization for organization keys: one organization can neither
        replay nor block another's."""
        if self.organization_id is None:
            return idempotency_key
        return f"org:{self.organization_id}:{idempotency_key}"

    async def _visible_request(self, request_id: str) -> models.invoice_request:
        """The request, if the caller may see it; another organization's is answered like a missing one."""
        request = await repo.get_request(self.db, request_id)
        if request is None or not self._may_see(request.organization_id):
            raise RequestNotFound(f"No invoice request with id {request_id}.", {"request_id": request_id})
        return request

    @property
    def lease_s(self) -> float:
        return self.settings.invoice_lease_s

    # ---------------------------------------------------------------------------------------
    # Endpoints
    # ---------------------------------------------------------------------------------------

    async def preview(self, charge_id: str) -> InvoicePreview:
        """Every check of create, and the exact Rutter body, without calling Rutter or writing."""
        bind_log_fields(charge_id=charge_id)
        state = await self._load_state(charge_id)
        charge = state.charge
        if state.live_request is not None:
            await self._refuse_live_request(state.live_request)
        validated = validate_charge(charge, self.settings)
        await self._check_document_number(charge)
        access_token_for(charge, self.settings)
        return InvoicePreview(
            charge_id=charge_id,
            rutter_version=self.settings.rutter_version,
            billable_line_items=len(validated.billable_line_items),
            request_body=self._rutter_body(validated),
        )

    async def create(self, body: CreateInvoiceRequest, idempotency_key: str | None) -> Answer:
        """POST /invoices."""
        charge_id = str(body.charge_id)
        bind_log_fields(charge_id=charge_id)
        fingerprint = request_fingerprint(body)
        if idempotency_key is not None:
            idempotency_key = self._client_key(idempotency_key)
            earlier = await repo.get_request_by_client_key(self.db, idempotency_key)
            if earlier is not None and self._may_see(earlier.organization_id):
                if earlier.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was used before with a different request body.",
                        {"request_id": earlier.id},
                    )
                return await self._answer_earlier_request(earlier)

        state = await self._load_state(charge_id)
        charge = state.charge
        live = state.live_request
        if live is not None:
            if live.status == enums.invoice_request_status.PENDING:
                claimed = await self._claim(live.id)
                if claimed is not None:
                    # An earlier request for this charge was abandoned mid-way: finish it, never start anew.
                    return await self._drive(claimed, charge)
            await self._refuse_live_request(live)

        validated = validate_charge(charge, self.settings)
        try:
            access_token_for(charge, self.settings)
            self._require_rutter_configured()
        except ServiceError:
            # The document number is checked first (the contract's order), here on its own; on the
            # usual path the insert below checks it in the same round trip.
            await self._check_document_number(charge)
            raise

        request_id = str(uuid.uuid4())
        send_email = self.settings.email_enabled if body.send_email is None else body.send_email
        try:
            recorded = await repo.insert_request(
                self.db,
                request_id=request_id,
                charge_id=charge_id,
                organization_id=charge.invoice.organization_id,
                send_email=send_email,
                client_idempotency_key=idempotency_key,
                request_fingerprint=fingerprint if idempotency_key else None,
                rutter_idempotency_key=str(uuid.uuid5(RUTTER_KEY_NAMESPACE, request_id)),
                rutter_version=self.settings.rutter_version,
                rutter_request_body=self._rutter_body(validated),
                document_number=charge.invoice.document_number or None,
                lease_owner=self.worker_id,
                lease_s=self.lease_s,
            )
        except UniqueViolationError as exc:
            if exc.constraint == repo.DOCUMENT_NUMBER_HELD:
                raise self._duplicate_document_number(charge) from exc
            raise RequestInProgress(
                "Another request for this charge is running right now.", {"charge_id": charge_id}
            ) from exc
        if isinstance(recorded, repo.DocumentNumberHolders):
            raise self._document_number_held(charge, recorded)
        request = recorded
        logger.info(
            "invoice_request_created", extra={"invoice_request_id": request.id, "charge_id": charge_id}
        )
        return await self._drive(request, charge)

    async def request_status(self, request_id: str) -> RequestStatusBody:
        """GET /invoices/requests/{id}: a pending request is resumed (polled) before answering."""
        request = await self._visible_request(request_id)
        bind_log_fields(charge_id=request.charge_id, invoice_request_id=request.id)
        with errors_about(request.id):
            return await self._resume_and_describe(request)

    async def _resume_and_describe(self, request: models.invoice_request) -> RequestStatusBody:
        request_id = request.id
        if request.status == enums.invoice_request_status.PENDING:
            claimed = await self._claim(request.id)
            if claimed is not None:
                try:
                    charge = await self._load_charge(claimed.charge_id)
                    await self._drive(claimed, charge)
                except ServiceError as exc:
                    logger.info("invoice_request_resume_failed", extra={"code": exc.code})
                request = await repo.get_request(self.db, request_id) or request
        return await self._status_body(request)

    async def recover_pending(self) -> int:
        """Finishes requests whose worker died, and emails nobody started (start-up sweep); returns
        how many it drove."""
        driven = 0
        # Sweep hook: small batches claimed with SKIP LOCKED (replicas split the backlog), each
        # batch driven at once; a request released again during this sweep is left to the next one.
        swept: list[str] = []
        while batch := await sweep.claim_abandoned(self.db, self.worker_id, self.lease_s, skip=swept):
            swept.extend(claimed.id for claimed in batch)
            outcomes = await asyncio.gather(*(self._recover(c) for c in batch), return_exceptions=True)
            if failure := next((o for o in outcomes if isinstance(o, BaseException)), None):
                raise failure
            driven += len(batch)
        for completed in await repo.completed_requests_with_unsent_email(self.db, grace_s=self.lease_s):
            assert completed.acc_uac_invoice_id is not None
            stored = await repo.load_invoice(self.db, completed.acc_uac_invoice_id)
            try:
                charge = await self._load_charge(completed.charge_id)
            except ServiceError:
                continue
            if stored is not None:
                await self._send_email(stored[0], charge)
            driven += 1
        return driven

    async def _recover(self, claimed: models.invoice_request) -> None:
        try:
            charge = await self._load_charge(claimed.charge_id)
            if not await sweep.confirm_lease(self.db, claimed.id, self.worker_id, self.lease_s):
                return  # taken over by another worker while its charge was loading
            await self._drive(claimed, charge)
        except ServiceError as exc:
            logger.warning(
                "invoice_request_recovery_failed",
                extra={"invoice_request_id": claimed.id, "code": exc.code},
            )

    # ---------------------------------------------------------------------------------------
    # Steps
    # ---------------------------------------------------------------------------------------

    async def _load_state(self, charge_id: str) -> repo.ChargeState:
        state = await repo.load_charge_state(self.db, charge_id)
        if state is None or not self._may_see(state.charge.invoice.organization_id):
            raise ChargeNotFound(f"No charge with id {charge_id}.", {"charge_id": charge_id})
        budget.use_organization(state.charge.invoice.organization_id)  # budget hook: whose calls follow
        return state

    async def _load_charge(self, charge_id: str) -> Charge:
        return (await self._load_state(charge_id)).charge

    async def _refuse_live_request(self, live: models.invoice_request) -> None:
        if live.status == enums.invoice_request_status.COMPLETED and live.acc_uac_invoice_id:
            stored = await repo.load_invoice(self.db, live.acc_uac_invoice_id)
            invoice = InvoiceOut.from_rows(*stored).model_dump(mode="json") if stored else None
            raise InvoiceAlreadyExists(
                "This charge was already invoiced.",
                {"charge_id": live.charge_id, "request_id": live.id, "invoice": invoice},
            )
        raise RequestInProgress(
            "Another request for this charge is running right now.",
            {"charge_id": live.charge_id, "request_id": live.id, "status_url": status_url(live.id)},
        )

    async def _check_document_number(self, charge: Charge) -> None:
        holders = await repo.document_number_holders(self.db, charge)
        if holders.invoice_id is not None or holders.request_id is not None:
            raise self._document_number_held(charge, holders)

    def _document_number_held(
        self, charge: Charge, holders: repo.DocumentNumberHolders
    ) -> DuplicateDocumentNumber:
        if holders.invoice_id is not None:
            return self._duplicate_document_number(charge, existing_invoice_id=holders.invoice_id)
        assert holders.request_id is not None
        return self._duplicate_document_number(charge, existing_request_id=holders.request_id)

    def _require_rutter_configured(self) -> None:
        if not (self.settings.rutter_client_id and self.settings.rutter_client_secret):
            raise RutterNotConfiguredError(
                "RUTTER_CLIENT_ID and RUTTER_CLIENT_SECRET are not set; the service cannot call Rutter.",
                {"settings": ["RUTTER_CLIENT_ID", "RUTTER_CLIENT_SECRET"]},
            )

    @staticmethod
    def _duplicate_document_number(charge: Charge, **existing: str) -> DuplicateDocumentNumber:
        number = charge.invoice.document_number
        return DuplicateDocumentNumber(
            f"Document number {number} is already used by another invoice of this organization.",
            {"document_number": number, **existing},
        )

    def _rutter_body(self, validated: Any) -> dict[str, Any]:
        return {
            "response_mode": "async",
            "invoice": build_rutter_invoice(validated, self.settings.rutter_version),
        }

    async def _answer_earlier_request(self, earlier: models.invoice_request) -> Answer:
        """Same key, same body: replay what was answered, or finish what was left unfinished."""
        replayed = {"Idempotent-Replayed": "true"}
        if earlier.status == enums.invoice_request_status.COMPLETED:
            return Answer(201, await self._created_body(earlier), replayed)
        if earlier.status == enums.invoice_request_status.FAILED and earlier.response_status is not None:
            return Answer(
                earlier.response_status, ErrorResponse.model_validate(earlier.response_body), replayed
            )
        claimed = await self._claim(earlier.id)
        if claimed is None:
            raise RequestInProgress(
                "A request with this Idempotency-Key is running right now.",
                {"request_id": earlier.id, "status_url": status_url(earlier.id)},
            )
        return await self._drive(claimed, await self._load_charge(claimed.charge_id))

    async def _drive(self, request: models.invoice_request, charge: Charge) -> Answer:
        """Runs a leased request from its recovery point to the end (or to the job deadline),
        renewing the lease while it works so that only a dead worker's request is taken over."""
        heartbeat = asyncio.create_task(self._renew_lease(request.id))
        try:
            with errors_about(request.id):
                return await self._drive_leased(request, charge)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _renew_lease(self, request_id: str) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            try:
                await repo.renew_lease(self.db, request_id, self.worker_id, self.lease_s)
            except Exception:
                # The database may be away for a moment; the next beat tries again.
                logger.warning(
                    "invoice_request_lease_renewal_failed", extra={"invoice_request_id": request_id}
                )

    async def _drive_leased(self, request: models.invoice_request, charge: Charge) -> Answer:
        try:
            rutter_invoice = await self._rutter_invoice(request, charge)
        except RutterJobTimeout:
            released = await self._release(request) or request
            return Answer(202, await self._status_body(released), {"Location": status_url(request.id)})
        except RutterRejected as exc:
            error = RutterRejectedInvoice(
                "Rutter refused the invoice: "
                + _sentence(exc.error_message or exc.error_code or exc.http_status),
                {
                    "http_status": exc.http_status,
                    "error_type": exc.error_type,
                    "error_code": exc.error_code,
                    "error_message": exc.error_message,
                    "request_id": request.id,
                    "status_url": status_url(request.id),
                },
            )
            await repo.fail_request(
                self.db,
                request.id,
                error_code=error.code,
                error_detail=error.details,
                response_status=error.status_code,
                response_body=error.to_response().model_dump(mode="json"),
            )
            raise error from exc
        except RutterError as exc:
            # Outcome unknown or never reached: keep the request (and its Rutter key) for a retry.
            await self._release(request)
            raise RutterUnavailableError(
                "Rutter could not be reached reliably; retry later with the same request.",
                {"request_id": request.id, "status_url": status_url(request.id), "reason": str(exc)},
            ) from exc
        except BaseException:
            await self._release_quietly(request)
            raise

        try:
            stored = await repo.complete_request(self.db, request, charge, rutter_invoice)
        except BaseException:
            # Nothing was written; the job id is stored, so a retry only polls and writes back.
            await self._release_quietly(request)
            raise
        logger.info(
            "invoice_created",
            extra={
                "invoice_request_id": request.id,
                "charge_id": request.charge_id,
                "rutter_invoice": rutter_invoice.id,
            },
        )
        invoice, email_error = stored.invoice, None
        if request.send_email:
            invoice, email_error = await self._send_email(invoice, charge)
        return Answer(201, self._created_body_from(stored.request, invoice, stored.lines, email_error))

    async def _claim(self, request_id: str) -> models.invoice_request | None:
        """Leases a pending request that no live worker drives (one this process abandoned included)."""
        abandoned_by = ABANDONED_LEASES.get(request_id)
        claimed = await repo.claim_request(
            self.db, request_id, self.worker_id, self.lease_s, abandoned_by=abandoned_by
        )
        if claimed is not None:
            ABANDONED_LEASES.pop(request_id, None)
        return claimed

    async def _release(self, request: models.invoice_request) -> models.invoice_request | None:
        """Frees the lease; when the database cannot be told, this process remembers that nobody
        drives the request any more (the lease in the database expires for the others)."""
        try:
            return await repo.release_request(self.db, request.id, self.worker_id)
        except BaseException:
            ABANDONED_LEASES[request.id] = self.worker_id
            raise

    async def _release_quietly(self, request: models.invoice_request) -> None:
        """Frees the lease after a failure; if even that fails, see _release."""
        try:
            await self._release(request)
        except Exception:
            logger.warning("invoice_request_release_failed", extra={"invoice_request_id": request.id})

    async def _rutter_invoice(self, request: models.invoice_request, charge: Charge) -> RutterInvoice:
        job_id = request.rutter_job_id
        if job_id is None:
            assert isinstance(request.rutter_request_body, dict)
            created = await self.rutter.create_invoice(
                request.rutter_request_body["invoice"],
                access_token=access_token_for(charge, self.settings),
                idempotency_key=request.rutter_idempotency_key,
                version=request.rutter_version,  # every retry identical to the first attempt
            )
            if created.invoice is not None:
                return created.invoice
            assert created.job_id is not None
            job_id = created.job_id
            await repo.record_job_id(self.db, request.id, job_id)
        return await self.rutter.wait_for_job(job_id, deadline_s=self.settings.rutter_job_timeout_s)

    async def _send_email(
        self, invoice: models.acc_uac_invoice, charge: Charge, *, resend: bool = False
    ) -> tuple[models.acc_uac_invoice, str | None]:
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
                document_number=invoice.document_number or charge.invoice.document_number or "",
                total_amount=_first_amount(invoice.total_amount, charge.invoice.total_amount),
                currency_code=invoice.currency_code or charge.invoice.currency_code or "",
                due_date=invoice.due_date,
                pdf_link=pdf_link,
            )
            await self.email.send_invoice_email(
                organization_id=charge.invoice.organization_id,
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

    async def resend_email(self, request_id: str) -> EmailOutcome:
        """POST /invoices/requests/{id}/email: sends the invoice's email again, whatever was sent before."""
        request = await self._visible_request(request_id)
        with errors_about(request.id):
            return await self._resend_email(request)

    async def _resend_email(self, request: models.invoice_request) -> EmailOutcome:
        if request.status == enums.invoice_request_status.PENDING:
            raise RequestInProgress(
                "The invoice of this request is not created yet.",
                {"request_id": request.id, "status_url": status_url(request.id)},
            )
        if request.acc_uac_invoice_id is None:
            raise RequestNotFound(
                "This request failed; it has no invoice to email.", {"request_id": request.id}
            )
        charge = await self._load_charge(request.charge_id)
        stored = await repo.load_invoice(self.db, request.acc_uac_invoice_id)
        assert stored is not None
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
        _, error = await self._send_email(stored[0], charge, resend=True)
        to = self.settings.recipient_email
        return (
            EmailOutcome(status="FAILED", to=to, error=error) if error else EmailOutcome(status="SENT", to=to)
        )

    # ---------------------------------------------------------------------------------------
    # Bodies
    # ---------------------------------------------------------------------------------------

    async def _created_body(self, request: models.invoice_request) -> InvoiceCreated:
        """The 201 body of a completed request, from what is stored."""
        assert request.acc_uac_invoice_id is not None
        stored = await repo.load_invoice(self.db, request.acc_uac_invoice_id)
        if stored is None:
            raise ServiceError("The stored invoice of this request is missing.", {"request_id": request.id})
        return self._created_body_from(request, *stored, None)

    def _created_body_from(
        self,
        request: models.invoice_request,
        stored_invoice: models.acc_uac_invoice,
        lines: list[models.uac_line_item],
        email_error: str | None,
    ) -> InvoiceCreated:
        invoice = InvoiceOut.from_rows(stored_invoice, lines)
        return InvoiceCreated(
            request_id=request.id,
            invoice=invoice,
            rutter=RutterRef(job_id=request.rutter_job_id, invoice_id=request.rutter_invoice_id),
            email=self._email_outcome(request, invoice, email_error),
        )

    def _email_outcome(
        self, request: models.invoice_request, invoice: InvoiceOut, error: str | None
    ) -> EmailOutcome:
        if not request.send_email:
            return EmailOutcome(status="SKIPPED")
        to = self.settings.recipient_email
        if invoice.email_status == "SENT":
            return EmailOutcome(status="SENT", to=to)
        return EmailOutcome(status="FAILED", to=to, error=error or "the email could not be sent")

    async def _status_body(self, request: models.invoice_request) -> RequestStatusBody:
        result = None
        error = None
        if request.status == enums.invoice_request_status.COMPLETED:
            result = await self._created_body(request)
        elif request.status == enums.invoice_request_status.FAILED:
            body = request.response_body or {}
            error = ErrorBody.model_validate(
                body.get("error") or {"code": request.error_code or "FAILED", "message": ""}
            )
        return RequestStatusBody(
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


def _sentence(reason: object) -> str:
    """The reason ending in exactly one period (Rutter's messages often end in one already)."""
    return str(reason).strip().rstrip(".") + "."
