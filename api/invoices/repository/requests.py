"""Invoice requests: recording one per charge, leases on the database's clock, the job id, failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.invoices.repository.charges import DocumentNumberHolders
from api.invoices.stored import RequestRow, columns
from prisma import Prisma, enums
from prisma.fields import Json

PENDING = enums.invoice_request_status.PENDING
COMPLETED = enums.invoice_request_status.COMPLETED
FAILED = enums.invoice_request_status.FAILED


def now() -> datetime:
    return datetime.now(UTC)


# The unique constraints an insert of a request can meet besides the charge's: a document number
# another live request holds, and an Idempotency-Key already used.
DOCUMENT_NUMBER_HELD = "invoice_request_organization_id_active_document_number_key"
CLIENT_KEY_USED = "invoice_request_client_idempotency_key_key"


async def get_request(db: Prisma, request_id: str) -> RequestRow | None:
    return await RequestRow.prisma(db).find_unique(where={"id": request_id})


async def get_request_by_client_key(db: Prisma, key: str) -> RequestRow | None:
    return await RequestRow.prisma(db).find_unique(where={"client_idempotency_key": key})


async def request_body(db: Prisma, request_id: str) -> Any:
    """The Rutter body the request recorded (only a create after a crash reads it again)."""
    request = await db.invoice_request.find_unique(where={"id": request_id})
    return request.rutter_request_body if request else None


def request_from_json(text: str | None) -> RequestRow | None:
    return None if text is None else RequestRow.model_validate_json(text)


# What the hand-written statements return of a request (RequestRow's columns, constants).
REQUEST_COLUMNS = columns(RequestRow)


# Leases are compared with the database's clock (`now()`), whichever replica wrote them: the
# statements that set them are written by hand for that.
# Records the request unless the charge's document number is held, in one round trip: the
# look-up of _DOCUMENT_NUMBER_HOLDERS, then the insert only when nobody holds the number.
_INSERT_REQUEST = f"""
WITH holders AS (
    SELECT (SELECT a.id FROM acc_uac_invoice a
            WHERE a.organization_id = $3::uuid AND a.document_number = $13::text
            ORDER BY a.created_at LIMIT 1) AS invoice_id,
           (SELECT r.id FROM invoice_request r
            WHERE r.organization_id = $3::uuid AND r.active_document_number = $13::text
              AND r.charge_id <> $2::uuid
            LIMIT 1) AS request_id
), inserted AS (
    INSERT INTO invoice_request (
        id, charge_id, organization_id, active_charge_id, status, send_email, client_idempotency_key,
        request_fingerprint, rutter_idempotency_key, rutter_version, rutter_request_body,
        lease_owner, lease_expires_at, attempts, active_document_number
    )
    SELECT $1::uuid, $2::uuid, $3::uuid, $2::uuid, 'PENDING'::invoice_request_status, $4::boolean,
           $5::text, $6::text, $7::text, $8::text, $9::text::jsonb, $10::text,
           now() + make_interval(secs => $11::float8), 1, $12::text
    FROM holders WHERE holders.invoice_id IS NULL AND holders.request_id IS NULL
    RETURNING {REQUEST_COLUMNS}
)
SELECT (SELECT to_json(i)::text FROM inserted i) AS request, holders.invoice_id, holders.request_id
FROM holders
"""  # noqa: S608


async def insert_request(
    db: Prisma,
    *,
    request_id: str,
    charge_id: str,
    organization_id: str,
    send_email: bool,
    client_idempotency_key: str | None,
    request_fingerprint: str | None,
    rutter_idempotency_key: str,
    rutter_version: str,
    rutter_request_body: str,
    document_number: str | None,
    lease_owner: str,
    lease_s: float,
) -> RequestRow | DocumentNumberHolders:
    """Records a new request holding the charge (and its document number) leased to `lease_owner`,
    unless the organization's document number `document_number` is already held: then nothing is
    written and the holders are returned.

    Raises prisma.errors.UniqueViolationError when a concurrent request won the charge or the
    document number, or the key was already used (its `constraint` tells which).
    """
    row = await db.query_first(
        _INSERT_REQUEST,
        request_id,
        charge_id,
        organization_id,
        send_email,
        client_idempotency_key,
        request_fingerprint,
        rutter_idempotency_key,
        rutter_version,
        rutter_request_body,
        lease_owner,
        lease_s,
        document_number or None,
        document_number,
    )
    assert row is not None
    request = request_from_json(row["request"])
    if request is None:
        return DocumentNumberHolders(invoice_id=row["invoice_id"], request_id=row["request_id"])
    return request


_CLAIM_REQUEST = f"""
WITH claimed AS (
    UPDATE invoice_request
    SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3), updated_at = now(),
        attempts = attempts + CASE WHEN rutter_job_id IS NULL THEN 1 ELSE 0 END
    WHERE id = $1::uuid AND status = 'PENDING'
      AND (lease_expires_at IS NULL OR lease_expires_at < now() OR lease_owner = $4)
    RETURNING {REQUEST_COLUMNS}
)
SELECT to_json(c)::text AS request FROM claimed c
"""  # noqa: S608


async def claim_request(
    db: Prisma, request_id: str, owner: str, lease_s: float, *, abandoned_by: str | None = None
) -> RequestRow | None:
    """Leases a pending request whose lease is free or expired, or still held by `abandoned_by` (a
    worker known to have given up); None when someone else holds it.

    A request without a job id is about to be sent to Rutter (again): that counts as an attempt.
    """
    row = await db.query_first(_CLAIM_REQUEST, request_id, owner, lease_s, abandoned_by)
    return request_from_json(row["request"]) if row else None


async def release_request(db: Prisma, request_id: str, owner: str) -> RequestRow | None:
    """Gives up the owner's lease (the request stays pending); returns the request as it is now."""
    await db.invoice_request.update_many(
        where={"id": request_id, "lease_owner": owner},
        data={"lease_owner": None, "lease_expires_at": None, "updated_at": now()},
    )
    return await get_request(db, request_id)


async def renew_lease(db: Prisma, request_id: str, owner: str, lease_s: float) -> None:
    """Extends the owner's lease on a pending request (a no-op once it released or finished it)."""
    await db.execute_raw(
        "UPDATE invoice_request SET lease_expires_at = now() + make_interval(secs => $3) "
        "WHERE id = $1::uuid AND lease_owner = $2 AND status = 'PENDING'",
        request_id,
        owner,
        lease_s,
    )


# The job id's commit does not wait for its WAL to reach the disk (synchronous_commit off for this
# statement's own transaction: set_config's third argument; the session keeps its setting). The
# write-back's commit, a few milliseconds later, flushes it anyway. What PostgreSQL itself may lose
# in a crash before then is the job id alone, and the request row then reads as it did before it:
# recovery creates the invoice again with the request's Idempotency-Key, the path it already takes
# for a service that died between the create and this statement. One disk flush less per invoice.
_RECORD_JOB_ID = """
UPDATE invoice_request u SET rutter_job_id = $2, updated_at = $3
FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait
WHERE u.id = $1::uuid
"""


async def record_job_id(db: Prisma, request_id: str, job_id: str) -> None:
    """Stores Rutter's job id the moment it is known: from then on recovery only polls."""
    await db.execute_raw(_RECORD_JOB_ID, request_id, job_id, now())


async def fail_request(
    db: Prisma,
    request_id: str,
    *,
    error_code: str,
    error_detail: dict[str, Any],
    response_status: int,
    response_body: dict[str, Any],
) -> None:
    """Marks the request failed and frees the charge for a new request; keeps the answer to replay."""
    moment = now()
    await db.invoice_request.update_many(
        where={"id": request_id, "status": PENDING},
        data={
            "status": FAILED,
            "active_charge_id": None,
            "active_document_number": None,
            "error_code": error_code,
            "error_detail": Json(error_detail),
            "response_status": response_status,
            "response_body": Json(response_body),
            "lease_owner": None,
            "lease_expires_at": None,
            "completed_at": moment,
            "updated_at": moment,
        },
    )


async def prune_idempotency_keys(db: Prisma, older_than_hours: float) -> int:
    """Forgets client Idempotency-Keys older than the retention; the requests themselves stay."""
    return await db.invoice_request.update_many(
        where={
            "client_idempotency_key": {"not": None},
            "created_at": {"lt": now() - timedelta(hours=older_than_hours)},
        },
        data={"client_idempotency_key": None, "request_fingerprint": None},
    )
