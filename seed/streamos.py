"""Fetches charges from the streamOS API (`python -m seed --from-api`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import aiohttp

from api.config import Settings
from api.values import is_canonical_uuid
from seed.loader import SeedError, decode_json

# Charges are fetched a few at a time: enough to be quick, few enough to be polite.
MAX_CONCURRENT_FETCHES = 8
REQUEST_TIMEOUT_S = 30.0


class StreamosError(SeedError):
    """streamOS could not be asked, or did not answer with a charge."""


def _unwrap(body: Any) -> Any:
    while isinstance(body, dict) and "data" in body and "id" not in body:
        body = body["data"]
    return body


def charge_url(settings: Settings, charge_id: str) -> str:
    """{STREAMOS_BASE_URL}{STREAMOS_CHARGE_PATH} for one charge."""
    if not settings.streamos_base_url:
        raise StreamosError(
            "STREAMOS_BASE_URL is not set: set it (and STREAMOS_API_KEY) to fetch charges from streamOS, "
            "or load a file with --file"
        )
    path = settings.streamos_charge_path.format(charge_id=quote(charge_id, safe=""))
    return settings.streamos_base_url.rstrip("/") + "/" + path.lstrip("/")


def _redacted(text: str, settings: Settings) -> str:
    secret = settings.streamos_api_key.get_secret_value() if settings.streamos_api_key else ""
    return text.replace(secret, "***") if secret else text


async def _fetch_one(
    session: aiohttp.ClientSession, settings: Settings, charge_id: str, headers: dict[str, str]
) -> Any:
    url = charge_url(settings, charge_id)
    try:
        async with session.get(url, headers=headers) as response:
            body = await response.read()
            if not 200 <= response.status < 300:
                snippet = " ".join(body[:200].decode("utf-8", "replace").split())
                raise StreamosError(
                    _redacted(
                        f"streamOS answered {response.status} for charge {charge_id} ({url})"
                        + (f": {snippet}" if snippet else ""),
                        settings,
                    )
                )
    except (aiohttp.ClientError, TimeoutError) as exc:
        detail = str(exc) or type(exc).__name__
        raise StreamosError(
            _redacted(f"cannot reach streamOS for charge {charge_id} ({url}): {detail}", settings)
        ) from None
    try:
        charge = _unwrap(decode_json(body))
    except ValueError:
        raise StreamosError(
            f"streamOS answered charge {charge_id} with a body that is not JSON ({url})"
        ) from None
    if not isinstance(charge, dict):
        raise StreamosError(
            f"streamOS answered charge {charge_id} with {type(charge).__name__}, not a charge object"
        )
    if str(charge.get("id", "")).lower() != charge_id.lower():
        raise StreamosError(
            f"streamOS answered a request for charge {charge_id} with charge {charge.get('id')!r}"
        )
    return charge


async def fetch_charges(
    charge_ids: Sequence[str], settings: Settings, *, session: aiohttp.ClientSession | None = None
) -> list[Any]:
    """The charges with these ids, in the API shape (unwrapped from {"data": ...}), in order.

    Sends `STREAMOS_AUTH_HEADER: STREAMOS_API_KEY` when a key is set. Raises StreamosError.
    """
    if not settings.streamos_base_url:
        charge_url(settings, "")  # raises the explanation
    for charge_id in charge_ids:
        if not is_canonical_uuid(charge_id):
            raise StreamosError(f"{charge_id!r} is not a charge id (a UUID)")
    unique_ids = list(dict.fromkeys(charge_id.lower() for charge_id in charge_ids))
    headers = {"Accept": "application/json"}
    if settings.streamos_api_key is not None:
        headers[settings.streamos_auth_header] = settings.streamos_api_key.get_secret_value()

    client = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))
    limit = asyncio.Semaphore(MAX_CONCURRENT_FETCHES)

    async def fetch(charge_id: str) -> Any:
        async with limit:
            return await _fetch_one(client, settings, charge_id, headers)

    try:
        results = await asyncio.gather(
            *(fetch(charge_id) for charge_id in unique_ids), return_exceptions=True
        )
    finally:
        if session is None:
            await client.close()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)
