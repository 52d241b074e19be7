"""The invoice flow's data access: Prisma client calls (`prisma`), and the few statements a Prisma
Client Python user would also write by hand (lease times on the database's clock, the request's
insert with its document-number look-up, the one-statement write-back), each saying why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from api.invoices.charge import Charge, ChargeLineItem, ChargeTree
from api.rutter.schemas import RutterInvoice
from prisma import Prisma, enums, models
from prisma.fields import Json
from prisma.types import (
    acc_uac_invoiceUpdateInput,
    acc_uac_invoiceWhereInput,
    uac_invoiceInclude,
)

PENDING = enums.invoice_request_status.PENDING
COMPLETED = enums.invoice_request_status.COMPLETED
FAILED = enums.invoice_request_status.FAILED


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# Charges
# --------------------------------------------------------------------------------------------

# How the charge's lists are ordered; the classes of charge.py say which columns and relations.
CHARGE_ORDER: uac_invoiceInclude = {
    "stream_customer": {
        "include": {"uac_customer": {"include": {"uac_address": {"order_by": {"type": "asc"}}}}}
    },
    "line_items": {"order_by": [{"sort_order": "asc"}, {"created_at": "asc"}, {"id": "asc"}]},
    # active_charge_id is the charge's id while a request runs or completed it (a unique column).
    "invoice_request": {"where": {"active_charge_id": {"not": None}}},
}


@dataclass
class ChargeState:
    """A charge and the request holding it (running or completed), if any."""

    charge: Charge
    live_request: models.invoice_request | None


async def load_charge_state(db: Prisma, charge_id: str) -> ChargeState | None:
    """The charge with its organization, customers, addresses, lines, products, items and
    adjustments, and the request holding it. One round trip whatever the number of line items."""
    row = await ChargeTree.prisma(db).find_unique(where={"id": charge_id}, include=CHARGE_ORDER)
    if row is None:
        return None
    customer = row.stream_customer
    uac_customer = customer.uac_customer if customer else None
    charge = Charge(
        invoice=row,
        organization=row.organization,
        customer=customer,
        uac_customer=uac_customer,
        addresses=list(uac_customer.uac_address) if uac_customer else [],
        line_items=[
            ChargeLineItem(
                line=line,
                product=line.product,
                uac_item=line.product.uac_item if line.product else None,
                adjustments=line.invoice_adjustment_line_item,
            )
            for line in row.line_items
        ],
    )
    live = row.invoice_request[0] if row.invoice_request else None
    return ChargeState(charge=charge, live_request=live)


# Two look-ups in one round trip (a Prisma user would make two find_first calls).
_DOCUMENT_NUMBER_HOLDERS = """
SELECT (SELECT a.id FROM acc_uac_invoice a
        WHERE a.organization_id = $1::uuid AND a.document_number = $2
        ORDER BY a.created_at LIMIT 1) AS invoice_id,
       (SELECT r.id FROM invoice_request r
        WHERE r.organization_id = $1::uuid AND r.active_document_number = $2 AND r.charge_id <> $3::uuid
        LIMIT 1) AS request_id
"""


@dataclass
class DocumentNumberHolders:
    """Who already has a charge's document number in its organization."""

    # An acc_uac_invoice of the organization with that document number.
    invoice_id: str | None = None
    # A live request of another charge of the organization with that document number.
    request_id: str | None = None


async def document_number_holders(db: Prisma, charge: Charge) -> DocumentNumberHolders:
    number = charge.invoice.document_number
    if number is None:
        return DocumentNumberHolders()
    row = await db.query_first(
        _DOCUMENT_NUMBER_HOLDERS, charge.invoice.organization_id, number, charge.invoice.id
    )
    assert row is not None
    return DocumentNumberHolders(invoice_id=row["invoice_id"], request_id=row["request_id"])


# --------------------------------------------------------------------------------------------
# Invoice requests
# --------------------------------------------------------------------------------------------

DOCUMENT_NUMBER_HELD = "invoice_request_organization_id_active_document_number_key"


async def get_request(db: Prisma, request_id: str) -> models.invoice_request | None:
    return await db.invoice_request.find_unique(where={"id": request_id})


async def get_request_by_client_key(db: Prisma, key: str) -> models.invoice_request | None:
    return await db.invoice_request.find_unique(where={"client_idempotency_key": key})


def _request_from_json(text: str | None) -> models.invoice_request | None:
    return None if text is None else models.invoice_request.model_validate_json(text)


# Leases are compared with the database's clock (`now()`), whichever replica wrote them: the
# statements that set them are written by hand for that.
# Records the request unless the charge's document number is held, in one round trip: the
# look-up of _DOCUMENT_NUMBER_HOLDERS, then the insert only when nobody holds the number.
_INSERT_REQUEST = """
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
    RETURNING to_json(invoice_request.*)::text AS request
)
SELECT (SELECT request FROM inserted) AS request, holders.invoice_id, holders.request_id FROM holders
"""


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
    rutter_request_body: dict[str, Any],
    document_number: str | None,
    lease_owner: str,
    lease_s: float,
) -> models.invoice_request | DocumentNumberHolders:
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
        json.dumps(rutter_request_body),
        lease_owner,
        lease_s,
        document_number or None,
        document_number,
    )
    assert row is not None
    request = _request_from_json(row["request"])
    if request is None:
        return DocumentNumberHolders(invoice_id=row["invoice_id"], request_id=row["request_id"])
    return request


_CLAIM_REQUEST = """
UPDATE invoice_request
SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3), updated_at = now(),
    attempts = attempts + CASE WHEN rutter_job_id IS NULL THEN 1 ELSE 0 END
WHERE id = $1::uuid AND status = 'PENDING'
  AND (lease_expires_at IS NULL OR lease_expires_at < now() OR lease_owner = $4)
RETURNING to_json(invoice_request.*)::text AS request
"""


async def claim_request(
    db: Prisma, request_id: str, owner: str, lease_s: float, *, abandoned_by: str | None = None
) -> models.invoice_request | None:
    """Leases a pending request whose lease is free or expired, or still held by `abandoned_by` (a
    worker known to have given up); None when someone else holds it.

    A request without a job id is about to be sent to Rutter (again): that counts as an attempt.
    """
    row = await db.query_first(_CLAIM_REQUEST, request_id, owner, lease_s, abandoned_by)
    return _request_from_json(row["request"]) if row else None


async def release_request(db: Prisma, request_id: str, owner: str) -> models.invoice_request | None:
    """Gives up the owner's lease (the request stays pending); returns the request as it is now."""
    await db.invoice_request.update_many(
        where={"id": request_id, "lease_owner": owner},
        data={"lease_owner": None, "lease_expires_at": None, "updated_at": _now()},
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


async def record_job_id(db: Prisma, request_id: str, job_id: str) -> None:
    """Stores Rutter's job id the moment it is known: from then on recovery only polls."""
    await db.invoice_request.update_many(
        where={"id": request_id}, data={"rutter_job_id": job_id, "updated_at": _now()}
    )


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
    now = _now()
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
            "completed_at": now,
            "updated_at": now,
        },
    )


async def pending_requests_to_recover(db: Prisma, limit: int = 100) -> list[models.invoice_request]:
    """Pending requests nobody holds (their worker crashed or gave up), oldest first.

    Read with this process's clock; claiming one (claim_request) checks the lease again with the
    database's, so a clock ahead of the database's never takes over a live lease.
    """
    return await db.invoice_request.find_many(
        where={"status": PENDING, "OR": [{"lease_expires_at": None}, {"lease_expires_at": {"lt": _now()}}]},
        order={"created_at": "asc"},
        take=limit,
    )


async def prune_idempotency_keys(db: Prisma, older_than_hours: float) -> int:
    """Forgets client Idempotency-Keys older than the retention; the requests themselves stay."""
    return await db.invoice_request.update_many(
        where={
            "client_idempotency_key": {"not": None},
            "created_at": {"lt": _now() - timedelta(hours=older_than_hours)},
        },
        data={"client_idempotency_key": None, "request_fingerprint": None},
    )


# --------------------------------------------------------------------------------------------
# Accounting invoices (acc_uac_invoice and its uac_line_item rows)
# --------------------------------------------------------------------------------------------


async def load_invoice(
    db: Prisma, invoice_id: str
) -> tuple[models.acc_uac_invoice, list[models.uac_line_item]] | None:
    invoice = await db.acc_uac_invoice.find_unique(
        where={"id": invoice_id},
        include={"line_items": {"order_by": [{"sort_order": "asc"}, {"created_at": "asc"}, {"id": "asc"}]}},
    )
    if invoice is None:
        return None
    return invoice, invoice.line_items or []


@dataclass
class StoredInvoice:
    """What the write-back stored: the completed request, the invoice and its lines."""

    request: models.invoice_request
    invoice: models.acc_uac_invoice
    lines: list[models.uac_line_item]


_COMPLETE_REQUEST = """
WITH invoice AS (
    INSERT INTO acc_uac_invoice (
        organization_id, provider_entity_id, platform_id, account_id, customer_id, stream_customer_id,
        subsidiary_id, issue_date, due_date, status, memo, document_number, currency_code, amount_due,
        total_amount, sub_total, tax_amount, total_discount, platform_url
    ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::uac_bill_status, $11, $12, $13, $14, $15,
              $16, $17, $18, $19)
    ON CONFLICT (organization_id, provider_entity_id) DO UPDATE SET
        platform_id = EXCLUDED.platform_id, customer_id = EXCLUDED.customer_id,
        stream_customer_id = EXCLUDED.stream_customer_id, issue_date = EXCLUDED.issue_date,
        due_date = EXCLUDED.due_date, status = EXCLUDED.status, memo = EXCLUDED.memo,
        document_number = EXCLUDED.document_number, currency_code = EXCLUDED.currency_code,
        amount_due = EXCLUDED.amount_due, total_amount = EXCLUDED.total_amount,
        sub_total = EXCLUDED.sub_total, total_discount = EXCLUDED.total_discount,
        platform_url = EXCLUDED.platform_url, updated_at = now()
    RETURNING *
), replaced AS (
    DELETE FROM uac_line_item WHERE acc_uac_invoice_id = (SELECT id FROM invoice)
), lines AS (
    INSERT INTO uac_line_item (
        acc_uac_invoice_id, provider_entity_id, platform_id, account_id, item_id, tax_rate_id,
        description, quantity, unit_amount, total_amount, sub_total, tax_amount, discount_amount,
        discount_percentage, sort_order
    )
    SELECT (SELECT id FROM invoice), l.item_id, l.platform_id, l.account_id, l.item_id, l.tax_rate_id,
           l.description, l.quantity, l.unit_amount, l.total_amount, l.sub_total, l.tax_amount,
           l.discount_amount, l.discount_percentage, l.position - 1
    FROM unnest($21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::float8[],
                $27::float8[], $28::numeric[], $29::float8[], $30::float8[], $31::float8[], $32::float8[])
         WITH ORDINALITY AS l(item_id, platform_id, account_id, tax_rate_id, description, quantity,
                              unit_amount, total_amount, sub_total, tax_amount, discount_amount,
                              discount_percentage, position)
    RETURNING *
), request AS (
    UPDATE invoice_request
    SET status = 'COMPLETED', acc_uac_invoice_id = (SELECT id FROM invoice), rutter_invoice_id = $2,
        lease_owner = NULL, lease_expires_at = NULL, completed_at = now(), updated_at = now()
    WHERE id = $20 AND status = 'PENDING'
    RETURNING *
)
SELECT (SELECT to_json(invoice)::text FROM invoice) AS invoice,
       (SELECT COALESCE(json_agg(to_json(lines) ORDER BY lines.sort_order), '[]')::text
        FROM lines) AS lines,
       (SELECT to_json(request)::text FROM request) AS request
"""


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


async def complete_request(
    db: Prisma, request: models.invoice_request, charge: Charge, rutter_invoice: RutterInvoice
) -> StoredInvoice:
    """Stores Rutter's invoice with its lines and marks the request completed: one statement, so
    all of it or none of it is written.

    The upsert on (organization_id, provider_entity_id) makes a replay of the same Rutter invoice
    update the row instead of adding one. Written by hand because it still pays: the client would
    take an interactive transaction and a statement per table.
    """
    lines = rutter_invoice.line_items
    record = await db.query_first(
        _COMPLETE_REQUEST,
        charge.invoice.organization_id,
        rutter_invoice.id,
        rutter_invoice.platform_id,
        rutter_invoice.account_id,
        charge.uac_customer.id if charge.uac_customer else None,
        charge.invoice.stream_customer_id,
        rutter_invoice.subsidiary_id,
        rutter_invoice.issue_date,
        rutter_invoice.due_date,
        _bill_status(rutter_invoice.status),
        rutter_invoice.memo,
        rutter_invoice.document_number,
        rutter_invoice.currency_code,
        rutter_invoice.amount_due,
        rutter_invoice.total_amount,
        rutter_invoice.sub_total,
        rutter_invoice.tax_amount,
        rutter_invoice.total_discount,
        rutter_invoice.platform_url,
        request.id,
        [line.item_id for line in lines],
        [line.platform_id for line in lines],
        [line.account_id for line in lines],
        [line.tax_rate_id for line in lines],
        [line.description for line in lines],
        [_float(line.quantity) for line in lines],
        [_float(line.unit_amount) for line in lines],
        [line.total_amount for line in lines],
        [_float(line.sub_total) for line in lines],
        [_float(line.tax_amount) for line in lines],
        [_float(line.discount_amount) for line in lines],
        [_float(line.discount_percentage) for line in lines],
    )
    assert record is not None
    completed = _request_from_json(record["request"])
    if completed is None:  # another worker completed it first: same Rutter invoice, same row
        completed = await get_request(db, request.id)
        assert completed is not None
    return StoredInvoice(
        request=completed,
        invoice=models.acc_uac_invoice.model_validate(_json(record["invoice"])),
        lines=[models.uac_line_item.model_validate(line) for line in _json(record["lines"])],
    )


def _json(text: str) -> Any:
    """The write-back's JSON: amounts parsed as exact Decimals (scale kept: 1750.10 stays 1750.10)."""
    return json.loads(text, parse_float=Decimal)


_BILL_STATUSES = {"open", "partially_paid", "paid", "void", "draft", "unknown", "submitted"}


def _bill_status(status: str | None) -> str | None:
    """Rutter's 2024-08-31 statuses include some the streamOS enum lacks; those are stored as unknown."""
    if status is None:
        return None
    return status if status in _BILL_STATUSES else "unknown"


# The throttle's clock is the database's too: one rule across every process.
_CLAIM_EMAIL_RESEND = """
WITH claimed AS (
    INSERT INTO invoice_email_resend AS resend (request_id, last_sent_at) VALUES ($1::uuid, now())
    ON CONFLICT (request_id) DO UPDATE SET last_sent_at = now()
    WHERE resend.last_sent_at <= now() - make_interval(secs => $2)
    RETURNING true AS claimed
)
SELECT (SELECT claimed FROM claimed) AS claimed
"""

_RESEND_WAIT = """
SELECT EXTRACT(EPOCH FROM last_sent_at + make_interval(secs => $2) - now())::float8 AS wait_s
FROM invoice_email_resend WHERE request_id = $1::uuid
"""


async def claim_email_resend(db: Prisma, request_id: str, interval_s: float) -> float | None:
    """Records a resend of the request's email unless one was recorded less than `interval_s` ago
    (atomically, whatever the processes); returns None when recorded, else the seconds to wait."""
    row = await db.query_first(_CLAIM_EMAIL_RESEND, request_id, interval_s)
    if row is not None and row["claimed"]:
        return None
    waiting = await db.query_first(_RESEND_WAIT, request_id, interval_s)
    return max(float((waiting or {}).get("wait_s") or 0.0), 0.0)


async def claim_email(db: Prisma, invoice_id: str, *, resend: bool = False) -> bool:
    """Marks the invoice's email as being sent. Without `resend` only an invoice never emailed can be
    claimed, so an email goes out at most once; False when there is nothing to claim."""
    where: acc_uac_invoiceWhereInput = (
        {"id": invoice_id} if resend else {"id": invoice_id, "email_status": None}
    )
    claimed = await db.acc_uac_invoice.update_many(
        where=where, data={"email_status": "SENDING", "updated_at": _now()}
    )
    return claimed == 1


async def completed_requests_with_unsent_email(
    db: Prisma, grace_s: float, limit: int = 100
) -> list[models.invoice_request]:
    """Requests completed more than `grace_s` ago that asked for an email which never started (the
    worker died first); the grace keeps the sweep from racing a live worker about to send it."""
    return await db.invoice_request.find_many(
        where={
            "status": COMPLETED,
            "send_email": True,
            "acc_uac_invoice": {"is": {"email_status": None}},
            "completed_at": {"lt": _now() - timedelta(seconds=grace_s)},
        },
        order={"completed_at": "asc"},
        take=limit,
    )


async def set_email_outcome(
    db: Prisma, invoice_id: str, status: str, pdf_link: str | None
) -> models.acc_uac_invoice:
    data: acc_uac_invoiceUpdateInput = {"email_status": status, "updated_at": _now()}
    if pdf_link is not None:
        data["pdf_link"] = pdf_link
    invoice = await db.acc_uac_invoice.update(where={"id": invoice_id}, data=data)
    assert invoice is not None
    return invoice
