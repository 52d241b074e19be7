"""Calling the service over HTTP as its clients do, and bounded polling on observable state."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from multidict import CIMultiDict

T = TypeVar("T")

POLL_PAUSE_S = 0.02


@dataclass(frozen=True)
class Answer:
    """One HTTP answer of the service: status, JSON body (None when not JSON) and headers (any case)."""

    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def code(self) -> str | None:
        """The error code of an ErrorResponse body."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None

    @property
    def details(self) -> dict[str, Any]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        details = error.get("details") if isinstance(error, dict) else None
        return details if isinstance(details, dict) else {}


def bearer(api_key: str | None, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """`headers` plus `Authorization: Bearer <api_key>` (when there is a key)."""
    combined = dict(headers or {})
    if api_key is not None:
        combined["Authorization"] = f"Bearer {api_key}"
    return combined


async def call(
    session: aiohttp.ClientSession, method: str, url: str, *, json_body: Any = None, headers: Any = None
) -> Answer:
    async with session.request(method, url, json=json_body, headers=headers) as response:
        raw = await response.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return Answer(response.status, body, CIMultiDict(response.headers))


async def post_invoice(
    session: aiohttp.ClientSession,
    base_url: str,
    charge_id: str,
    *,
    key: str | None = None,
    send_email: bool | None = None,
    api_key: str | None = None,
) -> Answer:
    body: dict[str, Any] = {"charge_id": charge_id}
    if send_email is not None:
        body["send_email"] = send_email
    headers = bearer(api_key, {"Idempotency-Key": key} if key is not None else None)
    return await call(session, "POST", f"{base_url}/invoices", json_body=body, headers=headers)


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float, what: str, pause_s: float = POLL_PAUSE_S
) -> T:
    """Polls `probe` until it returns something other than None (or False); bounded by `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout_s:g} s")
        await asyncio.sleep(pause_s)
