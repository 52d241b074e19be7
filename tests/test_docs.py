"""/docs works offline: every asset the page loads is served by the service itself."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from api.config import Settings
from api.main import create_app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # No request here needs the database: the pool opens no connection until one is asked for.
    app = create_app(Settings(_env_file=None, database_url="postgresql://postgres@127.0.0.1:1/nowhere"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_docs_page_loads_only_assets_the_service_serves(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    references += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert references
    assert not [ref for ref in references if "://" in ref or ref.startswith("//")], references
    for reference in references:
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content, reference
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/openapi.json"} <= set(
        references
    )


async def test_swagger_ui_reads_openapi_3_1(client: httpx.AsyncClient) -> None:
    """FastAPI writes OpenAPI 3.1, which Swagger UI renders from version 5 on."""
    assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.1")
    bundle = (await client.get("/docs/assets/swagger-ui-bundle.js")).text
    assert "5.31.0" in bundle  # the pinned swagger-ui-bundle-v2 ships Swagger UI 5.31.0
