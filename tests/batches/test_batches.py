"""POST /invoice-batches, GET /invoice-batches/{id}, cancel: SERVICE.md section 9."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from api.keys.service import issue_key
from devkit.charges import generate_charges
from seed.loader import load_charges
from tests.batches.conftest import finished
from tests.invoices.conftest import (
    ADJUSTED_CHARGE,
    CLEAN_CHARGE,
    ORG_ID,
    UNRECONCILED_CUSTOMER_CHARGE,
    Harness,
    bearer,
)

MISSING_CHARGE = "6f0c1a2e-1111-4c1e-9a11-0000000000ff"


def by_charge(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["charge_id"]: item for item in body["items"]}


async def test_a_batch_runs_every_charge_through_post_invoices(batches: Harness) -> None:
    charges = [CLEAN_CHARGE, UNRECONCILED_CUSTOMER_CHARGE, MISSING_CHARGE, ADJUSTED_CHARGE]

    created = await batches.client.post("/invoice-batches", json={"charge_ids": charges})

    assert created.status_code == 202, created.text
    body = created.json()
    assert created.headers["Location"] == f"/invoice-batches/{body['id']}" == body["status_url"]
    assert body["counts"]["total"] == 4
    done = await finished(batches, body["id"])
    assert done["status"] == "COMPLETED"
    assert done["counts"] == {
        "total": 4,
        "queued": 0,
        "running": 0,
        "completed": 2,
        "failed": 2,
        "skipped": 0,
    }
    assert done["started_at"] and done["finished_at"] and done["elapsed_s"] >= 0
    items = by_charge(done)
    assert [item["position"] for item in done["items"]] == [0, 1, 2, 3]
    clean = items[CLEAN_CHARGE]
    assert (clean["status"], clean["http_status"]) == ("COMPLETED", 201)
    assert clean["outcome"]["invoice"]["document_number"] and clean["outcome"]["rutter"]["job_id"]
    unreconciled = items[UNRECONCILED_CUSTOMER_CHARGE]
    assert (unreconciled["status"], unreconciled["http_status"]) == ("FAILED", 409)
    assert unreconciled["outcome"]["error"]["code"] == "UNRECONCILED_CUSTOMER"
    assert items[MISSING_CHARGE]["outcome"]["error"]["code"] == "NOT_FOUND"
    # One invoice per charge, stored like POST /invoices stores it.
    assert await batches.count("acc_uac_invoice") == 2
    assert len(batches.sandbox.rutter.invoices) == 2


async def test_a_charge_already_invoiced_is_skipped_with_the_answer_post_invoices_gives(
    batches: Harness,
) -> None:
    first = await batches.post_invoice({"charge_id": CLEAN_CHARGE})
    assert first.status_code == 201

    created = await batches.client.post("/invoice-batches", json={"charge_ids": [CLEAN_CHARGE]})
    done = await finished(batches, created.json()["id"])

    [item] = done["items"]
    assert (item["status"], item["http_status"]) == ("SKIPPED", 409)
    assert item["outcome"]["error"]["code"] == "INVOICE_ALREADY_EXISTS"
    assert done["counts"]["skipped"] == 1
    assert len(batches.sandbox.rutter.invoices) == 1


async def test_the_same_idempotency_key_and_body_answer_the_same_batch(batches: Harness) -> None:
    headers = {"Idempotency-Key": f"batch-{uuid.uuid4()}"}
    body = {"charge_ids": [CLEAN_CHARGE], "send_email": False}

    first = await batches.client.post("/invoice-batches", json=body, headers=headers)
    again = await batches.client.post("/invoice-batches", json=body, headers=headers)
    other = await batches.client.post(
        "/invoice-batches", json={"charge_ids": [ADJUSTED_CHARGE]}, headers=headers
    )

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    await finished(batches, first.json()["id"])
    assert await batches.count("invoice_batch") == 1


async def test_an_organization_and_issue_date_range_select_its_charges_not_invoiced_yet(
    batches: Harness,
) -> None:
    charges = generate_charges(5, tag="RANGE", rng=random.Random(3), max_lines=2)
    for day, charge in zip((1, 2, 3, 4, 30), charges, strict=True):
        charge["issue_date"] = f"2031-03-{day:02d}T00:00:00.000Z"
    await load_charges(batches.db, charges, progress=None)
    invoiced = await batches.post_invoice({"charge_id": charges[1]["id"]})
    assert invoiced.status_code == 201

    created = await batches.client.post(
        "/invoice-batches",
        json={"organization_id": ORG_ID, "issue_date_from": "2031-03-01", "issue_date_to": "2031-03-04"},
    )

    assert created.status_code == 202, created.text
    done = await finished(batches, created.json()["id"])
    assert [item["charge_id"] for item in done["items"]] == [
        charges[0]["id"],
        charges[2]["id"],
        charges[3]["id"],
    ]
    assert done["organization_id"] == ORG_ID and done["issue_date_to"] == "2031-03-04"
    assert done["counts"]["completed"] == 3


async def test_items_come_in_pages(batches: Harness) -> None:
    charges = [CLEAN_CHARGE, MISSING_CHARGE, ADJUSTED_CHARGE]
    batch_id = (await batches.client.post("/invoice-batches", json={"charge_ids": charges})).json()["id"]
    await finished(batches, batch_id)

    first = (await batches.client.get(f"/invoice-batches/{batch_id}", params={"limit": 2})).json()
    second = (
        await batches.client.get(
            f"/invoice-batches/{batch_id}", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    failed = (await batches.client.get(f"/invoice-batches/{batch_id}", params={"status": "FAILED"})).json()

    assert [i["charge_id"] for i in first["items"] + second["items"]] == charges
    assert second["next_cursor"] is None
    assert [i["charge_id"] for i in failed["items"]] == [MISSING_CHARGE]
    # A cursor past every position (positions are 32-bit) is an empty page; beyond that, refused.
    last = await batches.client.get(f"/invoice-batches/{batch_id}", params={"cursor": 2**31 - 1})
    assert last.status_code == 200 and last.json()["items"] == []
    beyond = await batches.client.get(f"/invoice-batches/{batch_id}", params={"cursor": 2**31})
    assert beyond.status_code == 422
    assert beyond.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("settings_overrides", [{"workers_in_process": False}])
async def test_cancel_skips_the_charges_not_started(batches: Harness) -> None:
    created = await batches.client.post(
        "/invoice-batches", json={"charge_ids": [CLEAN_CHARGE, ADJUSTED_CHARGE]}
    )
    batch_id = created.json()["id"]
    assert created.json()["status"] == "QUEUED"

    cancelled = await batches.client.post(f"/invoice-batches/{batch_id}/cancel")
    again = await batches.client.post(f"/invoice-batches/{batch_id}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED" and cancelled.json()["cancelled_at"]
    assert cancelled.json()["counts"] == {
        "total": 2,
        "queued": 0,
        "running": 0,
        "completed": 0,
        "failed": 0,
        "skipped": 2,
    }
    assert again.json() == cancelled.json()
    page = (await batches.client.get(f"/invoice-batches/{batch_id}")).json()
    assert {item["status"] for item in page["items"]} == {"SKIPPED"}
    assert page["finished_at"] is not None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"charge_ids": []},
        {"charge_ids": ["not-a-uuid"]},
        {"charge_ids": [CLEAN_CHARGE, CLEAN_CHARGE]},
        {"charge_ids": [str(uuid.uuid4()) for _ in range(10_001)]},
        {"charge_ids": [CLEAN_CHARGE], "organization_id": ORG_ID},
        {"organization_id": ORG_ID, "issue_date_from": "2024-05-01"},
        {"organization_id": ORG_ID, "issue_date_from": "2024-06-01", "issue_date_to": "2024-05-01"},
        {"charge_ids": [CLEAN_CHARGE], "send_email": "yes"},
        {"charge_ids": [CLEAN_CHARGE], "unknown": 1},
    ],
    ids=[
        "empty",
        "no-ids",
        "bad-id",
        "repeated",
        "too-many",
        "both",
        "half-range",
        "reversed",
        "bad-email",
        "unknown",
    ],
)
async def test_bad_bodies_are_422_with_the_envelope(batches: Harness, body: dict[str, Any]) -> None:
    response = await batches.client.post("/invoice-batches", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert await batches.count("invoice_batch") == 0


async def test_unknown_and_malformed_batch_ids(batches: Harness) -> None:
    missing = await batches.client.get(f"/invoice-batches/{uuid.uuid4()}")
    malformed = await batches.client.get("/invoice-batches/nope")
    cancel_missing = await batches.client.post(f"/invoice-batches/{uuid.uuid4()}/cancel")

    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert (malformed.status_code, malformed.json()["error"]["code"]) == (422, "VALIDATION_ERROR")
    assert cancel_missing.status_code == 404


async def test_an_organization_key_sees_only_its_own_batches(batches: Harness) -> None:
    other_org = str(uuid.uuid4())
    org_key = (await issue_key(batches.db, organization_id=ORG_ID, name="org")).key
    stranger_key = (await issue_key(batches.db, organization_id=other_org, name="stranger")).key
    mine = await batches.client.post(
        "/invoice-batches", json={"charge_ids": [CLEAN_CHARGE]}, headers=bearer(org_key)
    )
    batch_id = mine.json()["id"]

    seen = await batches.client.get(f"/invoice-batches/{batch_id}", headers=bearer(org_key))
    hidden = await batches.client.get(f"/invoice-batches/{batch_id}", headers=bearer(stranger_key))
    other_range = await batches.client.post(
        "/invoice-batches",
        json={"organization_id": ORG_ID, "issue_date_from": "2024-01-01", "issue_date_to": "2024-12-31"},
        headers=bearer(stranger_key),
    )
    stranger_batch = await batches.client.post(
        "/invoice-batches", json={"charge_ids": [CLEAN_CHARGE]}, headers=bearer(stranger_key)
    )
    unauthenticated = await batches.client.get(f"/invoice-batches/{batch_id}", headers={"Authorization": ""})

    assert seen.status_code == 200 and hidden.status_code == 404
    assert (other_range.status_code, other_range.json()["error"]["code"]) == (404, "NOT_FOUND")
    assert unauthenticated.status_code == 401
    # The stranger's batch runs the charge as the stranger's POST /invoices would: not found.
    done = await finished(batches, stranger_batch.json()["id"])
    assert done["items"][0]["outcome"]["error"]["code"] == "NOT_FOUND"
    assert (await finished(batches, batch_id))["items"][0]["status"] == "COMPLETED"


@pytest.mark.parametrize("settings_overrides", [{"db_statement_cache_size": 0}])
async def test_everything_works_without_asyncpg_statement_cache_as_behind_pgbouncer(batches: Harness) -> None:
    resources: Any = batches.client._transport.app.state.resources  # type: ignore[attr-defined]
    async with resources.pool.acquire() as connection:
        assert connection._stmt_cache.get_max_size() == 0  # what DB_STATEMENT_CACHE_SIZE=0 asks for

    created = await batches.client.post("/invoice-batches", json={"charge_ids": [CLEAN_CHARGE]})
    done = await finished(batches, created.json()["id"])

    assert done["items"][0]["status"] == "COMPLETED"
