"""Limits on the HTTP connection itself, which the application cannot see, for uvicorn:

    uvicorn api.main:app --http api.server:LimitedHttpToolsProtocol

From the settings:
* a request's line and headers must arrive within REQUEST_READ_TIMEOUT_S of its first byte (or of
  the connection, for a connection that sends nothing): else it is answered 408 and closed, and
  logged (the application enforces the same deadline on the body);
* line and headers are at most MAX_HEADER_BYTES: 431 and closed beyond;
* at most MAX_CONNECTIONS open connections (default: the open-file limit less a reserve): the excess
  is answered 503 and closed at once, so idle sockets can never exhaust the file descriptors and
  take `/healthz` down; refusals and exhausted descriptors are logged.

Without `--http` the application's own limits (body size and deadline, requests in progress) still hold.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.config import Settings, get_settings
from api.limits import REQUEST_STARTED

logger = logging.getLogger("api.server")

# Descriptors kept free for what is not a client connection: the pool, Rutter, logs, the listener.
FD_RESERVE = 100


def connection_ceiling(configured: int) -> int:
    """MAX_CONNECTIONS, or (0) the process's open-file limit less FD_RESERVE."""
    if configured > 0:
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 10_000
    return max(soft - FD_RESERVE, 16)


def _status(code: int, reason: str, message: str) -> bytes:
    body = message.encode()
    return (
        f"HTTP/1.1 {code} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class _HeadersTooLarge(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline, a header size limit and a connection ceiling."""

    _last_refusal_log = 0.0

    @staticmethod
    def settings() -> Settings:
        """Where the limits come from (the process's settings; tests substitute their own)."""
        return get_settings()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.settings()
        self.read_timeout_s = settings.request_read_timeout_s
        self.max_header_bytes = settings.max_header_bytes
        self.max_connections = connection_ceiling(settings.max_connections)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._refused = False

    # --- connections ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._log_refusal("connection_refused_over_limit", connections=len(self.connections))
            self._refuse(503, "Service Unavailable", "Too many connections; try again shortly.")
            return
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    # --- the header phase -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm_header_timer()
        self.scope["state"][REQUEST_STARTED] = time.monotonic()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Idle between requests: uvicorn's keep-alive timeout applies, not ours.
        self._cancel_header_timer()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            return  # the parser stopped because we refused the request; the answer is sent
        super().send_400_response(msg)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            logger.warning(
                "request_headers_too_large", extra={"client": self._client(), "limit": self.max_header_bytes}
            )
            self._refuse(431, "Request Header Fields Too Large", "The request headers are too large.")
            raise _HeadersTooLarge

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.read_timeout_s, self._header_timeout)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        logger.warning(
            "request_read_timeout",
            extra={"phase": "headers", "client": self._client(), "received_bytes": self._header_bytes},
        )
        self._refuse(408, "Request Timeout", "The request did not arrive in time.")

    def _refuse(self, code: int, reason: str, message: str) -> None:
        self._refused = True
        self._cancel_header_timer()
        if not self.transport.is_closing():
            self.transport.write(_status(code, reason, message))
            self.transport.close()

    def _client(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "unknown"

    @classmethod
    def _log_refusal(cls, event: str, **fields: Any) -> None:
        now = time.monotonic()
        if now - cls._last_refusal_log > 1:  # at most one line a second, however many are refused
            cls._last_refusal_log = now
            logger.warning(event, extra=fields)


def log_exhausted_descriptors(loop: asyncio.AbstractEventLoop) -> None:
    """Running out of file descriptors (accept() failing with EMFILE/ENFILE) is logged, not silent."""
    default = loop.get_exception_handler()
    if getattr(default, "_logs_exhausted_descriptors", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
            logger.error("file_descriptors_exhausted", extra={"error": str(exc)})
        if default is not None:
            default(loop, context)
        else:
            loop.default_exception_handler(context)

    handler._logs_exhausted_descriptors = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)
