"""The recovery sweep: finishes requests whose worker died, and sends emails nobody started."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from api.errors import ServiceError
from api.invoices import repository as repo
from api.invoices.charge import Charge
from api.invoices.delivery import EmailDelivery
from api.invoices.driver import RequestDriver
from api.invoices.repository import sweep
from prisma import Prisma, models

logger = logging.getLogger("api.invoices")


async def recover_pending(
    db: Prisma,
    driver: RequestDriver,
    delivery: EmailDelivery,
    load_charge: Callable[[str], Awaitable[Charge]],
) -> int:
    """One sweep (at start-up, then every RECOVERY_INTERVAL_S); returns how many requests it drove."""
    driven = 0
    # Small batches claimed with SKIP LOCKED (replicas split the backlog), each batch driven at
    # once; a request released again during this sweep is left to the next one.
    swept: list[str] = []
    while batch := await sweep.claim_abandoned(db, driver.worker_id, driver.lease_s, skip=swept):
        swept.extend(claimed.id for claimed in batch)
        outcomes = await asyncio.gather(
            *(_recover(db, driver, load_charge, claimed) for claimed in batch), return_exceptions=True
        )
        if failure := next((o for o in outcomes if isinstance(o, BaseException)), None):
            raise failure
        driven += len(batch)
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


async def _recover(
    db: Prisma,
    driver: RequestDriver,
    load_charge: Callable[[str], Awaitable[Charge]],
    claimed: models.invoice_request,
) -> None:
    try:
        charge = await load_charge(claimed.charge_id)
        if not await sweep.confirm_lease(db, claimed.id, driver.worker_id, driver.lease_s):
            return  # taken over by another worker while its charge was loading
        await driver.drive(claimed, charge)
    except ServiceError as exc:
        logger.warning(
            "invoice_request_recovery_failed",
            extra={"invoice_request_id": claimed.id, "code": exc.code},
        )
