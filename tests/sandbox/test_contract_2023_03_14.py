"""The sandbox against Rutter's official 2023-03-14 OpenAPI (the yaml RUTTER_OPENAPI_PATH names).

Every sample create body below carries the outcome the yaml's `CreateCreateInvoiceRequest` schema
gives it (checked with jsonschema when RUTTER_OPENAPI_PATH is set, and hard-coded so the test still
means something without the yaml), and the sandbox must accept (200) or reject (400) it the same way.

Unknown keys at the top of `invoice` (and beside it at the root) are ACCEPTED: in the yaml neither
`CreateCreateInvoiceRequest` nor `CreateInvoice` sets `additionalProperties: false`; only the nested
objects (`additional_fields`, its addresses, line items, `item`, a line's `additional_fields`) do.
That also matches Rutter's advice for 2023-03-14 (warn, don't reject): the sandbox stores
them and answers an `X-Sandbox-Warnings` header.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sandbox import RunningSandbox
from tests.sandbox.conftest import headers, invoices_url, wait_for_job

SPEC_URI = "urn:rutter:openapi:2023-03-14"

VALID_INVOICE: dict[str, Any] = {
    "customer_id": "00000000-0000-0000-0000-000000000000",
    "issue_date": "2023-01-02T02:34:56.000Z",
    "due_date": "2023-01-02T02:34:56.000Z",
    "currency_code": "USD",
    "document_number": "CUSTINVC-1",
    "memo": "For a Rutter shirt.",
    "line_items": [
        {
            "total_amount": 12.34,
            "description": "A Rutter Shirt",
            "item": {"id": "00000000-0000-0000-0000-000000000000", "quantity": 1, "unit_amount": 12.34},
        }
    ],
}
ADDRESS = {
    "type": "billing",
    "address1": "1 Main St",
    "address2": None,
    "city": "SF",
    "country": "US",
    "postal_code": "94105",
    "region": "CA",
}


def _body(change: Callable[[dict[str, Any]], object] | None = None, **root: Any) -> dict[str, Any]:
    invoice = copy.deepcopy(VALID_INVOICE)
    if change is not None:
        change(invoice)
    return {"invoice": invoice, **root}


def _line(invoice: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = invoice["line_items"][0]
    return line


# (id, body, accepted by the yaml's CreateCreateInvoiceRequest)
SAMPLES: list[tuple[str, Any, bool]] = [
    ("spec-example", _body(), True),
    ("with-response-mode-async", _body(response_mode="async"), True),
    ("minimal-line", _body(lambda i: i.update(line_items=[{"total_amount": 5, "item": {}}])), True),
    ("no-line-items", _body(lambda i: i.update(line_items=[])), True),
    ("unknown-top-level-key", _body(lambda i: i.update(account_id="acct-1", class_id="c")), True),
    ("unknown-root-key", _body(extra_root_key=1), True),
    (
        "all-optional-fields",
        _body(
            lambda i: i.update(
                payment_terms_id="pt",
                subsidiary_id="sub",
                additional_fields={"addresses": [ADDRESS]},
                line_items=[
                    {
                        "total_amount": 0,
                        "item": {"id": "x"},
                        "account_id": "a",
                        "discount_item_id": "d",
                        "description": "x",
                        "discount_amount": 0,
                        "additional_fields": {
                            "rev_rec_start_date": "2023-01-01",
                            "rev_rec_end_date": "2023-12-31",
                        },
                    }
                ],
            )
        ),
        True,
    ),
    (
        "integer-amounts",
        _body(lambda i: _line(i).update(total_amount=12, item={"quantity": 3, "unit_amount": 4})),
        True,
    ),
    ("missing-invoice", {"response_mode": "async"}, False),
    ("missing-due-date", _body(lambda i: i.pop("due_date")), False),
    ("missing-customer", _body(lambda i: i.pop("customer_id")), False),
    ("missing-line-items", _body(lambda i: i.pop("line_items")), False),
    ("line-without-item", _body(lambda i: _line(i).pop("item")), False),
    ("line-without-total", _body(lambda i: _line(i).pop("total_amount")), False),
    ("total-as-string", _body(lambda i: _line(i).update(total_amount="12.34")), False),
    ("total-as-boolean", _body(lambda i: _line(i).update(total_amount=True)), False),
    ("item-null", _body(lambda i: _line(i).update(item=None)), False),
    ("quantity-null", _body(lambda i: _line(i)["item"].update(quantity=None)), False),
    ("unknown-line-key", _body(lambda i: _line(i).update(tax_rate_id="t")), False),
    ("unknown-item-key", _body(lambda i: _line(i)["item"].update(sku="s")), False),
    (
        "unknown-line-additional-field",
        _body(lambda i: _line(i).update(additional_fields={"service_date": "x"})),
        False,
    ),
    ("negative-discount", _body(lambda i: _line(i).update(discount_amount=-1)), False),
    ("lowercase-currency", _body(lambda i: i.update(currency_code="usd")), False),
    ("unknown-currency", _body(lambda i: i.update(currency_code="XYZ")), False),
    ("customer-as-number", _body(lambda i: i.update(customer_id=42)), False),
    ("memo-null", _body(lambda i: i.update(memo=None)), False),
    ("line-items-object", _body(lambda i: i.update(line_items={"total_amount": 1})), False),
    (
        "unknown-invoice-additional-field",
        _body(lambda i: i.update(additional_fields={"billing_email": "a@b.c"})),
        False,
    ),
    (
        "address-missing-region",
        _body(
            lambda i: i.update(
                additional_fields={"addresses": [{k: v for k, v in ADDRESS.items() if k != "region"}]}
            )
        ),
        False,
    ),
    (
        "address-type-2024-only",
        _body(lambda i: i.update(additional_fields={"addresses": [{**ADDRESS, "type": "ship_from"}]})),
        False,
    ),
]
SAMPLE_IDS = [sample[0] for sample in SAMPLES]


@pytest.fixture(scope="module")
def registry(rutter_openapi_path: Path) -> Iterator[Registry[Any]]:
    with rutter_openapi_path.open("rb") as file:
        spec = yaml.load(file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders
    yield Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))


def _validator(registry: Registry[Any], schema_name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}, registry=registry)


@pytest.mark.parametrize(("name", "body", "accepted"), SAMPLES, ids=SAMPLE_IDS)
def test_hard_coded_outcomes_match_the_official_schema(
    registry: Registry[Any], name: str, body: Any, accepted: bool
) -> None:
    errors = list(_validator(registry, "CreateCreateInvoiceRequest").iter_errors(body))
    assert (not errors) == accepted, f"{name}: {[e.message for e in errors]}"


@pytest.mark.parametrize(("name", "body", "accepted"), SAMPLES, ids=SAMPLE_IDS)
async def test_sandbox_accepts_and_rejects_like_the_schema(
    sb: RunningSandbox, client: aiohttp.ClientSession, name: str, body: Any, accepted: bool
) -> None:
    async with client.post(invoices_url(sb), json=body, headers=headers("2023-03-14")) as response:
        answer = await response.json()
        assert response.status == (200 if accepted else 400), f"{name}: {answer}"
    if not accepted:
        assert answer["error_type"] == "INVALID_INPUT"
        assert answer["error_code"] == "INVALID_REQUEST_BODY"
        assert answer["error_message"]


async def test_2023_responses_match_the_official_response_schemas(
    registry: Registry[Any], sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    full = _body(lambda i: i.update(additional_fields={"addresses": [ADDRESS]}))
    _line(full["invoice"])["additional_fields"] = {"rev_rec_start_date": "2023-01-01"}
    for mode in ("async", "prefer_sync"):
        async with client.post(
            invoices_url(sb), json={**full, "response_mode": mode}, headers=headers("2023-03-14")
        ) as r:
            created = await r.json()
        _validator(registry, "CreateInvoiceResponse").validate(created)
    job_id = sb.rutter.invoices[created["invoice"]["id"]].job_id  # the prefer_sync create's job
    job = await wait_for_job(client, f"{sb.rutter_api_base}/jobs/{job_id}", "2023-03-14")
    _validator(registry, "AsynchronousJob").validate(job)
    _validator(registry, "InvoiceResponse").validate(job["response"]["body"])
    invoice_id = job["response"]["body"]["invoice"]["id"]
    async with client.get(
        invoices_url(sb, suffix=f"/{invoice_id}"), headers=headers("2023-03-14")
    ) as response:
        _validator(registry, "InvoiceResponseWithConnection").validate(await response.json())
    # an invoice created under 2024-08-31 renders as a valid 2023-03-14 invoice too
    line_2024 = {"total_amount": 3, "additional_fields": {"service_date": "x"}}
    body_2024 = {
        "invoice": {
            "customer_id": "7b0e9a4e-1c1f-4a53-9d0e-1b8d1a6f7c10",
            "issue_date": "2024-01-01",
            "currency_code": "EUR",
            "line_items": [line_2024],
        }
    }
    async with client.post(invoices_url(sb), json=body_2024, headers=headers("2024-08-31")) as response:
        other_id = (await response.json())["invoice"]["id"]
    async with client.get(invoices_url(sb, suffix=f"/{other_id}"), headers=headers("2023-03-14")) as response:
        _validator(registry, "InvoiceResponseWithConnection").validate(await response.json())
