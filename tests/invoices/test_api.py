"""POST /invoices, GET /invoices/requests/{id} and the preview, end to end through the ASGI app:
real PostgreSQL, the sandbox Rutter and email sink on real sockets."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest

from api.invoices import repository as repo
from devkit.demo import ACCESS_TOKEN, demo_charge_id
from tests.invoices.conftest import (
    ADJUSTED_CHARGE,
    CLEAN_CHARGE,
    ORG_ID,
    RECIPIENT,
    SUPPRESSED_CHARGE,
    UNRECONCILED_CUSTOMER_CHARGE,
    UNRECONCILED_ITEM_CHARGE,
    Harness,
)
from tests.invoices.factories import API_CALLS_DESCRIPTION

UNKNOWN_CHARGE = demo_charge_id(0xFFFF)


async def assert_nothing_written(harness: Harness) -> None:
    assert await harness.count("invoice_request") == 0
    assert await harness.count("acc_uac_invoice") == 0
    assert harness.sandbox.rutter.invoices == {}


# --- 201 ---------------------------------------------------------------------------------------


async def test_clean_charge_is_invoiced_and_stored(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert response.status_code == 201, response.text
    body = response.json()
    invoice = body["invoice"]
    assert invoice["document_number"] == "INV-1001"
    assert invoice["total_amount"] == "1750.00"
    assert invoice["currency_code"] == "USD"
    assert invoice["status"] == "open"
    assert invoice["organization_id"] == ORG_ID
    assert [line["description"] for line in invoice["line_items"]] == ["Platform fee", API_CALLS_DESCRIPTION]
    assert [line["total_amount"] for line in invoice["line_items"]] == ["1500.00", "250.00"]
    assert body["email"] == {"status": "SKIPPED", "to": None, "error": None}
    assert body["rutter"]["invoice_id"] == invoice["provider_entity_id"]
    assert body["rutter"]["job_id"]

    row = await harness.db.fetchrow("SELECT * FROM acc_uac_invoice WHERE id = $1", invoice["id"])
    assert row is not None
    assert row["provider_entity_id"] in harness.sandbox.rutter.invoices
    assert row["total_amount"] == Decimal("1750.00")
    assert row["stream_customer_id"] == invoice["stream_customer_id"]
    assert await harness.count("uac_line_item", "acc_uac_invoice_id = $1", invoice["id"]) == 2
    request = await harness.db.fetchrow("SELECT * FROM invoice_request WHERE id = $1", body["request_id"])
    assert request is not None
    assert request["status"] == "COMPLETED"
    assert request["acc_uac_invoice_id"] == invoice["id"]
    assert request["rutter_job_id"] == body["rutter"]["job_id"]


async def test_adjusted_line_is_invoiced_with_the_latest_adjustment(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": ADJUSTED_CHARGE})

    assert response.status_code == 201, response.text
    totals = [line["total_amount"] for line in response.json()["invoice"]["line_items"]]
    assert "160.00" in totals


async def test_rutter_receives_exactly_the_previewed_body(harness: Harness) -> None:
    preview = await harness.client.get(f"/charges/{SUPPRESSED_CHARGE}/invoice-preview")
    assert preview.status_code == 200, preview.text
    assert await harness.count("invoice_request") == 0
    assert harness.sandbox.rutter.requests == type(harness.sandbox.rutter.requests)()

    response = await harness.post_invoice({"charge_id": SUPPRESSED_CHARGE})

    assert response.status_code == 201, response.text
    creates = [r for r in harness.sandbox.rutter.requests if r["method"] == "POST"]
    assert len(creates) == 1
    assert creates[0]["body"] == preview.json()["request_body"]
    assert preview.json()["billable_line_items"] == 2


# --- 202 and the status URL ----------------------------------------------------------------------


@pytest.fixture
def slow_job(harness: Harness) -> None:
    harness.sandbox.rutter.hold_jobs()  # running until the test releases it, however slow the machine


@pytest.mark.parametrize("settings_overrides", [{"rutter_job_timeout_s": 0.1}])
async def test_slow_job_answers_202_then_completes_through_the_status_url(
    harness: Harness, slow_job: None
) -> None:
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "PENDING"
    assert response.headers["location"] == f"/invoices/requests/{body['request_id']}"
    assert await harness.count("acc_uac_invoice") == 0
    running = (await harness.client.get(response.headers["location"])).json()
    assert running["status"] == "PENDING"

    assert harness.sandbox.rutter.release_jobs() == 1
    status = (await harness.client.get(response.headers["location"])).json()  # polls the job again
    assert status["status"] == "COMPLETED"
    assert status["result"]["invoice"]["total_amount"] == "1750.00"
    assert await harness.count("acc_uac_invoice") == 1
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_unknown_request_id_is_404(harness: Harness) -> None:
    response = await harness.client.get(f"/invoices/requests/{UNKNOWN_CHARGE}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/invoices/"), ("GET", "/healthz/"), ("GET", f"/charges/{CLEAN_CHARGE}/invoice-preview/")],
)
async def test_a_trailing_slash_is_an_unknown_path_not_a_redirect(
    harness: Harness, method: str, path: str
) -> None:
    response = await harness.client.request(method, path, json={"charge_id": CLEAN_CHARGE})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    await assert_nothing_written(harness)


async def test_malformed_request_id_is_422(harness: Harness) -> None:
    response = await harness.client.get("/invoices/requests/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/requests/{hex}",
        "/invoices/requests/{{{uuid}}}",
        "/invoices/requests/urn:uuid:{uuid}",
        "/invoices/requests/{hex}/email",
        "/charges/{hex}/invoice-preview",
        "/charges/{{{uuid}}}/invoice-preview",
    ],
)
async def test_non_canonical_ids_in_paths_are_422(harness: Harness, path: str) -> None:
    url = path.format(hex=CLEAN_CHARGE.replace("-", ""), uuid=CLEAN_CHARGE)
    method = "POST" if url.endswith("/email") else "GET"
    response = await harness.client.request(method, url)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_upper_case_ids_in_paths_are_accepted(harness: Harness) -> None:
    response = await harness.client.get(f"/charges/{CLEAN_CHARGE.upper()}/invoice-preview")
    assert response.status_code == 200
    assert response.json()["charge_id"] == CLEAN_CHARGE


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {}),
        (json.dumps({"charge_id": "not-a-uuid"}).encode(), {}),
        (json.dumps({"charge_id": CLEAN_CHARGE, "surprise": 1}).encode(), {}),
        (json.dumps({"send_email": True}).encode(), {}),
        (json.dumps({"charge_id": CLEAN_CHARGE, "send_email": "perhaps"}).encode(), {}),
        (json.dumps({"charge_id": CLEAN_CHARGE}).encode(), {"Idempotency-Key": "x" * 256}),
        (json.dumps({"charge_id": CLEAN_CHARGE}).encode(), {"Idempotency-Key": "tab\tinside"}),
        (json.dumps({"charge_id": CLEAN_CHARGE}).encode(), {"Idempotency-Key": ""}),
        (json.dumps({"charge_id": CLEAN_CHARGE}).encode(), {"Idempotency-Key": "   "}),
        (json.dumps({"charge_id": CLEAN_CHARGE.replace("-", "")}).encode(), {}),
        (json.dumps({"charge_id": "{" + CLEAN_CHARGE + "}"}).encode(), {}),
        (json.dumps({"charge_id": CLEAN_CHARGE, "send_email": "yes"}).encode(), {}),
        (json.dumps({"charge_id": CLEAN_CHARGE, "send_email": 1}).encode(), {}),
        (b'{"charge_id": "\xff"}', {}),
        (b"[" * 100_000, {}),
    ],
    ids=[
        "bad-json",
        "charge-id-not-uuid",
        "unknown-field",
        "missing-charge-id",
        "bad-send-email",
        "key-too-long",
        "key-not-printable",
        "key-empty",
        "key-blank",
        "uuid-without-hyphens",
        "uuid-in-braces",
        "send-email-yes",
        "send-email-1",
        "invalid-utf8",
        "absurd-nesting",
    ],
)
async def test_malformed_requests_are_422_validation_error(
    harness: Harness, content: bytes, headers: dict[str, str]
) -> None:
    response = await harness.client.post(
        "/invoices", content=content, headers={"Content-Type": "application/json", **headers}
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"]
    await assert_nothing_written(harness)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_not_sent_as_json_says_which_content_type_to_use(
    harness: Harness, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await harness.client.post(
        "/invoices", content=json.dumps({"charge_id": CLEAN_CHARGE}).encode(), headers=headers
    )
    assert response.status_code == 422
    [field] = response.json()["error"]["details"]["fields"]
    assert field["location"] == ["header", "Content-Type"]
    assert "Content-Type: application/json" in field["message"]
    assert (content_type or "none") in field["message"]


async def test_broken_json_is_located_by_line_and_column(harness: Harness) -> None:
    body = '{\n  "charge_id": "' + CLEAN_CHARGE + '",,\n}'
    response = await harness.client.post(
        "/invoices", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    [field] = response.json()["error"]["details"]["fields"]
    assert field["location"] == ["body"]
    assert field["message"].startswith("Invalid JSON at line 2, column 55: ")


# --- refusals before Rutter --------------------------------------------------------------------


async def test_unknown_charge_is_404(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": UNKNOWN_CHARGE})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    await assert_nothing_written(harness)


async def test_unreconciled_customer_is_409(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": UNRECONCILED_CUSTOMER_CHARGE})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "UNRECONCILED_CUSTOMER"
    assert error["details"]["customer_id"]
    await assert_nothing_written(harness)


async def test_unreconciled_item_is_409_listing_the_line(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": UNRECONCILED_ITEM_CHARGE})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "UNRECONCILED_ITEM"
    assert len(error["details"]["line_items"]) >= 1
    await assert_nothing_written(harness)


async def test_all_lines_filtered_out_is_422_no_billable_line_items(harness: Harness) -> None:
    await harness.db.execute(
        "UPDATE uac_line_item SET suppress_line_item = NULL WHERE uac_invoice_id = $1", CLEAN_CHARGE
    )
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "NO_BILLABLE_LINE_ITEMS"
    await assert_nothing_written(harness)


async def test_missing_issue_date_is_422_invalid_charge(harness: Harness) -> None:
    await harness.db.execute("UPDATE uac_invoice SET issue_date = NULL WHERE id = $1", CLEAN_CHARGE)
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_CHARGE"
    assert "issue_date" in json.dumps(error["details"])
    await assert_nothing_written(harness)


@pytest.mark.parametrize("column", ["issue_date", "due_date"])
async def test_a_date_before_1900_is_422_invalid_charge(harness: Harness, column: str) -> None:
    # 0001-01-01T00:00 was created in Rutter, then stored back as -infinity and answered 500.
    await harness.db.execute(
        f"UPDATE uac_invoice SET {column} = '0001-01-01' WHERE id = $1",  # noqa: S608
        CLEAN_CHARGE,
    )
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_CHARGE"
    assert error["details"]["problems"] == [{"field": column, "reason": "before the year 1900"}]
    assert not harness.sandbox.rutter.requests
    await assert_nothing_written(harness)


async def test_amount_the_database_cannot_store_is_422_before_rutter_is_called(harness: Harness) -> None:
    await harness.db.execute(
        "UPDATE invoice_adjustment_line_item SET total_amount = 150000000 WHERE organization_id = $1", ORG_ID
    )
    preview = await harness.client.get(f"/charges/{ADJUSTED_CHARGE}/invoice-preview")
    response = await harness.post_invoice({"charge_id": ADJUSTED_CHARGE})
    assert preview.status_code == response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_CHARGE"
    await assert_nothing_written(harness)


async def test_an_amount_that_is_not_a_number_is_422_on_a_billed_line_only(harness: Harness) -> None:
    # PostgreSQL's numeric holds NaN; the rules name it on a billed line and ignore it elsewhere.
    await harness.db.execute("UPDATE uac_invoice SET total_amount = 'NaN' WHERE id = $1", CLEAN_CHARGE)
    await harness.db.execute(
        "UPDATE uac_line_item SET total_amount = 'NaN' WHERE uac_invoice_id = $1 AND suppress_line_item",
        SUPPRESSED_CHARGE,
    )
    assert (await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")).status_code == 200
    assert (await harness.client.get(f"/charges/{SUPPRESSED_CHARGE}/invoice-preview")).status_code == 200

    await harness.db.execute(
        "UPDATE uac_line_item SET total_amount = 'NaN' WHERE uac_invoice_id = $1", CLEAN_CHARGE
    )
    preview = await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert preview.status_code == response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_CHARGE"
    assert {problem["reason"] for problem in error["details"]["problems"]} == {"not a number: NaN"}
    await assert_nothing_written(harness)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("uac_invoice", "due_date", "20240-05-31"),
        ("uac_invoice", "issue_date", "10000-01-01"),
        ("uac_invoice", "issue_date", "0044-03-15 BC"),  # not the year 44 AD
        ("invoice_adjustment_line_item", "date_created", "10000-01-01"),
    ],
)
async def test_a_value_the_service_cannot_read_is_422_naming_the_column(
    harness: Harness, table: str, column: str, value: str
) -> None:
    where = "id = $1" if table == "uac_invoice" else "organization_id = $1"
    key = ADJUSTED_CHARGE if table == "uac_invoice" else ORG_ID
    await harness.db.execute(f"UPDATE {table} SET {column} = $2::text::timestamp WHERE {where}", key, value)  # noqa: S608

    preview = await harness.client.get(f"/charges/{ADJUSTED_CHARGE}/invoice-preview")
    response = await harness.post_invoice({"charge_id": ADJUSTED_CHARGE})

    assert preview.status_code == response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_CHARGE"
    problems = error["details"]["problems"]
    assert problems and all(problem["field"].endswith(column) for problem in problems)
    assert all(problem["reason"].startswith("unreadable: ") for problem in problems)
    assert value not in response.text
    await assert_nothing_written(harness)


async def test_missing_access_token_is_400(harness: Harness) -> None:
    await harness.db.execute("UPDATE organization SET uac_access_token = NULL WHERE id = $1", ORG_ID)
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "NO_ACCESS_TOKEN"
    await assert_nothing_written(harness)


@pytest.mark.parametrize("settings_overrides", [{"rutter_access_token": "access-sandbox-fallback"}])
async def test_settings_access_token_is_used_when_the_organization_has_none(harness: Harness) -> None:
    await harness.db.execute("UPDATE organization SET uac_access_token = NULL WHERE id = $1", ORG_ID)
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 201, response.text


async def test_document_number_used_by_another_invoice_is_409(harness: Harness) -> None:
    await harness.db.execute(
        "INSERT INTO acc_uac_invoice (organization_id, provider_entity_id, document_number) "
        "VALUES ($1, 'x', 'INV-1001')",
        ORG_ID,
    )
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_DOCUMENT_NUMBER"
    assert await harness.count("invoice_request") == 0
    assert harness.sandbox.rutter.invoices == {}


async def test_a_used_document_number_is_answered_before_a_missing_access_token(harness: Harness) -> None:
    await harness.db.execute("UPDATE organization SET uac_access_token = NULL WHERE id = $1", ORG_ID)
    await harness.db.execute(
        "INSERT INTO acc_uac_invoice (organization_id, provider_entity_id, document_number) "
        "VALUES ($1, 'x', 'INV-1001')",
        ORG_ID,
    )
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "DUPLICATE_DOCUMENT_NUMBER"
    assert await harness.count("invoice_request") == 0


@pytest.mark.parametrize("settings_overrides", [{"rutter_job_timeout_s": 0.1}])
async def test_document_number_held_by_a_running_request_of_another_charge_is_409(harness: Harness) -> None:
    await harness.db.execute(
        "UPDATE uac_invoice SET document_number = 'INV-1001' WHERE id = $1", ADJUSTED_CHARGE
    )
    harness.sandbox.rutter.hold_jobs()
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE})  # still running: 202
    second = await harness.post_invoice({"charge_id": ADJUSTED_CHARGE})

    assert first.status_code == 202, first.text
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "DUPLICATE_DOCUMENT_NUMBER"
    assert error["details"]["existing_request_id"] == first.json()["request_id"]
    assert len([r for r in harness.sandbox.rutter.requests if r["method"] == "POST"]) == 1


async def test_concurrent_charges_with_one_document_number_make_one_invoice(harness: Harness) -> None:
    await harness.db.execute(
        "UPDATE uac_invoice SET document_number = 'INV-1001' WHERE id = $1", ADJUSTED_CHARGE
    )
    harness.sandbox.rutter.configure(job_latency=0.3)

    answers = await asyncio.gather(
        harness.post_invoice({"charge_id": CLEAN_CHARGE}),
        harness.post_invoice({"charge_id": ADJUSTED_CHARGE}),
    )

    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.json()["error"]["code"] == "DUPLICATE_DOCUMENT_NUMBER"
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_charge_already_invoiced_is_409_with_the_stored_invoice(harness: Harness) -> None:
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert first.status_code == 201

    second = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "INVOICE_ALREADY_EXISTS"
    assert error["details"]["invoice"]["id"] == first.json()["invoice"]["id"]
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_a_charge_whose_stored_invoice_was_deleted_is_still_409_invoice_already_exists(
    harness: Harness,
) -> None:
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert first.status_code == 201
    await harness.db.execute("DELETE FROM uac_line_item WHERE acc_uac_invoice_id IS NOT NULL")
    await harness.db.execute("DELETE FROM acc_uac_invoice")  # the request keeps no invoice id

    preview = await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")
    second = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    status = await harness.client.get(f"/invoices/requests/{first.json()['request_id']}")

    assert preview.status_code == second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "INVOICE_ALREADY_EXISTS"
    assert error["details"]["invoice"] is None
    assert error["details"]["rutter_invoice_id"] == first.json()["rutter"]["invoice_id"]
    # Not recovered yet (the invoice would have to be read back from Rutter): the status says
    # plainly that the stored invoice is gone and which of Rutter's invoices it was.
    assert status.status_code == 500
    assert status.json()["error"]["details"]["rutter_invoice_id"] == first.json()["rutter"]["invoice_id"]
    email = await harness.client.post(f"/invoices/requests/{first.json()['request_id']}/email")
    assert email.status_code == 404
    assert "deleted" in email.json()["error"]["message"]
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_running_request_for_the_charge_is_409_request_in_progress(harness: Harness) -> None:
    await harness.db.execute(
        """
        INSERT INTO invoice_request (charge_id, organization_id, active_charge_id, rutter_idempotency_key,
                                     rutter_version, lease_owner, lease_expires_at)
        VALUES ($1, $2, $1, 'held', '2023-03-14', 'someone-else', now() + interval '1 minute')
        """,
        CLEAN_CHARGE,
        ORG_ID,
    )
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "REQUEST_IN_PROGRESS"
    assert harness.sandbox.rutter.invoices == {}


async def test_checks_answer_in_the_documented_order(harness: Harness) -> None:
    # Unreconciled customer and no access token at once: the customer check comes first.
    await harness.db.execute("UPDATE organization SET uac_access_token = NULL WHERE id = $1", ORG_ID)
    response = await harness.post_invoice({"charge_id": UNRECONCILED_CUSTOMER_CHARGE})
    assert response.json()["error"]["code"] == "UNRECONCILED_CUSTOMER"


# --- Rutter refusals and outages ---------------------------------------------------------------


async def test_failed_job_is_502_rutter_rejected_and_frees_the_charge(harness: Harness) -> None:
    harness.sandbox.rutter.queue_job_failure()

    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "RUTTER_REJECTED"
    assert error["details"]["http_status"] == 450
    assert error["details"]["error_code"] == "PLATFORM_BAD_REQUEST"
    assert error["message"].startswith("Rutter refused the invoice: ")
    assert error["message"].endswith(".") and not error["message"].endswith("..")
    assert await harness.count("acc_uac_invoice") == 0
    assert await harness.count("invoice_request", "status = 'FAILED'") == 1

    retry = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert retry.status_code == 201, retry.text


async def test_create_refused_by_rutter_is_502_rutter_rejected(harness: Harness) -> None:
    await harness.db.execute(
        "UPDATE organization SET uac_access_token = 'not-a-sandbox-token' WHERE id = $1", ORG_ID
    )
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "RUTTER_REJECTED"
    assert error["details"]["http_status"] == 401
    assert "not-a-sandbox-token" not in response.text


async def test_rutter_outage_is_502_unavailable_and_a_retry_finishes_the_same_request(
    harness: Harness,
) -> None:
    harness.sandbox.rutter.fail_next_creates("server_error", count=10)

    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "RUTTER_UNAVAILABLE"
    assert await harness.count("invoice_request", "status = 'PENDING'") == 1

    harness.sandbox.rutter.create_faults.clear()
    retry = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    assert retry.status_code == 201, retry.text
    assert retry.json()["request_id"] == response.json()["error"]["details"]["request_id"]
    assert await harness.count("invoice_request") == 1
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_rate_limited_create_succeeds_after_retry_after(harness: Harness) -> None:
    harness.sandbox.rutter.fail_next_creates("rate_limit", count=1, retry_after=1)
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 201, response.text
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_dropped_connection_after_accept_creates_one_invoice(harness: Harness) -> None:
    harness.sandbox.rutter.fail_next_creates("drop_connection", count=1)
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.status_code == 201, response.text
    assert len(harness.sandbox.rutter.invoices) == 1


# --- Idempotency-Key ---------------------------------------------------------------------------


async def test_same_key_and_body_replays_the_first_answer(harness: Harness) -> None:
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-1")
    again = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-1")

    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()
    assert len(harness.sandbox.rutter.invoices) == 1


async def test_same_key_with_another_body_is_409_idempotency_key_reused(harness: Harness) -> None:
    await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-2")
    response = await harness.post_invoice({"charge_id": SUPPRESSED_CHARGE}, key="key-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await harness.count("invoice_request") == 1


async def test_a_key_recorded_by_a_concurrent_request_is_409_idempotency_key_reused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests look the key up before either records it (a race made certain): the second
    # one's insert meets the key's unique index, and is answered as if the look-up had found it.
    lookup = repo.get_request_by_client_key
    misses = [None, None]

    async def racing_lookup(db: Any, key: str) -> Any:
        return misses.pop() if misses else await lookup(db, key)

    monkeypatch.setattr(repo, "get_request_by_client_key", racing_lookup)
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-3")
    second = await harness.post_invoice({"charge_id": SUPPRESSED_CHARGE}, key="key-3")

    assert first.status_code == 201 and misses == []
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert error["details"]["request_id"] == first.json()["request_id"]
    assert await harness.count("invoice_request") == 1


async def test_rutter_rejection_is_replayed_for_the_same_key(harness: Harness) -> None:
    harness.sandbox.rutter.queue_job_failure()
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-3")
    again = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-3")

    assert first.status_code == again.status_code == 502
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["error"] == first.json()["error"]
    assert len([r for r in harness.sandbox.rutter.requests if r["method"] == "POST"]) == 1


async def test_check_failure_is_not_stored_so_a_retry_after_fixing_runs_afresh(harness: Harness) -> None:
    await harness.db.execute("UPDATE uac_invoice SET issue_date = NULL WHERE id = $1", CLEAN_CHARGE)
    first = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-4")
    assert first.status_code == 422

    await harness.db.execute("UPDATE uac_invoice SET issue_date = '2024-05-01' WHERE id = $1", CLEAN_CHARGE)
    again = await harness.post_invoice({"charge_id": CLEAN_CHARGE}, key="key-4")
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers


# --- email -------------------------------------------------------------------------------------


async def test_send_email_mails_the_pdf_link_to_the_recipient(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == {"status": "SENT", "to": RECIPIENT, "error": None}
    assert body["invoice"]["email_status"] == "SENT"
    assert body["invoice"]["pdf_link"]
    messages = harness.sandbox.email.messages
    assert len(messages) == 1
    message = messages[0]
    assert message["to"] == RECIPIENT
    assert message["endpoint"] == f"/sendMessage/{ORG_ID}"  # EMAIL_SERVICE_URL's {organization_id}
    assert "INV-1001" in message["subject"]
    assert "1,750.00 USD" in message["text"]
    assert "2024-05-31" in message["text"]
    attachment = message["attachments"][0]
    assert attachment["path"] == body["invoice"]["pdf_link"]
    assert attachment["filename"].endswith(".pdf")
    assert "/" not in attachment["filename"]


async def test_email_failure_still_answers_201_with_failed_email(harness: Harness) -> None:
    harness.sandbox.email.fail(always=True)

    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"]["status"] == "FAILED"
    assert body["email"]["error"]
    assert body["invoice"]["email_status"] == "FAILED_TO_SEND"
    row = await harness.db.fetchrow(
        "SELECT email_status FROM acc_uac_invoice WHERE id = $1", body["invoice"]["id"]
    )
    assert row is not None
    assert row["email_status"] == "FAILED_TO_SEND"


@pytest.mark.parametrize("settings_overrides", [{"email_enabled": True}])
async def test_email_enabled_setting_decides_when_send_email_is_absent(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert response.json()["email"]["status"] == "SENT"
    assert len(harness.sandbox.email.messages) == 1


@pytest.mark.parametrize("settings_overrides", [{"email_enabled": True}])
async def test_send_email_false_overrides_the_setting(harness: Harness) -> None:
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": False})
    assert response.json()["email"]["status"] == "SKIPPED"
    assert harness.sandbox.email.messages == []


# --- preview -----------------------------------------------------------------------------------


async def test_preview_shows_the_exact_body_and_writes_nothing(harness: Harness) -> None:
    response = await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview")

    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["rutter_version"] == "2023-03-14"
    body = preview["request_body"]
    assert body["response_mode"] == "async"
    assert body["invoice"]["document_number"] == "INV-1001"
    assert [line["total_amount"] for line in body["invoice"]["line_items"]] == [1500, 250]
    await assert_nothing_written(harness)


async def test_preview_has_the_same_errors_as_create(harness: Harness) -> None:
    response = await harness.client.get(f"/charges/{UNRECONCILED_ITEM_CHARGE}/invoice-preview")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "UNRECONCILED_ITEM"
    missing = await harness.client.get(f"/charges/{UNKNOWN_CHARGE}/invoice-preview")
    assert missing.status_code == 404


# --- secrets and the OpenAPI document ----------------------------------------------------------


async def test_secrets_never_appear_in_logs_or_bodies(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE, "send_email": True})
    assert response.status_code == 201
    secret = harness.sandbox.config.client_secret
    token = ACCESS_TOKEN
    everything = response.text + "\n".join(
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    )
    assert secret not in everything
    assert token not in everything


async def test_openapi_documents_every_body(harness: Harness) -> None:
    document = (await harness.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    for name in (
        "CreateInvoiceRequest",
        "InvoiceCreated",
        "InvoiceRequestStatus",
        "InvoicePreview",
        "ErrorResponse",
    ):
        assert name in schemas
    post = document["paths"]["/invoices"]["post"]
    assert {"201", "202", "404", "409", "422", "502", "503"} <= set(post["responses"])


async def test_every_log_line_of_a_create_names_the_request_and_the_charge(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    response = await harness.post_invoice({"charge_id": CLEAN_CHARGE})

    service_lines = [r for r in caplog.records if r.name.startswith("api.")]
    access = [r for r in service_lines if r.getMessage() == "http_request"]
    outbound = [r for r in service_lines if r.name == "api.rutter"]
    assert access and outbound
    for record in service_lines:
        context = record.__dict__["log_context"]
        assert context["request_id"] == response.headers["x-request-id"]
        assert context["charge_id"] == CLEAN_CHARGE
    assert access[0].__dict__["status"] == 201
    assert {"method", "path", "status", "duration_ms"} <= set(outbound[0].__dict__)
