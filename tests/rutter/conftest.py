"""Fixtures for the Rutter client tests: fake time, settings, an HTTP session with mocked Rutter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from pydantic import SecretStr

from api.config import RutterVersion, Settings
from api.rutter.client import RutterClient
from tests.rutter.http_mock import mock_http

BASE_URL = "https://rutter.test"
CLIENT_ID = "client-id-7d1c"
CLIENT_SECRET = "client-secret-XYZ-do-not-log"
ACCESS_TOKEN = "access-sandbox-token-do-not-log"
IDEMPOTENCY_KEY = "3f0c1d8e-5b2a-4c6e-9f1d-0a1b2c3d4e5f"
JOB_ID = "5b5a4a43-5a2c-4d1f-9f0e-6f4d3c1a2b10"
INVOICE_ID = "9e1c2d3f-0000-4000-8000-000000000001"

INVOICES_URL = f"{BASE_URL}/versioned/accounting/invoices?access_token={ACCESS_TOKEN}"
JOB_URL = f"{BASE_URL}/versioned/jobs/{JOB_ID}"
INVOICE_URL = f"{BASE_URL}/versioned/accounting/invoices/{INVOICE_ID}?access_token={ACCESS_TOKEN}"
PDF_URL = f"{BASE_URL}/versioned/accounting/invoices/{INVOICE_ID}/pdf?access_token={ACCESS_TOKEN}"


class FakeTime:
    """A clock that only moves when the client sleeps; records every wait."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_settings(version: RutterVersion = "2023-03-14", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "rutter_base_url": BASE_URL,
        "rutter_client_id": CLIENT_ID,
        "rutter_client_secret": SecretStr(CLIENT_SECRET),
        "rutter_version": version,
        "rutter_poll_initial_s": 0.5,
        "rutter_poll_factor": 1.5,
        "rutter_poll_max_s": 5.0,
        "rutter_request_timeout_s": 30.0,
        "rutter_retry_attempts": 5,
        "rutter_retry_budget_s": 15.0,
        "rutter_retry_initial_s": 0.5,
        "rutter_retry_max_wait_s": 8.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


def invoice_2023(**overrides: Any) -> dict[str, Any]:
    """An invoice in the 2023-03-14 shape (amounts as strings), after the spec's example."""
    return {
        "id": INVOICE_ID,
        "platform_id": "145",
        "account_id": "acc-1",
        "customer_id": "cus-1",
        "subsidiary_id": None,
        "due_date": "2024-05-31T00:00:00.000Z",
        "issue_date": "2024-05-01T00:00:00.000Z",
        "status": "open",
        "currency_code": "USD",
        "document_number": "INV-1001",
        "memo": "May usage",
        "amount_due": "14.34",
        "sub_total": "12.34",
        "tax_amount": "2",
        "total_amount": "14.34",
        "total_discount": "0",
        "linked_payments": [],
        "line_items": [
            {
                "id": "line-1",
                "platform_id": "1",
                "account_id": "acc-1",
                "item_id": "item-1",
                "tax_rate_id": None,
                "description": "Platform fee",
                "quantity": 1,
                "amount": "14.34",
                "discount_amount": "0",
                "discount_percentage": "0",
                "sub_total": "12.34",
                "tax_amount": "2",
                "unit_amount": "12.34",
            }
        ],
        "created_at": "2024-05-01T00:00:00.000Z",
        "updated_at": "2024-05-01T00:00:00.000Z",
        **overrides,
    }


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with mock_http() as mock:
        yield mock


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def client(session: aiohttp.ClientSession, settings: Settings, fake_time: FakeTime) -> RutterClient:
    return RutterClient(session, settings, sleep=fake_time.sleep, clock=fake_time.clock)
