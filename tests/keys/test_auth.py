"""Who may call: a bearer key on every endpoint but the probes and the docs; an organization's key
sees that organization's charges and requests only, and anything else exactly like a missing one."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from api.keys import repository
from api.keys.service import issue_key
from api.keys.tokens import KEY_PREFIX, hash_key
from tests.invoices.conftest import (
    CLEAN_CHARGE,
    ORG_ID,
    SUPPRESSED_CHARGE,
    Harness,
    bearer,
)

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
OTHER_ORG = "9d4a7c1e-5f3b-4e2a-8c6d-0123456789ab"

PROTECTED = [
    ("POST", "/invoices"),
    ("GET", f"/invoices/requests/{UNKNOWN_ID}"),
    ("POST", f"/invoices/requests/{UNKNOWN_ID}/email"),
    ("GET", f"/charges/{CLEAN_CHARGE}/invoice-preview"),
    ("GET", "/no-such-route"),
]


def _unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["error"]["code"] == "UNAUTHENTICATED"
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_endpoint_needs_a_key(harness: Harness, method: str, path: str) -> None:
    response = await harness.client.request(method, path, headers={"Authorization": ""})
    _unauthenticated(response)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        f"Basic {KEY_PREFIX}abc",
        f"Bearer {KEY_PREFIX}not-a-key-we-issued",
        "Bearer sosinv_" + "x" * 2000,
    ],
)
async def test_a_malformed_or_unknown_key_is_401(harness: Harness, authorization: str) -> None:
    response = await harness.client.get(
        f"/charges/{CLEAN_CHARGE}/invoice-preview", headers={"Authorization": authorization}
    )
    _unauthenticated(response)


async def test_the_key_is_checked_before_the_body(harness: Harness) -> None:
    response = await harness.client.post(
        "/invoices",
        content=b"{not json",
        headers={"Authorization": "", "Content-Type": "application/json"},
    )
    _unauthenticated(response)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs"])
async def test_probes_and_docs_need_no_key(harness: Harness, path: str) -> None:
    response = await harness.client.get(path, headers={"Authorization": ""})
    assert response.status_code == 200


async def test_a_revoked_key_is_refused(harness: Harness) -> None:
    issued = await issue_key(harness.db, organization_id=None, name="to revoke")
    await repository.revoke_key(harness.db, issued.row.id)
    response = await harness.client.get(
        f"/charges/{CLEAN_CHARGE}/invoice-preview", headers=bearer(issued.key)
    )
    _unauthenticated(response)


@pytest.mark.parametrize("settings_overrides", [{"api_key_cache_s": 0}])
async def test_a_key_revoked_while_in_use_stops_working(harness: Harness) -> None:
    issued = await issue_key(harness.db, organization_id=None)
    path = f"/charges/{CLEAN_CHARGE}/invoice-preview"
    assert (await harness.client.get(path, headers=bearer(issued.key))).status_code == 200
    await repository.revoke_key(harness.db, issued.row.id)
    _unauthenticated(await harness.client.get(path, headers=bearer(issued.key)))


async def test_only_the_hash_is_stored_and_last_use_is_recorded(harness: Harness) -> None:
    issued = await issue_key(harness.db, organization_id=ORG_ID, name="billing")
    assert issued.key.startswith(KEY_PREFIX) and len(issued.key) > 40
    row = await harness.db.fetchrow("SELECT * FROM api_key WHERE id = $1", issued.row.id)
    assert row is not None
    assert issued.key not in [str(value) for value in row.values()]
    assert row["key_hash"] == hash_key(issued.key)
    assert row["last_used_at"] is None
    await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview", headers=bearer(issued.key))
    assert await harness.db.fetchval("SELECT last_used_at FROM api_key WHERE id = $1", issued.row.id)


async def test_logs_name_the_key_id_never_the_key(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    issued = await issue_key(harness.db, organization_id=None)
    with caplog.at_level(logging.INFO):
        await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview", headers=bearer(issued.key))
    access = [r for r in caplog.records if r.getMessage() == "http_request"]
    assert access and access[-1].log_context["key_id"] == issued.row.id  # type: ignore[attr-defined]
    assert all(issued.key not in str(vars(record)) for record in caplog.records)


async def test_openapi_declares_the_bearer_scheme(harness: Harness) -> None:
    document = (await harness.client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["ApiKey"]["description"],
    }
    assert document["paths"]["/invoices"]["post"]["security"] == [{"ApiKey": []}]
    assert "security" not in document["paths"]["/healthz"]["get"]
    assert "401" in document["paths"]["/invoices"]["post"]["responses"]


# --- organizations ---------------------------------------------------------------------------------


async def test_an_organization_key_sees_its_own_charges(harness: Harness) -> None:
    own = bearer((await issue_key(harness.db, organization_id=ORG_ID)).key)
    preview = await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview", headers=own)
    assert preview.status_code == 200
    created = await harness.client.post("/invoices", json={"charge_id": CLEAN_CHARGE}, headers=own)
    assert created.status_code == 201, created.text
    status = await harness.client.get(f"/invoices/requests/{created.json()['request_id']}", headers=own)
    assert status.status_code == 200


def _as_missing(response: httpx.Response, missing: httpx.Response) -> None:
    """Another organization's resource is answered exactly like an unknown one, ids aside."""
    assert response.status_code == missing.status_code == 404
    body, expected = response.json(), missing.json()
    assert body["error"]["code"] == expected["error"]["code"] == "NOT_FOUND"
    assert sorted(body["error"]["details"]) == sorted(expected["error"]["details"])


async def test_another_organizations_charge_is_not_found(harness: Harness) -> None:
    other = bearer((await issue_key(harness.db, organization_id=OTHER_ORG)).key)
    missing_preview = await harness.client.get(f"/charges/{UNKNOWN_ID}/invoice-preview", headers=other)
    preview = await harness.client.get(f"/charges/{CLEAN_CHARGE}/invoice-preview", headers=other)
    _as_missing(preview, missing_preview)
    assert preview.json()["error"]["message"] == f"No charge with id {CLEAN_CHARGE}."

    missing_post = await harness.client.post("/invoices", json={"charge_id": UNKNOWN_ID}, headers=other)
    post = await harness.client.post("/invoices", json={"charge_id": CLEAN_CHARGE}, headers=other)
    _as_missing(post, missing_post)
    assert await harness.count("invoice_request") == 0
    assert len(harness.sandbox.rutter.invoices) == 0


async def test_another_organizations_request_is_not_found(harness: Harness) -> None:
    created = await harness.post_invoice({"charge_id": CLEAN_CHARGE})
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]
    other = bearer((await issue_key(harness.db, organization_id=OTHER_ORG)).key)

    missing = await harness.client.get(f"/invoices/requests/{UNKNOWN_ID}", headers=other)
    status = await harness.client.get(f"/invoices/requests/{request_id}", headers=other)
    _as_missing(status, missing)
    missing_email = await harness.client.post(f"/invoices/requests/{UNKNOWN_ID}/email", headers=other)
    email = await harness.client.post(f"/invoices/requests/{request_id}/email", headers=other)
    _as_missing(email, missing_email)
    assert len(harness.sandbox.email.messages) == 0


async def test_idempotency_keys_do_not_cross_organizations(harness: Harness) -> None:
    shared_key = f"shared-{uuid.uuid4()}"
    first = await harness.client.post(
        "/invoices",
        json={"charge_id": CLEAN_CHARGE},
        headers={
            **bearer((await issue_key(harness.db, organization_id=ORG_ID)).key),
            "Idempotency-Key": shared_key,
        },
    )
    assert first.status_code == 201, first.text
    other = {
        **bearer((await issue_key(harness.db, organization_id=OTHER_ORG)).key),
        "Idempotency-Key": shared_key,
    }
    # Neither a replay of the first organization's invoice nor IDEMPOTENCY_KEY_REUSED: not found.
    same_body = await harness.client.post("/invoices", json={"charge_id": CLEAN_CHARGE}, headers=other)
    assert same_body.status_code == 404
    other_body = await harness.client.post("/invoices", json={"charge_id": SUPPRESSED_CHARGE}, headers=other)
    assert other_body.status_code == 404
