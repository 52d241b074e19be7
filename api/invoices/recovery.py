"""The recovery sweep: finishes requests whose worker died, and sends emails nobody started."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from api.errors import DATABASE_UNREACHABLE, ServiceError
from api.invoices import repository as repo
from api.invoices.charge import Charge
from api.invoices.delivery import EmailDelivery
from api.invoices.driver import RequestDriver
from api.invoices.repository import sweep
from api.invoices.stored import RequestRow
from prisma import Prisma

logger = logging.getLogger("api.invoices")

# Abandoned requests one sweep drives at once (each mostly waits for Rutter).
SWEEP_IN_FLIGHT = 32


async def recover_pending(
    db: Prisma,
    driver: RequestDriver,
    delivery: EmailDelivery,
    load_charge: Callable[[str], Awaitable[Charge]],
) -> int:
    """One sweep (at start-up, then every RECOVERY_INTERVAL_S); returns how many requests it drove."""
    driven = await _drive_abandoned(db, driver, load_charge)
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


async def _drive_abandoned(
    db: Prisma, driver: RequestDriver, load_charge: Callable[[str], Awaitable[Charge]]
) -> int:
    """Drives abandoned requests, up to SWEEP_IN_FLIGHT at once: each one that ends makes room for
    the next claim (a few at a time with SKIP LOCKED, so replicas split the backlog). A request
    released again during this sweep is left to the next one. Returns how many it drove."""
    driven = 0
    swept: list[str] = []
    running: set[asyncio.Task[None]] = set()
    failure: BaseException | None = None
    while failure is None:
        room = SWEEP_IN_FLIGHT - len(running)
        batch = (
            await sweep.claim_abandoned(
                db, driver.worker_id, driver.lease_s, limit=min(room, sweep.SWEEP_BATCH), skip=swept
            )
            if room > 0
            else []
        )
        for claimed in batch:
            swept.append(claimed.id)
            running.add(asyncio.create_task(_recover(db, driver, load_charge, claimed)))
        driven += len(batch)
        if not running:
            break
        if batch and len(running) < SWEEP_IN_FLIGHT:
            continue  # room left: claim more before waiting
        done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        failure = next((task.exception() for task in done if task.exception() is not None), None)
    if running:  # a failure (the database away, say): let the others end, then report it
        await asyncio.wait(running)
    if failure is not None:
        raise failure
    return driven


async def _recover(
    db: Prisma,
    driver: RequestDriver,
    load_charge: Callable[[str], Awaitable[Charge]],
    claimed: RequestRow,
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
    except DATABASE_UNREACHABLE:
        raise  # the sweep stops: the next one starts over
    except Exception:
        # A fault of this request alone (a bug, data nothing expected) must not stop the sweep,
        # nor the emails after it: it is logged, and its lease lets the next sweep try again.
        logger.exception("invoice_request_recovery_error", extra={"invoice_request_id": claimed.id})
