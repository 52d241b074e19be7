"""`--from-api`: fetching charges from the streamOS API (mocked with aioresponses, through the
project's aiohttp 3.14 shim in tests/rutter/http_mock.py)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from yarl import URL

from api.config import Settings
from devkit.demo import SUPPRESSED_CHARGE_ID
from seed.__main__ import run
from seed.streamos import StreamosError, fetch_charges
from tests.rutter.http_mock import mock_http
from tests.seed.examples import CHARGE_ID, example_charge, row_counts

BASE_URL = "https://streamos.test/api"
API_KEY = "sk-streamos-test-1234"
CHARGE_URL = f"{BASE_URL}/charges/{CHARGE_ID}"


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"streamos_base_url": BASE_URL, "streamos_api_key": API_KEY, **overrides}
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "data"])
async def test_fetch_returns_the_charge_and_sends_the_key(wrapped: bool) -> None:
    charge = example_charge()
    with mock_http() as mocked:
        mocked.get(CHARGE_URL, payload={"data": charge} if wrapped else charge)
        [fetched] = await fetch_charges([CHARGE_ID], _settings())
        [request] = mocked.requests[("GET", URL(CHARGE_URL))]
    assert fetched["id"] == CHARGE_ID
    assert fetched["total_amount"] == "1750"
    assert request.kwargs["headers"]["x-api-key"] == API_KEY


async def test_fetch_follows_the_configured_path_and_header() -> None:
    settings = _settings(
        streamos_base_url=BASE_URL + "/",
        streamos_charge_path="v2/invoices/{charge_id}/full",
        streamos_auth_header="Authorization",
    )
    url = f"{BASE_URL}/v2/invoices/{CHARGE_ID}/full"
    with mock_http() as mocked:
        mocked.get(url, payload=example_charge())
        await fetch_charges([CHARGE_ID, CHARGE_ID.upper()], settings)
        requests = mocked.requests[("GET", URL(url))]
    assert len(requests) == 1  # the same charge is fetched once
    assert requests[0].kwargs["headers"]["Authorization"] == API_KEY


async def test_fetch_reports_a_non_2xx_answer_without_the_key() -> None:
    with mock_http() as mocked:
        mocked.get(CHARGE_URL, status=401, body=f"invalid api key {API_KEY}")
        with pytest.raises(StreamosError) as caught:
            await fetch_charges([CHARGE_ID], _settings())
    message = str(caught.value)
    assert message.startswith(f"streamOS answered 401 for charge {CHARGE_ID}")
    assert API_KEY not in message


async def test_fetch_needs_a_base_url() -> None:
    with pytest.raises(StreamosError, match="STREAMOS_BASE_URL is not set"):
        await fetch_charges([CHARGE_ID], _settings(streamos_base_url=None))


async def test_fetch_refuses_an_id_that_is_not_a_uuid() -> None:
    with pytest.raises(StreamosError, match="'p-uuid-1' is not a charge id"):
        await fetch_charges(["p-uuid-1"], _settings())


async def test_fetch_refuses_another_charge_than_asked_for() -> None:
    other = example_charge()
    other["id"] = SUPPRESSED_CHARGE_ID
    with mock_http() as mocked:
        mocked.get(CHARGE_URL, payload=other)
        with pytest.raises(StreamosError, match=f"with charge '{SUPPRESSED_CHARGE_ID}'"):
            await fetch_charges([CHARGE_ID], _settings())


async def test_fetch_reports_a_body_that_is_not_json() -> None:
    with mock_http() as mocked:
        mocked.get(CHARGE_URL, body="<html>maintenance</html>")
        with pytest.raises(StreamosError, match="not JSON"):
            await fetch_charges([CHARGE_ID], _settings())


async def test_from_api_loads_the_fetched_charge(
    db: asyncpg.Pool, database_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_http() as mocked:
        mocked.get(CHARGE_URL, payload={"data": example_charge(address_key="uac_address")})
        status = await run(["--from-api", CHARGE_ID], _settings(database_url=database_dsn))

    assert status == 0
    assert "Loaded 1 charge." in capsys.readouterr().out
    counts = await row_counts(db)
    assert (counts["uac_invoice"], counts["uac_line_item"], counts["uac_address"]) == (1, 4, 1)


async def test_from_api_error_writes_nothing(
    db: asyncpg.Pool, database_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_http() as mocked:
        mocked.get(CHARGE_URL, status=503, body="upstream down")
        status = await run(["--from-api", CHARGE_ID], _settings(database_url=database_dsn))

    assert status == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith(f"error: streamOS answered 503 for charge {CHARGE_ID}")
    assert API_KEY not in stderr
    assert sum((await row_counts(db)).values()) == 0


async def test_from_api_without_base_url_explains(
    database_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = await run(
        ["--from-api", CHARGE_ID], _settings(database_url=database_dsn, streamos_base_url=None)
    )

    assert status == 2
    assert "STREAMOS_BASE_URL is not set" in capsys.readouterr().err
