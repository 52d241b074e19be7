"""Driving one recorded request to its end: the Rutter create-and-poll from its recovery point, the
write-back, then the email; leases keep every other worker off it while this one is alive.

The Rutter Idempotency-Key is stored with the request before the first create and the job id the
moment it is known (after that a retry only polls); the write-back commits together with the
request's completion. A lease this worker cannot release (the database is away) is remembered, so a
later call in this process takes the request over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from api.config import Settings
from api.errors import DATABASE_UNREACHABLE, DatabaseUnavailable, InternalError, ServiceError
from api.invoices import repository as repo
from api.invoices.charge import Charge
from api.invoices.delivery import EmailDelivery
from api.invoices.errors import InvoiceRejectedByRutter, RutterCallFailed
from api.invoices.presenters import Answer, created_body_from, status_body, status_url
from api.invoices.rules import access_token_for
from api.invoices.stored import RequestRow
from api.rutter.client import CreateBody, RutterClient, create_body
from api.rutter.errors import RutterError, RutterJobTimeout, RutterRejected
from api.rutter.retry import Sleep
from api.rutter.schemas import RutterInvoice
from prisma import Prisma

logger = logging.getLogger("api.invoices")

# Leases this process's workers gave up without being able to release them (the database was
# away): request id -> the owner the database still names. A later call in this process takes such
# a request over at once instead of waiting for the lease to run out.
ABANDONED_LEASES: dict[str, str] = {}


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


def _sentence(reason: object) -> str:
    """The reason ending in exactly one period (Rutter's messages often end in one already)."""
    return str(reason).strip().rstrip(".") + "."


class RequestDriver:
    """Runs leased requests for one worker (`worker_id` owns the leases it takes)."""

    def __init__(
        self,
        db: Prisma,
        settings: Settings,
        rutter: RutterClient,
        delivery: EmailDelivery,
        worker_id: str,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.db = db
        self.settings = settings
        self.rutter = rutter
        self.delivery = delivery
        self.worker_id = worker_id
        self._sleep = sleep  # the lease heartbeat's pause (tests drive it beat by beat)

    @property
    def lease_s(self) -> float:
        return self.settings.invoice_lease_s

    async def claim(self, request_id: str) -> RequestRow | None:
        """Leases a pending request that no live worker drives (one this process abandoned included)."""
        abandoned_by = ABANDONED_LEASES.get(request_id)
        claimed = await repo.claim_request(
            self.db, request_id, self.worker_id, self.lease_s, abandoned_by=abandoned_by
        )
        if claimed is not None:
            ABANDONED_LEASES.pop(request_id, None)
        return claimed

    async def drive(self, request: RequestRow, charge: Charge, body: CreateBody | None = None) -> Answer:
        """Runs a leased request from its recovery point to the end (or to the job deadline),
        renewing the lease while it works so that only a dead worker's request is taken over.
        `body` is the request's Rutter body as recorded, when the caller has it at hand."""
        heartbeat = asyncio.create_task(self._renew_lease(request.id))
        try:
            with errors_about(request.id):
                return await self._drive_leased(request, charge, body)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _renew_lease(self, request_id: str) -> None:
        while True:
            await self._sleep(self.lease_s / 3)
            try:
                await repo.renew_lease(self.db, request_id, self.worker_id, self.lease_s)
            except Exception:
                # The database may be away for a moment; the next beat tries again.
                logger.warning(
                    "invoice_request_lease_renewal_failed", extra={"invoice_request_id": request_id}
                )

    async def _drive_leased(self, request: RequestRow, charge: Charge, body: CreateBody | None) -> Answer:
        try:
            rutter_invoice = await self._rutter_invoice(request, charge, body)
        except RutterJobTimeout:
            released = await self._release(request) or request
            pending = await status_body(self.db, self.settings, released)
            return Answer(202, pending, {"Location": status_url(request.id)})
        except RutterRejected as exc:
            error = InvoiceRejectedByRutter(
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
            raise RutterCallFailed(
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
            invoice, email_error = await self.delivery.send(invoice, charge)
        created = created_body_from(self.settings, stored.request, invoice, stored.lines, email_error)
        return Answer(201, created)

    async def _release(self, request: RequestRow) -> RequestRow | None:
        """Frees the lease; when the database cannot be told, this process remembers that nobody
        drives the request any more (the lease in the database expires for the others)."""
        try:
            return await repo.release_request(self.db, request.id, self.worker_id)
        except BaseException:
            ABANDONED_LEASES[request.id] = self.worker_id
            raise

    async def _release_quietly(self, request: RequestRow) -> None:
        """Frees the lease after a failure; if even that fails, see _release."""
        try:
            await self._release(request)
        except Exception:
            logger.warning("invoice_request_release_failed", extra={"invoice_request_id": request.id})

    async def _rutter_invoice(
        self, request: RequestRow, charge: Charge, body: CreateBody | None
    ) -> RutterInvoice:
        job_id = request.rutter_job_id
        if job_id is None:
            if body is None:
                recorded = await repo.request_body(self.db, request.id)
                assert isinstance(recorded, dict)
                body = create_body(recorded["invoice"])
            created = await self.rutter.create_invoice(
                body,
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
