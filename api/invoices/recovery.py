"""The recovery sweep: finishes requests whose worker died, and sends emails nobody started."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from api.errors import ServiceError
from api.invoices import repository as repo
from api.invoices.charge import Charge
from api.invoices.delivery import EmailDelivery
from api.invoices.driver import RequestDriver
from prisma import Prisma

logger = logging.getLogger("api.invoices")


async def recover_pending(
    db: Prisma,
    driver: RequestDriver,
    delivery: EmailDelivery,
    load_charge: Callable[[str], Awaitable[Charge]],
) -> int:
    """One sweep (at start-up, then every RECOVERY_INTERVAL_S); returns how many requests it drove."""
    driven = 0
    for pending in await repo.pending_requests_to_recover(db):
        claimed = await driver.claim(pending.id)
        if claimed is None:
            continue
        try:
            charge = await load_charge(claimed.charge_id)
            await driver.drive(claimed, charge)
        except ServiceError as exc:
            logger.warning(
                "invoice_request_recovery_failed",
                extra={"invoice_request_id": claimed.id, "code": exc.code},
            )
        driven += 1
    for completed in await repo.completed_requests_with_unsent_email(db, grace_s=driver.lease_s):
        assert completed.acc_uac_invoice_id is not None
        stored = await repo.load_invoice(db, completed.acc_uac_invoice_id)
        try:
            charge = await load_charge(completed.charge_id)
        except ServiceError:
            continue
        if stored is not None:
            await delivery.send(stored[0], charge)
        driven += 1
    return driven
