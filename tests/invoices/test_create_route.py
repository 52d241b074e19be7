"""POST /invoices' short way (router.CreateInvoiceRoute): a well-formed request skips FastAPI's
parameter handling, and every request gets the answer and the values FastAPI's handler gives it."""

from __future__ import annotations

import json
import sys
from typing import Any

import fastapi
import fastapi.routing
import httpx
import pytest

from api.invoices import router
from api.invoices.presenters import Answer
from api.invoices.schemas import CreateInvoiceRequest, EmailOutcome
from api.invoices.service import InvoiceService
from tests.invoices.conftest import CLEAN_CHARGE, Harness

JSON = "application/json"
VALID = json.dumps({"charge_id": CLEAN_CHARGE}).encode()


def body(**fields: Any) -> bytes:
    return json.dumps({"charge_id": CLEAN_CHARGE, **fields}).encode()


# (content type, body, Idempotency-Key): accepted and refused ones, and the edges between.
CASES: list[tuple[str | None, bytes, str | None]] = [
    (JSON, VALID, None),
    (JSON, body(send_email=True), None),
    (JSON, body(send_email=False), None),
    (JSON, body(send_email=None), None),
    (JSON, json.dumps({"charge_id": CLEAN_CHARGE.upper()}).encode(), None),
    (JSON, b'  {"charge_id": "' + CLEAN_CHARGE.encode() + b'"}\n', None),
    (JSON, VALID, "key-1"),
    (JSON, VALID, " spaced key "),
    (JSON, VALID, "k" * 255),
    ("application/json; charset=utf-8", VALID, None),
    ("Application/JSON", VALID, None),
    ("application/merge-patch+json", VALID, None),
    (JSON, b'{"charge_id": "bad", "charge_id": "' + CLEAN_CHARGE.encode() + b'"}', None),
    (JSON, b'{"charge_id": "' + CLEAN_CHARGE.encode() + b'", "charge_id": "bad"}', None),
    (JSON, b"\xef\xbb\xbf" + VALID, None),
    (JSON, VALID + b" x", None),
    (JSON, body(send_email="yes"), None),
    (JSON, b'{"charge_id": "' + CLEAN_CHARGE.encode() + b'", "send_email": NaN}', None),
    (JSON, body(surprise=1), None),
    (JSON, b"{}", None),
    (JSON, b"null", None),
    (JSON, b"[]", None),
    (JSON, b"", None),
    (JSON, VALID, ""),
    (JSON, VALID, "   "),
    (JSON, VALID, "k" * 256),
    ("text/plain", VALID, None),
    (None, VALID, None),
]


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[tuple[CreateInvoiceRequest, str | None]]:
    """What the endpoint hands the service (which answers at once, without doing anything)."""
    calls: list[tuple[CreateInvoiceRequest, str | None]] = []

    async def create(self: InvoiceService, body: CreateInvoiceRequest, key: str | None) -> Answer:
        calls.append((body, key))
        return Answer(201, EmailOutcome(status="SKIPPED"))

    monkeypatch.setattr(InvoiceService, "create", create)
    return calls


async def post(
    harness: Harness, content_type: str | None, content: bytes, key: str | None
) -> tuple[int, Any]:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = await harness.client.post("/invoices", content=content, headers=headers)
    answer = response.json()
    answer.pop("request_id", None)  # every answer's own (errors carry the id of the HTTP request)
    return response.status_code, answer


async def test_every_request_gets_what_fastapis_handler_gives_it(
    harness: Harness,
    received: list[tuple[CreateInvoiceRequest, str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short_way = [await post(harness, *case) for case in CASES]
    short_way_received = list(received)
    received.clear()
    monkeypatch.setattr(router, "_well_formed_create", _never)
    fastapi_way = [await post(harness, *case) for case in CASES]

    for case, short, full in zip(CASES, short_way, fastapi_way, strict=True):
        assert short == full, case
    assert short_way_received == received
    # Both kinds are among the cases: some requests reach the service, some are refused.
    statuses = {status for status, _ in fastapi_way}
    assert 201 in statuses and 422 in statuses
    assert len(received) == sum(status == 201 for status, _ in fastapi_way)


async def _never(request: object) -> None:
    return None


async def test_a_well_formed_request_skips_fastapis_parameter_handling(
    harness: Harness,
    received: list[tuple[CreateInvoiceRequest, str | None]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solved: list[object] = []
    solve = fastapi.routing.solve_dependencies  # type: ignore[attr-defined]  # FastAPI's handler calls it

    async def counted(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs.get("request"))
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)

    skipped = {"status": "SKIPPED", "to": None, "error": None}
    assert await post(harness, JSON, VALID, "key-2") == (201, skipped)
    assert solved == []
    assert received == [(CreateInvoiceRequest.model_validate({"charge_id": CLEAN_CHARGE}), "key-2")]

    status, _ = await post(harness, JSON, body(surprise=1), None)
    assert status == 422
    assert len(solved) == 1  # the refused one took FastAPI's handler


class _Service:
    async def create(self, body: CreateInvoiceRequest, key: str | None) -> Answer:
        return Answer(201, EmailOutcome(status="SKIPPED"))


def _bare_app(monkeypatch: pytest.MonkeyPatch, **inclusion: Any) -> tuple[fastapi.FastAPI, list[object]]:
    """The invoice router alone in an app (included with `inclusion`), its service a stub, and the
    requests FastAPI's handler solved parameters for."""
    monkeypatch.setattr(router, "invoice_service", lambda request: _Service())
    solved: list[object] = []
    solve = fastapi.routing.solve_dependencies  # type: ignore[attr-defined]

    async def counted(*args: Any, **kwargs: Any) -> Any:
        solved.append(kwargs.get("request"))
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    app = fastapi.FastAPI()
    app.include_router(router.router, **inclusion)
    return app, solved


async def _post_valid(app: fastapi.FastAPI) -> int:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.post("/invoices", content=VALID, headers={"Content-Type": JSON})
    return response.status_code


async def test_the_short_way_is_taken_by_the_bare_router(monkeypatch: pytest.MonkeyPatch) -> None:
    app, solved = _bare_app(monkeypatch)
    assert await _post_valid(app) == 201
    assert solved == []


async def test_dependencies_of_an_inclusion_are_never_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise fastapi.HTTPException(status_code=418, detail="the inclusion's dependency ran")

    app, solved = _bare_app(monkeypatch, dependencies=[fastapi.Depends(refuse)])
    assert await _post_valid(app) == 418
    assert len(solved) == 1


async def test_fastapis_body_limit_keeps_fastapis_way(monkeypatch: pytest.MonkeyPatch) -> None:
    app, solved = _bare_app(monkeypatch, max_body_size=10_000)
    assert await _post_valid(app) == 201
    assert len(solved) == 1


async def test_shorter_python_integers_keep_fastapis_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # json.loads (FastAPI's) then refuses integers pydantic's parser reads: FastAPI's way decides.
    app, solved = _bare_app(monkeypatch)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert await _post_valid(app) == 201
    finally:
        sys.set_int_max_str_digits(limit)
    assert len(solved) == 1
