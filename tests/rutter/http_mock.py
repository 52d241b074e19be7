"""aioresponses, made to work with aiohttp 3.14.

aiohttp 3.14 added a required `stream_writer` argument to `ClientResponse`, which aioresponses
0.7.9 does not pass (pnuckowski/aioresponses#289, no fixed release yet). The mocked responses are
built from a subclass that supplies a stand-in writer; drop this once aioresponses is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from unittest import mock

import aioresponses.core
from aiohttp import ClientResponse
from aioresponses import aioresponses as Aioresponses
from yarl import URL


class _MockedResponse(ClientResponse):
    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))  # "request already sent"
        super().__init__(method, url, **kwargs)


@contextmanager
def mock_http() -> Iterator[Aioresponses]:
    """An active aioresponses mock whose responses aiohttp 3.14 can build."""
    with mock.patch.object(aioresponses.core, "ClientResponse", _MockedResponse), Aioresponses() as mocked:
        yield mocked


def requests_to(mocked: Aioresponses, method: str, path: str) -> list[Any]:
    """Every recorded call with that method and URL path, whatever the query, in order."""
    calls: list[Any] = []
    for (call_method, url), recorded in mocked.requests.items():
        if call_method == method and URL(url).path == path:
            calls.extend(recorded)
    return calls
