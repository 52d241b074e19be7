"""All SQL of the invoice flow: loading a charge, invoice requests, and the write-back."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel

from api.db.models import (
    AccUacInvoice,
    Customer,
    InvoiceAdjustment,
    InvoiceAdjustmentLineItem,
    InvoiceRequest,
    Organization,
    Product,
    UacAddress,
    UacCustomer,
    UacInvoice,
    UacItem,
    UacLineItem,
)
from api.invoices.charge import Charge, ChargeLineItem
from api.rutter.schemas import RutterInvoice

Model = TypeVar("Model", bound=BaseModel)
Executor = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy


def _aware(value: Any) -> Any:
    """Timestamps stored without a zone are UTC; make that explicit."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _row(model: type[Model], record: asyncpg.Record) -> Model:
    return model.model_validate({key: _aware(value) for key, value in record.items()})


def _rows(model: type[Model], records: Iterable[asyncpg.Record]) -> list[Model]:
    return [_row(model, record) for record in records]


# --------------------------------------------------------------------------------------------
# Charges
# --------------------------------------------------------------------------------------------

# The whole charge as one JSON document: one round trip and one JSON parse, whatever the lines.
# (json rather than jsonb: PostgreSQL builds it as text, which is all the service reads.)
_CHARGE = """
SELECT json_build_object(
    'invoice', to_json(i),
    'organization', to_json(o),
    'customer', to_json(c),
    'uac_customer', to_json(uc),
    'addresses', COALESCE((SELECT json_agg(to_json(a) ORDER BY a.type) FROM uac_address a
                           WHERE a.uac_customer_id = uc.id), '[]'::json),
    'adjustments', COALESCE((SELECT json_agg(to_json(ia) ORDER BY ia.created_at, ia.invoice_adjustment_id)
                             FROM invoice_adjustment ia WHERE ia.invoice_id = i.id), '[]'::json),
    'lines', COALESCE((
        SELECT json_agg(json_build_object(
                   'line', to_json(li), 'product', to_json(p), 'uac_item', to_json(ui),
                   'adjustments', COALESCE((SELECT json_agg(to_json(al))
                                            FROM invoice_adjustment_line_item al
                                            WHERE al.invoice_line_item_id = li.id), '[]'::json))
                   ORDER BY li.sort_order, li.created_at, li.id)
        FROM uac_line_item li
        LEFT JOIN product p ON p.product_id = li.product_id
        LEFT JOIN uac_item ui ON ui.id = p.uac_item_id
        WHERE li.uac_invoice_id = i.id), '[]'::json),
    'live_request', (SELECT to_json(r) FROM invoice_request r WHERE r.active_charge_id = i.id),
    'invoice_with_document_number', (
        SELECT a.id FROM acc_uac_invoice a
        WHERE a.organization_id = i.organization_id AND a.document_number = i.document_number
        ORDER BY a.created_at LIMIT 1),
    'request_with_document_number', (
        SELECT r.id FROM invoice_request r
        WHERE r.organization_id = i.organization_id AND r.active_document_number = i.document_number
          AND r.charge_id <> i.id)
)::text
FROM uac_invoice i
JOIN organization o ON o.id = i.organization_id
LEFT JOIN customer c ON c.customer_id = i.stream_customer_id
LEFT JOIN uac_customer uc ON uc.id = c.uac_customer_id
WHERE i.id = $1
"""


def _json(value: Any) -> Any:
    """A jsonb column value: numbers exact (Decimal), timestamps without zone read as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return json.loads(value, parse_float=Decimal)
    return value


def _from_json(model: type[Model], document: dict[str, Any]) -> Model:
    """A row from the JSON PostgreSQL rendered; the document (freshly parsed, ours) is fixed in place."""
    # to_json renders `timestamp` columns without an offset (`timestamptz` ones with one); they hold UTC.
    for name in _datetime_fields(model):
        value = document.get(name)
        if value is not None and not _has_offset(value):
            document[name] = value + "+00:00"
    return model.model_validate(document)


@functools.cache
def _datetime_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The model's datetime fields, worked out once per model rather than for every row loaded."""
    return tuple(name for name, field in model.model_fields.items() if "datetime" in str(field.annotation))


def _has_offset(timestamp: str) -> bool:
    tail = timestamp[19:]  # after YYYY-MM-DDTHH:MM:SS
    return "+" in tail or "-" in tail or tail.endswith("Z")


@dataclass
class ChargeState:
    """A charge and what decides whether it may be invoiced now."""

    charge: Charge
    # The request holding the charge (running or completed), if any.
    live_request: InvoiceRequest | None
    # An acc_uac_invoice of the organization that already has the charge's document number.
    invoice_with_document_number: str | None
    # A live request of another charge of the organization with the same document number.
    request_with_document_number: str | None


async def load_charge_state(executor: Executor, charge_id: str) -> ChargeState | None:
    """The charge with its organization, customers, addresses, lines, products, items and
    adjustments, the request holding it and any invoice with its document number.

    One round trip whatever the number of line items.
    """
    document = _json(await executor.fetchval(_CHARGE, charge_id))
    if document is None:
        return None
    customer = document["customer"]
    uac_customer = document["uac_customer"]
    charge = Charge(
        invoice=_from_json(UacInvoice, document["invoice"]),
        organization=_from_json(Organization, document["organization"]),
        customer=_from_json(Customer, customer) if customer else None,
        uac_customer=_from_json(UacCustomer, uac_customer) if uac_customer else None,
        addresses=[_from_json(UacAddress, a) for a in document["addresses"]],
        adjustments=[_from_json(InvoiceAdjustment, a) for a in document["adjustments"]],
        line_items=[_line_item(line) for line in document["lines"]],
    )
    live_request = document["live_request"]
    return ChargeState(
        charge=charge,
        live_request=_from_json(InvoiceRequest, live_request) if live_request else None,
        invoice_with_document_number=document["invoice_with_document_number"],
        request_with_document_number=document["request_with_document_number"],
    )


async def load_charge(executor: Executor, charge_id: str) -> Charge | None:
    state = await load_charge_state(executor, charge_id)
    return state.charge if state else None


def _line_item(document: dict[str, Any]) -> ChargeLineItem:
    product = document["product"]
    uac_item = document["uac_item"]
    return ChargeLineItem(
        line=_from_json(UacLineItem, document["line"]),
        product=_from_json(Product, product) if product else None,
        uac_item=_from_json(UacItem, uac_item) if uac_item else None,
        adjustments=[_from_json(InvoiceAdjustmentLineItem, a) for a in document["adjustments"]],
    )


# --------------------------------------------------------------------------------------------
# Invoice requests
# --------------------------------------------------------------------------------------------

DOCUMENT_NUMBER_HELD = "invoice_request_organization_id_active_document_number_key"


async def get_request(executor: Executor, request_id: str) -> InvoiceRequest | None:
    record = await executor.fetchrow("SELECT * FROM invoice_request WHERE id = $1", request_id)
    return _row(InvoiceRequest, record) if record else None


async def get_request_by_client_key(executor: Executor, key: str) -> InvoiceRequest | None:
    record = await executor.fetchrow("SELECT * FROM invoice_request WHERE client_idempotency_key = $1", key)
    return _row(InvoiceRequest, record) if record else None


async def insert_request(
    executor: Executor,
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
) -> InvoiceRequest:
    """Records a new request holding the charge (and its document number) leased to `lease_owner`.

    Raises asyncpg.UniqueViolationError when the charge or the document number is already held, or
    the key already used (the constraint name tells which).
    """
    record = await executor.fetchrow(
        """
        INSERT INTO invoice_request (
            id, charge_id, organization_id, active_charge_id, status, send_email, client_idempotency_key,
            request_fingerprint, rutter_idempotency_key, rutter_version, rutter_request_body,
            lease_owner, lease_expires_at, attempts, active_document_number
        ) VALUES ($1, $2, $3, $2, 'PENDING', $4, $5, $6, $7, $8, $9::jsonb, $10,
                  now() + make_interval(secs => $11), 1, $12)
        RETURNING *
        """,
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
        document_number,
    )
    assert record is not None
    return _row(InvoiceRequest, record)


async def claim_request(
    executor: Executor, request_id: str, owner: str, lease_s: float, *, abandoned_by: str | None = None
) -> InvoiceRequest | None:
    """Leases a pending request whose lease is free or expired, or still held by `abandoned_by` (a
    worker known to have given up); None when someone else holds it.

    A request without a job id is about to be sent to Rutter (again): that counts as an attempt.
    """
    record = await executor.fetchrow(
        """
        UPDATE invoice_request
        SET lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3), updated_at = now(),
            attempts = attempts + CASE WHEN rutter_job_id IS NULL THEN 1 ELSE 0 END
        WHERE id = $1 AND status = 'PENDING'
          AND (lease_expires_at IS NULL OR lease_expires_at < now() OR lease_owner = $4)
        RETURNING *
        """,
        request_id,
        owner,
        lease_s,
        abandoned_by,
    )
    return _row(InvoiceRequest, record) if record else None


async def release_request(executor: Executor, request_id: str, owner: str) -> InvoiceRequest | None:
    """Gives up the owner's lease (the request stays pending); returns the request as it is now."""
    record = await executor.fetchrow(
        """
        UPDATE invoice_request SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2
        RETURNING *
        """,
        request_id,
        owner,
    )
    return _row(InvoiceRequest, record) if record else None


async def renew_lease(executor: Executor, request_id: str, owner: str, lease_s: float) -> None:
    """Extends the owner's lease on a pending request (a no-op once it released or finished it)."""
    await executor.execute(
        """
        UPDATE invoice_request SET lease_expires_at = now() + make_interval(secs => $3)
        WHERE id = $1 AND lease_owner = $2 AND status = 'PENDING'
        """,
        request_id,
        owner,
        lease_s,
    )


async def record_job_id(executor: Executor, request_id: str, job_id: str) -> None:
    """Stores Rutter's job id the moment it is known: from then on recovery only polls."""
    await executor.execute(
        "UPDATE invoice_request SET rutter_job_id = $2, updated_at = now() WHERE id = $1", request_id, job_id
    )


async def fail_request(
    executor: Executor,
    request_id: str,
    *,
    error_code: str,
    error_detail: dict[str, Any],
    response_status: int,
    response_body: dict[str, Any],
) -> None:
    """Marks the request failed and frees the charge for a new request; keeps the answer to replay."""
    await executor.execute(
        """
        UPDATE invoice_request
        SET status = 'FAILED', active_charge_id = NULL, active_document_number = NULL, error_code = $2,
            error_detail = $3::jsonb,
            response_status = $4, response_body = $5::jsonb, lease_owner = NULL, lease_expires_at = NULL,
            completed_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'PENDING'
        """,
        request_id,
        error_code,
        error_detail,
        response_status,
        response_body,
    )


async def pending_requests_to_recover(executor: Executor, limit: int = 100) -> list[InvoiceRequest]:
    """Pending requests nobody holds (their worker crashed or gave up), oldest first."""
    records = await executor.fetch(
        """
        SELECT * FROM invoice_request
        WHERE status = 'PENDING' AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ORDER BY created_at LIMIT $1
        """,
        limit,
    )
    return _rows(InvoiceRequest, records)


async def prune_idempotency_keys(executor: Executor, older_than_hours: float) -> int:
    """Forgets client Idempotency-Keys older than the retention; the requests themselves stay."""
    result = await executor.execute(
        """
        UPDATE invoice_request SET client_idempotency_key = NULL, request_fingerprint = NULL
        WHERE client_idempotency_key IS NOT NULL AND created_at < now() - make_interval(secs => $1)
        """,
        older_than_hours * 3600,
    )
    return int(result.split()[-1])


# --------------------------------------------------------------------------------------------
# Accounting invoices (acc_uac_invoice and its uac_line_item rows)
# --------------------------------------------------------------------------------------------


async def load_invoice(executor: Executor, invoice_id: str) -> tuple[AccUacInvoice, list[UacLineItem]] | None:
    record = await executor.fetchrow("SELECT * FROM acc_uac_invoice WHERE id = $1", invoice_id)
    if record is None:
        return None
    lines = await executor.fetch(
        "SELECT * FROM uac_line_item WHERE acc_uac_invoice_id = $1 ORDER BY sort_order, created_at, id",
        invoice_id,
    )
    return _row(AccUacInvoice, record), _rows(UacLineItem, lines)


_REQUEST_AS_JSON = "SELECT to_json(r)::text FROM invoice_request r WHERE id = $1"


@dataclass
class StoredInvoice:
    """What the write-back stored: the completed request, the invoice and its lines."""

    request: InvoiceRequest
    invoice: AccUacInvoice
    lines: list[UacLineItem]


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
    executor: Executor, request: InvoiceRequest, charge: Charge, rutter_invoice: RutterInvoice
) -> StoredInvoice:
    """Stores Rutter's invoice with its lines and marks the request completed: one statement, so
    all of it or none of it is written.

    The upsert on (organization_id, provider_entity_id) makes a replay of the same Rutter invoice
    update the row instead of adding one.
    """
    lines = rutter_invoice.line_items
    record = await executor.fetchrow(
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
    completed = _json(record["request"])
    if completed is None:  # another worker completed it first: same Rutter invoice, same row
        completed = _json(await executor.fetchval(_REQUEST_AS_JSON, request.id))
    return StoredInvoice(
        request=_from_json(InvoiceRequest, completed),
        invoice=_from_json(AccUacInvoice, _json(record["invoice"])),
        lines=[_from_json(UacLineItem, line) for line in _json(record["lines"])],
    )


_BILL_STATUSES = {"open", "partially_paid", "paid", "void", "draft", "unknown", "submitted"}


def _bill_status(status: str | None) -> str | None:
    """Rutter's 2024-08-31 statuses include some the streamOS enum lacks; those are stored as unknown."""
    if status is None:
        return None
    return status if status in _BILL_STATUSES else "unknown"


async def claim_email_resend(executor: Executor, request_id: str, interval_s: float) -> float | None:
    """Records a resend of the request's email unless one was recorded less than `interval_s` ago
    (atomically, whatever the processes); returns None when recorded, else the seconds to wait."""
    claimed = await executor.fetchval(
        """
        INSERT INTO invoice_email_resend AS resend (request_id, last_sent_at) VALUES ($1, now())
        ON CONFLICT (request_id) DO UPDATE SET last_sent_at = now()
        WHERE resend.last_sent_at <= now() - make_interval(secs => $2)
        RETURNING true
        """,
        request_id,
        interval_s,
    )
    if claimed:
        return None
    wait_s = await executor.fetchval(
        """
        SELECT EXTRACT(EPOCH FROM last_sent_at + make_interval(secs => $2) - now())::float8
        FROM invoice_email_resend WHERE request_id = $1
        """,
        request_id,
        interval_s,
    )
    return max(float(wait_s or 0.0), 0.0)


async def claim_email(executor: Executor, invoice_id: str, *, resend: bool = False) -> bool:
    """Marks the invoice's email as being sent. Without `resend` only an invoice never emailed can be
    claimed, so an email goes out at most once; False when there is nothing to claim."""
    result = await executor.execute(
        """
        UPDATE acc_uac_invoice SET email_status = 'SENDING', updated_at = now()
        WHERE id = $1 AND (email_status IS NULL OR $2)
        """,
        invoice_id,
        resend,
    )
    return result.endswith(" 1")


async def completed_requests_with_unsent_email(
    executor: Executor, grace_s: float, limit: int = 100
) -> list[InvoiceRequest]:
    """Requests completed more than `grace_s` ago that asked for an email which never started (the
    worker died first); the grace keeps the sweep from racing a live worker about to send it."""
    records = await executor.fetch(
        """
        SELECT r.* FROM invoice_request r JOIN acc_uac_invoice i ON i.id = r.acc_uac_invoice_id
        WHERE r.status = 'COMPLETED' AND r.send_email AND i.email_status IS NULL
          AND r.completed_at < now() - make_interval(secs => $2)
        ORDER BY r.completed_at LIMIT $1
        """,
        limit,
        grace_s,
    )
    return _rows(InvoiceRequest, records)


async def set_email_outcome(
    executor: Executor, invoice_id: str, status: str, pdf_link: str | None
) -> AccUacInvoice:
    record = await executor.fetchrow(
        """
        UPDATE acc_uac_invoice SET email_status = $2, pdf_link = COALESCE($3, pdf_link), updated_at = now()
        WHERE id = $1
        RETURNING *
        """,
        invoice_id,
        status,
        pdf_link,
    )
    assert record is not None
    return _row(AccUacInvoice, record)
