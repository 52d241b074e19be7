"""The invoice PDF link (2024-08-31) and the PDF it points at."""

from __future__ import annotations

import re

import aiohttp

from sandbox import RunningSandbox
from sandbox.pdf import text_pdf
from tests.sandbox.conftest import headers, invoice_body, invoices_url


def assert_valid_pdf(content: bytes) -> None:
    """%PDF- header, %%EOF trailer, and an xref table whose offsets point at its objects."""
    assert content.startswith(b"%PDF-")
    assert content.endswith(b"%%EOF")
    startxref = int(re.findall(rb"startxref\s+(\d+)\s+%%EOF$", content)[0])
    assert content[startxref : startxref + 4] == b"xref"
    count = int(re.match(rb"xref\s+0\s+(\d+)", content[startxref:]).group(1))  # type: ignore[union-attr]
    offsets = re.findall(rb"(\d{10}) 00000 n", content[startxref:])
    assert len(offsets) == count - 1
    for number, offset in enumerate(offsets, start=1):
        assert content[int(offset) :].startswith(b"%d 0 obj" % number)
    assert b"/Type /Catalog" in content and b"/Type /Page " in content


def test_text_pdf_is_well_formed_and_escapes_text() -> None:
    content = text_pdf(["Invoice (draft) \\ total", "caf\u00e9"])
    assert_valid_pdf(content)
    assert b"(Invoice \\(draft\\) \\\\ total)" in content
    assert b"caf?" in content


async def test_pdf_link_serves_a_real_pdf(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    async with client.post(
        invoices_url(sb), json=invoice_body(mode="prefer_sync"), headers=headers()
    ) as response:
        invoice_id = (await response.json())["invoice"]["id"]
    async with client.get(invoices_url(sb, suffix=f"/{invoice_id}/pdf"), headers=headers()) as response:
        assert response.status == 200
        assert await response.json() == {
            "invoice": {"pdf_link": f"{sb.rutter_url}/files/invoices/{invoice_id}.pdf"}
        }
    async with client.get(f"{sb.rutter_url}/files/invoices/{invoice_id}.pdf") as response:
        assert response.status == 200
        assert response.content_type == "application/pdf"
        content = await response.read()
    assert_valid_pdf(content)
    assert b"(Invoice INV-1001)" in content
    assert b"Total: 17.34 USD" in content


async def test_pdf_endpoint_errors(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    async with client.post(
        invoices_url(sb), json=invoice_body(mode="prefer_sync"), headers=headers()
    ) as response:
        invoice_id = (await response.json())["invoice"]["id"]
    async with client.get(
        invoices_url(sb, suffix=f"/{invoice_id}/pdf"), headers=headers("2023-03-14")
    ) as response:
        assert response.status == 404  # not part of 2023-03-14
    async with client.get(invoices_url(sb, suffix="/nope/pdf"), headers=headers()) as response:
        assert response.status == 404
    async with client.get(f"{sb.rutter_url}/files/invoices/nope.pdf") as response:
        assert response.status == 404
