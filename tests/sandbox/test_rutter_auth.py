"""Authentication (HTTP Basic + access_token) and the X-Rutter-Version header."""

from __future__ import annotations

import aiohttp
import pytest

from sandbox import ConnectionConfig, RunningSandbox, RutterConfig, running_sandbox
from tests.sandbox.conftest import TOKEN, basic, headers, invoice_body, invoices_url

INVALID_CREDENTIALS = {
    "error_type": "CONNECTION_ERROR",
    "error_code": "INVALID_CREDENTIALS",
    "error_message": "Invalid credentials to access this connection.",
}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic(secret="wrong-secret"),
        basic(client_id="someone-else"),
        "Basic not-base64!!",
        "Bearer sandbox-client-secret",
    ],
    ids=["missing", "wrong-secret", "wrong-client", "garbled", "not-basic"],
)
async def test_bad_basic_auth_is_401_with_rutter_body(
    sb: RunningSandbox, client: aiohttp.ClientSession, authorization: str | None
) -> None:
    request_headers = headers("2024-08-31")
    request_headers.pop("Authorization")
    if authorization is not None:
        request_headers["Authorization"] = authorization
    async with client.post(invoices_url(sb), json=invoice_body(), headers=request_headers) as response:
        assert response.status == 401
        assert await response.json() == INVALID_CREDENTIALS
        assert response.headers["X-Rutter-Request-ID"]
        assert "X-Rutter-Job-ID" not in response.headers
    assert sb.rutter.jobs == {}


@pytest.mark.parametrize("token", [None, "", "not-a-sandbox-token", "access-sandbox-"])
async def test_bad_access_token_is_401(
    sb: RunningSandbox, client: aiohttp.ClientSession, token: str | None
) -> None:
    url = f"{sb.rutter_api_base}/accounting/invoices"
    if token is not None:
        url += f"?access_token={token}"
    async with client.post(url, json=invoice_body(), headers=headers()) as response:
        assert response.status == 401
        assert await response.json() == INVALID_CREDENTIALS


async def test_get_invoice_needs_access_token_too(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    async with client.get(f"{sb.rutter_api_base}/accounting/invoices/abc", headers=headers()) as response:
        assert response.status == 401
        assert await response.json() == INVALID_CREDENTIALS


async def test_jobs_need_basic_auth_only(sb: RunningSandbox, client: aiohttp.ClientSession) -> None:
    async with client.post(invoices_url(sb), json=invoice_body(), headers=headers()) as response:
        job_url = (await response.json())["async_response"]["response_url"]
    async with client.get(job_url, headers={"X-Rutter-Version": "2024-08-31"}) as response:
        assert response.status == 401
        assert await response.json() == INVALID_CREDENTIALS
    async with client.get(job_url, headers=headers()) as response:  # no access_token needed
        assert response.status == 200


async def test_configured_token_list_and_custom_credentials(client: aiohttp.ClientSession) -> None:
    config = RutterConfig(
        client_id="my-id",
        client_secret="my-secret",
        access_token_prefix=None,
        connections=[ConnectionConfig(access_token="tok-1", platform="XERO", connection_id="conn-1")],
        job_latency=0,
    )
    async with running_sandbox(config) as sb:
        good = {"Authorization": basic("my-id", "my-secret"), "X-Rutter-Version": "2024-08-31"}
        async with client.post(invoices_url(sb, "tok-1"), json=invoice_body(), headers=good) as response:
            assert response.status == 200
        async with client.post(invoices_url(sb, TOKEN), json=invoice_body(), headers=good) as response:
            assert response.status == 401  # prefix tokens are off
        async with client.post(invoices_url(sb, "tok-1"), json=invoice_body(), headers=headers()) as response:
            assert response.status == 401  # default credentials are not these
        invoice_id = next(iter(sb.rutter.invoices))
        async with client.get(invoices_url(sb, "tok-1", f"/{invoice_id}"), headers=good) as response:
            connection = (await response.json())["connection"]
        assert connection["id"] == "conn-1"
        assert connection["platform"] == "XERO"


@pytest.mark.parametrize(
    ("version", "code"),
    [
        (None, "MISSING_VERSION"),
        ("", "MISSING_VERSION"),
        ("2022-01-01", "INVALID_VERSION"),
        ("latest", "INVALID_VERSION"),
    ],
)
async def test_missing_or_unknown_version_is_400(
    sb: RunningSandbox, client: aiohttp.ClientSession, version: str | None, code: str
) -> None:
    request_headers = {"Authorization": basic()}
    if version is not None:
        request_headers["X-Rutter-Version"] = version
    async with client.post(invoices_url(sb), json=invoice_body(), headers=request_headers) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error_type"] == "INVALID_INPUT"
    assert body["error_code"] == code
    assert "X-Rutter-Version" in body["error_message"]
    assert sb.rutter.jobs == {}


async def test_unknown_route_answers_a_rutter_style_404(
    sb: RunningSandbox, client: aiohttp.ClientSession
) -> None:
    async with client.get(f"{sb.rutter_api_base}/accounting/nothing-here", headers=headers()) as response:
        assert response.status == 404
        assert set(await response.json()) == {"error_type", "error_code", "error_message"}
        assert response.headers["X-Rutter-Request-ID"]
