"""Rutter's answers in both versions parse into the same models, with exact Decimal amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from api.rutter.schemas import AsyncResponse, Job, RutterInvoice
from tests.rutter.conftest import ACCESS_TOKEN, INVOICE_ID, invoice_2023


def invoice_2024(**overrides: Any) -> dict[str, Any]:
    """An invoice in the 2024-08-31 shape (amounts as numbers, nested line item)."""
    return {
        "id": INVOICE_ID,
        "platform_id": "145",
        "account_id": "acc-1",
        "customer_id": "cus-1",
        "subsidiary_id": None,
        "due_date": "2024-05-31T00:00:00Z",
        "issue_date": "2024-05-01T00:00:00Z",
        "status": "open",
        "amount_due": 0.3,
        "currency_code": "USD",
        "discount_amount": 0.07,
        "document_number": "INV-1001",
        "memo": None,
        "sub_total": 0.3,
        "tax_amount": 0,
        "total_amount": 0.3,
        "linked_payments": [],
        "line_items": [
            {
                "platform_id": "1",
                "account_id": "acc-1",
                "tax_rate_id": "tax-1",
                "description": "Platform fee",
                "discount_amount": 0,
                "discount_percentage": 12.5,
                "sub_total": 0.1,
                "tax_amount": 0,
                "total_amount": 0.1,
                "type": None,
                "item": {"id": "item-1", "quantity": 3, "unit_amount": 0.1 / 3},
            },
            {"platform_id": "2", "total_amount": 0.2, "item": None},
        ],
        "created_at": "2024-05-01T00:00:00Z",
        "updated_at": "2024-05-01T00:00:00Z",
        "last_synced_at": "2024-05-01T00:00:00Z",
        "platform_url": "https://app.qbo.intuit.com/app/invoice?txnId=145",
        **overrides,
    }


def test_2023_invoice_amounts_given_as_strings_become_exact_decimals() -> None:
    invoice = RutterInvoice.model_validate(invoice_2023())

    assert invoice.amount_due == Decimal("14.34")
    assert invoice.sub_total == Decimal("12.34")
    assert invoice.tax_amount == Decimal("2")
    assert invoice.total_discount == Decimal("0")
    [line] = invoice.line_items
    assert line.id == "line-1"
    assert line.item_id == "item-1"
    assert line.total_amount == Decimal("14.34")  # 2023-03-14 calls it `amount`
    assert line.unit_amount == Decimal("12.34")
    assert line.quantity == Decimal("1")


def test_2024_invoice_amounts_given_as_numbers_become_exact_decimals() -> None:
    invoice = RutterInvoice.model_validate(invoice_2024())

    assert invoice.total_amount == Decimal("0.3")
    assert str(invoice.total_amount) == "0.3"  # not 0.299999999999999988897769753748...
    assert sum(line.total_amount or 0 for line in invoice.line_items) == invoice.total_amount
    assert invoice.total_discount == Decimal("0.07")  # 2024-08-31 calls it `discount_amount`
    first, second = invoice.line_items
    assert first.id is None
    assert (first.item_id, first.quantity) == ("item-1", Decimal("3"))
    assert first.unit_amount == Decimal(str(0.1 / 3))
    assert first.discount_percentage == Decimal("12.5")
    assert second.item_id is None
    assert invoice.platform_url == "https://app.qbo.intuit.com/app/invoice?txnId=145"


def test_both_versions_of_the_same_invoice_normalise_to_equal_fields() -> None:
    amounts_2023 = {"amount_due": "0.3", "sub_total": "0.3", "tax_amount": "0", "total_amount": "0.3"}
    from_2023 = RutterInvoice.model_validate(invoice_2023(**amounts_2023, total_discount="0.07"))
    from_2024 = RutterInvoice.model_validate(invoice_2024())

    for field in ("amount_due", "sub_total", "tax_amount", "total_amount", "total_discount", "due_date"):
        assert getattr(from_2023, field) == getattr(from_2024, field), field


def test_dates_are_timezone_aware_whatever_form_rutter_uses() -> None:
    invoice = RutterInvoice.model_validate(
        invoice_2023(issue_date="2024-05-01", due_date="2024-05-31T12:00:00")
    )

    assert invoice.issue_date == datetime(2024, 5, 1, tzinfo=UTC)
    assert invoice.due_date == datetime(2024, 5, 31, 12, tzinfo=UTC)
    zulu = RutterInvoice.model_validate(invoice_2023(due_date="2023-01-02T02:34:56.000Z"))
    assert zulu.due_date is not None and zulu.due_date.utcoffset() is not None


def test_missing_or_null_optional_fields_are_none() -> None:
    invoice = RutterInvoice.model_validate({"id": INVOICE_ID, "due_date": None, "line_items": None})

    assert (invoice.due_date, invoice.total_amount, invoice.line_items) == (None, None, [])


def test_unknown_keys_are_ignored() -> None:
    invoice = RutterInvoice.model_validate(invoice_2023(platform_data={"x": 1}, brand_new_field="y"))

    assert not hasattr(invoice, "brand_new_field")


@pytest.mark.parametrize("amount", ["twelve", True, "NaN", "Infinity", [1]])
def test_an_amount_that_is_not_a_finite_number_is_refused(amount: Any) -> None:
    with pytest.raises(ValidationError):
        RutterInvoice.model_validate(invoice_2023(total_amount=amount))


def test_job_parses_both_finished_and_running_states() -> None:
    running = Job.model_validate(
        {"id": "j", "status": "prequeued", "request": {"method": "POST", "url": "u"}}
    )
    failed = Job.model_validate(
        {"id": "j", "status": "failure", "response": {"http_status": 450, "body": {"error_code": "X"}}}
    )

    assert not running.finished
    assert failed.finished
    assert failed.response is not None and failed.response.http_status == 450


def test_job_request_url_is_kept_without_the_access_token() -> None:
    url = f"https://production.rutterapi.com/versioned/accounting/invoices?access_token={ACCESS_TOKEN}"
    job = Job.model_validate({"id": "j", "status": "pending", "request": {"method": "POST", "url": url}})

    assert job.request is not None and job.request.url is not None
    assert ACCESS_TOKEN not in job.request.url
    assert ACCESS_TOKEN not in repr(job)


def test_async_response_carries_the_job_id() -> None:
    answer = AsyncResponse.model_validate(
        {"id": "j-1", "status": "pending", "response_url": "https://x/jobs/j-1"}
    )

    assert answer.id == "j-1"
