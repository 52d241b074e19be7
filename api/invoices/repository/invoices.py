"""Accounting invoices: the one-statement write-back of Rutter's invoice, reading it back, its email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import TypeAdapter

from api.invoices.charge import Charge
from api.invoices.repository.requests import (
    COMPLETED,
    REQUEST_COLUMNS,
    get_request,
    now,
    request_from_json,
)
from api.invoices.stored import RequestRow, StoredInvoiceRow, StoredInvoiceTree, StoredLineRow, columns
from api.rutter.schemas import RutterInvoice, RutterInvoiceLine
from prisma import Prisma
from prisma.types import acc_uac_invoiceUpdateInput, acc_uac_invoiceWhereInput


async def load_invoice(db: Prisma, invoice_id: str) -> tuple[StoredInvoiceRow, list[StoredLineRow]] | None:
    invoice = await StoredInvoiceTree.prisma(db).find_unique(
        where={"id": invoice_id},
        include={"line_items": {"order_by": [{"sort_order": "asc"}, {"created_at": "asc"}, {"id": "asc"}]}},
    )
    if invoice is None:
        return None
    return invoice, invoice.line_items


@dataclass
class StoredInvoice:
    """What the write-back stored: the completed request, the invoice and its lines."""

    request: RequestRow
    invoice: StoredInvoiceRow
    lines: list[StoredLineRow]


# The columns read back are the fields of the stored.py classes (constants, not input).
_COMPLETE_REQUEST = f"""
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
    FROM ROWS FROM (
        json_to_recordset($21::json) AS (
            item_id text, platform_id text, account_id text, tax_rate_id text, description text,
            quantity float8, unit_amount float8, total_amount numeric, sub_total float8,
            tax_amount float8, discount_amount float8, discount_percentage float8
        )
    ) WITH ORDINALITY AS l(item_id, platform_id, account_id, tax_rate_id, description, quantity,
                           unit_amount, total_amount, sub_total, tax_amount, discount_amount,
                           discount_percentage, position)
    RETURNING *
), request AS (
    UPDATE invoice_request
    SET status = 'COMPLETED', acc_uac_invoice_id = (SELECT id FROM invoice), rutter_invoice_id = $2,
        lease_owner = NULL, lease_expires_at = NULL, completed_at = now(), updated_at = now()
    WHERE id = $20 AND status = 'PENDING'
    RETURNING {REQUEST_COLUMNS}
)
SELECT (SELECT to_json(i)::text FROM (SELECT {columns(StoredInvoiceRow)} FROM invoice) i) AS invoice,
       (SELECT COALESCE(json_agg(to_json(l) ORDER BY l.sort_order), '[]')::text
        FROM (SELECT {columns(StoredLineRow)}, sort_order FROM lines) l) AS lines,
       (SELECT to_json(request)::text FROM request) AS request
"""  # noqa: S608


# Rutter's lines go to the statement as one JSON document, read by json_to_recordset: one
# parameter serialised by pydantic-core, where twelve arrays cost asyncpg several times the CPU
# (their amounts as decimal strings: exact for the numeric column, read as float8 for the others).
# json, not jsonb: PostgreSQL reads the text once instead of building a jsonb value first; and
# null fields are left out (a missing key reads as NULL): less for it to parse.
_LINES = TypeAdapter(list[RutterInvoiceLine])


async def complete_request(
    db: Prisma, request: RequestRow, charge: Charge, rutter_invoice: RutterInvoice
) -> StoredInvoice:
    """Stores Rutter's invoice with its lines and marks the request completed: one statement, so
    all of it or none of it is written.

    The upsert on (organization_id, provider_entity_id) makes a replay of the same Rutter invoice
    update the row instead of adding one. Written by hand because it still pays: the client would
    take an interactive transaction and a statement per table.
    """
    record = await db.query_first(
        _COMPLETE_REQUEST,
        charge.uac_invoice.organization_id,
        rutter_invoice.id,
        rutter_invoice.platform_id,
        rutter_invoice.account_id,
        charge.uac_customer.id if charge.uac_customer else None,
        charge.uac_invoice.stream_customer_id,
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
        _LINES.dump_json(rutter_invoice.line_items, exclude_none=True).decode(),
    )
    assert record is not None
    completed = request_from_json(record["request"])
    if completed is None:  # another worker completed it first: same Rutter invoice, same row
        completed = await get_request(db, request.id)
        assert completed is not None
    return StoredInvoice(
        request=completed,
        invoice=StoredInvoiceRow.model_validate_json(record["invoice"]),
        lines=_STORED_LINES.validate_json(record["lines"]),
    )


# The write-back's lines, parsed in one pass (their amounts arrive as text: exact, scale kept).
_STORED_LINES = TypeAdapter(list[StoredLineRow])


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
        where=where, data={"email_status": "SENDING", "updated_at": now()}
    )
    return claimed == 1


async def completed_requests_with_unsent_email(
    db: Prisma, grace_s: float, limit: int = 100
) -> list[RequestRow]:
    """Requests completed more than `grace_s` ago that asked for an email which never started (the
    worker died first); the grace keeps the sweep from racing a live worker about to send it."""
    return await RequestRow.prisma(db).find_many(
        where={
            "status": COMPLETED,
            "send_email": True,
            "acc_uac_invoice": {"is": {"email_status": None}},
            "completed_at": {"lt": now() - timedelta(seconds=grace_s)},
        },
        order={"completed_at": "asc"},
        take=limit,
    )


async def set_email_outcome(
    db: Prisma, invoice_id: str, status: str, pdf_link: str | None
) -> StoredInvoiceRow:
    data: acc_uac_invoiceUpdateInput = {"email_status": status, "updated_at": now()}
    if pdf_link is not None:
        data["pdf_link"] = pdf_link
    invoice = await StoredInvoiceRow.prisma(db).update(where={"id": invoice_id}, data=data)
    assert invoice is not None
    return invoice
