"""The invoice endpoints' work: the checks, recording a request for a charge (once), then handing
it to the driver (driver.py); replays by Idempotency-Key; a request's status; the email again.

One charge yields at most one invoice: the database holds one live request per charge (a unique
index) and one live holder per organization's document number; the driver does the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid

import aiohttp

from api.config import Settings
from api.email.client import EmailClient
from api.errors import ErrorResponse, ServiceError
from api.invoices import repository as repo
from api.invoices.charge import Charge
from api.invoices.delivery import EmailDelivery
from api.invoices.driver import RequestDriver, errors_about
from api.invoices.errors import (
    ChargeNotFound,
    DuplicateDocumentNumber,
    IdempotencyKeyReused,
    InvoiceAlreadyExists,
    RequestInProgress,
    RequestNotFound,
    RutterCredentialsMissing,
)
from api.invoices.presenters import Answer, created_body, status_body, status_url
from api.invoices.recovery import recover_pending
from api.invoices.rules import ValidatedCharge, access_token_for, validate_charge
from api.invoices.rutter_body import build_rutter_invoice
from api.invoices.schemas import (
    CreateInvoiceRequest,
    EmailOutcome,
    InvoiceOut,
    InvoicePreview,
    InvoiceRequestStatus,
)
from api.invoices.stored import RequestRow
from api.logging import bind_log_fields
from api.rutter import budget
from api.rutter.client import CreateBody, RutterClient, create_body
from api.rutter.retry import Sleep
from prisma import Prisma, enums
from prisma.errors import UniqueViolationError

logger = logging.getLogger("api.invoices")

# Rutter idempotency keys are UUIDs derived from our request id, so every retry sends the same one.
RUTTER_KEY_NAMESPACE = uuid.UUID("7d3c8a2e-5b7f-4c1d-9e61-2f0b8a4c9d13")


def request_fingerprint(body: CreateInvoiceRequest) -> str:
    """The same request body always gives the same fingerprint (used with Idempotency-Key)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


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
        heartbeat_sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.db = db
        # The one organization the caller may see (its API key's), or None for every organization.
        self.organization_id = organization_id
        self.settings = settings
        self.delivery = EmailDelivery(db, settings, rutter, email)
        self.driver = RequestDriver(
            db, settings, rutter, self.delivery, f"worker-{uuid.uuid4()}", sleep=heartbeat_sleep
        )

    @classmethod
    def build(
        cls,
        db: Prisma,
        settings: Settings,
        http: aiohttp.ClientSession,
        *,
        organization_id: str | None = None,
        heartbeat_sleep: Sleep = asyncio.sleep,
    ) -> InvoiceService:
        """The service with its Rutter and email clients on the shared HTTP session, limited to one
        organization's charges and requests when `organization_id` is given; `heartbeat_sleep` is
        the pause between lease renewals (a test's fake moves it beat by beat)."""
        return cls(
            db,
            settings,
            RutterClient(http, settings),
            EmailClient(http, settings),
            organization_id=organization_id,
            heartbeat_sleep=heartbeat_sleep,
        )

    def _may_see(self, organization_id: str | None) -> bool:
        return self.organization_id is None or self.organization_id == organization_id

    def _client_key(self, idempotency_key: str) -> str:
        """Idempotency-Keys are per organization for organization keys: one organization can neither
        replay nor block another's."""
        if self.organization_id is None:
            return idempotency_key
        return f"org:{self.organization_id}:{idempotency_key}"

    async def _visible_request(self, request_id: str) -> RequestRow:
        """The request, if the caller may see it; another organization's is answered like a missing one."""
        request = await repo.get_request(self.db, request_id)
        if request is None or not self._may_see(request.organization_id):
            raise RequestNotFound(f"No invoice request with id {request_id}.", {"request_id": request_id})
        return request

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
            request_body=self._rutter_body(validated).document,
        )

    async def create(self, body: CreateInvoiceRequest, idempotency_key: str | None) -> Answer:
        """POST /invoices."""
        charge_id = str(body.charge_id)
        bind_log_fields(charge_id=charge_id)
        fingerprint = request_fingerprint(body) if idempotency_key is not None else None
        if idempotency_key is not None:
            idempotency_key = self._client_key(idempotency_key)
            replayed = await self._answer_by_key(idempotency_key, fingerprint)
            if replayed is not None:
                return replayed

        state = await self._load_state(charge_id)
        charge = state.charge
        live = state.live_request
        if live is not None:
            if live.status == enums.invoice_request_status.PENDING:
                claimed = await self.driver.claim(live.id)
                if claimed is not None:
                    # An earlier request for this charge was abandoned mid-way: finish it, never start anew.
                    return await self.driver.drive(claimed, charge)
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

        rutter_body = self._rutter_body(validated)
        request_id = str(uuid.uuid4())
        send_email = self.settings.email_enabled if body.send_email is None else body.send_email
        try:
            recorded = await repo.insert_request(
                self.db,
                request_id=request_id,
                charge_id=charge_id,
                organization_id=charge.uac_invoice.organization_id,
                send_email=send_email,
                client_idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                rutter_idempotency_key=str(uuid.uuid5(RUTTER_KEY_NAMESPACE, request_id)),
                rutter_version=self.settings.rutter_version,
                rutter_request_body=rutter_body.encoded.decode(),
                document_number=charge.uac_invoice.document_number or None,
                lease_owner=self.driver.worker_id,
                lease_s=self.driver.lease_s,
            )
        except UniqueViolationError as exc:
            if exc.constraint == repo.DOCUMENT_NUMBER_HELD:
                raise self._duplicate_document_number(charge) from exc
            if exc.constraint == repo.CLIENT_KEY_USED and idempotency_key is not None:
                # A concurrent request with the same key recorded itself first: answered as if
                # it had been found above (its replay, "running right now", or the key reused).
                replayed = await self._answer_by_key(idempotency_key, fingerprint)
                if replayed is not None:
                    return replayed
            raise RequestInProgress(
                "Another request for this charge is running right now.", {"charge_id": charge_id}
            ) from exc
        if isinstance(recorded, repo.DocumentNumberHolders):
            raise self._document_number_held(charge, recorded)
        request = recorded
        logger.info(
            "invoice_request_created", extra={"invoice_request_id": request.id, "charge_id": charge_id}
        )
        return await self.driver.drive(request, charge, rutter_body)

    async def request_status(self, request_id: str) -> InvoiceRequestStatus:
        """GET /invoices/requests/{id}: a pending request is resumed (polled) before answering."""
        request = await self._visible_request(request_id)
        bind_log_fields(charge_id=request.charge_id, invoice_request_id=request.id)
        with errors_about(request.id):
            return await self._resume_and_describe(request)

    async def _resume_and_describe(self, request: RequestRow) -> InvoiceRequestStatus:
        request_id = request.id
        if request.status == enums.invoice_request_status.PENDING:
            claimed = await self.driver.claim(request.id)
            if claimed is not None:
                try:
                    charge = await self._load_charge(claimed.charge_id)
                    await self.driver.drive(claimed, charge)
                except ServiceError as exc:
                    logger.info("invoice_request_resume_failed", extra={"code": exc.code})
                request = await repo.get_request(self.db, request_id) or request
        return await status_body(self.db, self.settings, request)

    async def resend_email(self, request_id: str) -> EmailOutcome:
        """POST /invoices/requests/{id}/email: sends the invoice's email again, whatever was sent before."""
        request = await self._visible_request(request_id)
        with errors_about(request.id):
            return await self.delivery.resend(request, self._load_charge)

    async def recover_pending(self) -> int:
        """Finishes requests whose worker died, and emails nobody started (start-up sweep); returns
        how many it drove."""
        return await recover_pending(self.db, self.driver, self.delivery, self._load_charge)

    # ---------------------------------------------------------------------------------------
    # Steps
    # ---------------------------------------------------------------------------------------

    async def _load_state(self, charge_id: str) -> repo.ChargeState:
        state = await repo.load_charge_state(self.db, charge_id)
        if state is None or not self._may_see(state.charge.uac_invoice.organization_id):
            raise ChargeNotFound(f"No charge with id {charge_id}.", {"charge_id": charge_id})
        budget.use_organization(state.charge.uac_invoice.organization_id)  # budget hook: whose calls follow
        return state

    async def _load_charge(self, charge_id: str) -> Charge:
        return (await self._load_state(charge_id)).charge

    async def _refuse_live_request(self, live: RequestRow) -> None:
        if live.status == enums.invoice_request_status.COMPLETED:
            # The stored invoice, unless its row was deleted since (the request then keeps no
            # acc_uac_invoice_id): the charge is invoiced all the same, in Rutter.
            stored = (
                await repo.load_invoice(self.db, live.acc_uac_invoice_id) if live.acc_uac_invoice_id else None
            )
            invoice = InvoiceOut.from_rows(*stored).model_dump(mode="json") if stored else None
            raise InvoiceAlreadyExists(
                "This charge was already invoiced.",
                {
                    "charge_id": live.charge_id,
                    "request_id": live.id,
                    "invoice": invoice,
                    "rutter_invoice_id": live.rutter_invoice_id,
                },
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
            raise RutterCredentialsMissing(
                "RUTTER_CLIENT_ID and RUTTER_CLIENT_SECRET are not set; the service cannot call Rutter.",
                {"settings": ["RUTTER_CLIENT_ID", "RUTTER_CLIENT_SECRET"]},
            )

    @staticmethod
    def _duplicate_document_number(charge: Charge, **existing: str) -> DuplicateDocumentNumber:
        number = charge.uac_invoice.document_number
        return DuplicateDocumentNumber(
            f"Document number {number} is already used by another invoice of this organization.",
            {"document_number": number, **existing},
        )

    def _rutter_body(self, validated: ValidatedCharge) -> CreateBody:
        return create_body(build_rutter_invoice(validated, self.settings.rutter_version))

    async def _answer_by_key(self, idempotency_key: str, fingerprint: str | None) -> Answer | None:
        """The answer to a request whose Idempotency-Key was used before (by this caller), else None."""
        earlier = await repo.get_request_by_client_key(self.db, idempotency_key)
        if earlier is None or not self._may_see(earlier.organization_id):
            return None
        if earlier.request_fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used before with a different request body.",
                {"request_id": earlier.id},
            )
        return await self._answer_earlier_request(earlier)

    async def _answer_earlier_request(self, earlier: RequestRow) -> Answer:
        """Same key, same body: replay what was answered, or finish what was left unfinished."""
        replayed = {"Idempotent-Replayed": "true"}
        if earlier.status == enums.invoice_request_status.COMPLETED:
            return Answer(201, await created_body(self.db, self.settings, earlier), replayed)
        if earlier.status == enums.invoice_request_status.FAILED and earlier.response_status is not None:
            return Answer(
                earlier.response_status, ErrorResponse.model_validate(earlier.response_body), replayed
            )
        claimed = await self.driver.claim(earlier.id)
        if claimed is None:
            raise RequestInProgress(
                "A request with this Idempotency-Key is running right now.",
                {"request_id": earlier.id, "status_url": status_url(earlier.id)},
            )
        return await self.driver.drive(claimed, await self._load_charge(claimed.charge_id))
