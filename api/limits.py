"""Limits on what one request may cost, as ASGI middleware (so they hold under plain
`uvicorn api.main:app` too): the body size, the time to deliver the body, and the number of
requests in progress. The header phase is the server's: see api/server.py."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ServiceError, error_json

logger = logging.getLogger("api.limits")

# Set by api.server's protocol: when the request's first byte arrived (time.monotonic()), so the
# read timeout covers headers and body together.
REQUEST_STARTED = "api.request_started"
# Probes are always answered, however busy the service is.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


class PayloadTooLarge(ServiceError):
    """The body is larger than MAX_BODY_BYTES."""

    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class RequestTimeout(ServiceError):
    """The client did not deliver its request within REQUEST_READ_TIMEOUT_S."""

    status_code = 408
    code = "REQUEST_TIMEOUT"


class ServiceOverloaded(ServiceError):
    """More requests in progress than MAX_CONCURRENT_REQUESTS."""

    status_code = 503
    code = "SERVICE_OVERLOADED"


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header, or None (absent or not a number: the server refuses the latter)."""
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def declares_body(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if (name == b"content-length" and value not in (b"", b"0")) or name == b"transfer-encoding":
            return True
    return False


async def refuse(scope: Scope, receive: Receive, send: Send, error: ServiceError) -> None:
    """Answers with `error`; closes the connection when a body may still be coming (never read)."""
    headers = dict(error.headers)
    if declares_body(scope):
        headers["Connection"] = "close"
    await error_json(error, headers)(scope, receive, send)


class ConcurrencyLimitMiddleware:
    """Answers 503 SERVICE_OVERLOADED beyond `max_requests` requests in progress (probes excepted)."""

    def __init__(self, app: ASGIApp, max_requests: int) -> None:
        self.app = app
        self.max_requests = max_requests
        self.in_progress = 0
        self._last_warning = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.max_requests:
            now = time.monotonic()
            if now - self._last_warning > 1:
                self._last_warning = now
                logger.warning("request_refused_overloaded", extra={"in_progress": self.in_progress})
            error = ServiceOverloaded(
                "Too many requests in progress; try again shortly.",
                {"max_concurrent_requests": self.max_requests},
                headers={"Retry-After": "1"},
            )
            await refuse(scope, receive, send, error)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1


class BodyLimitMiddleware:
    """413 PAYLOAD_TOO_LARGE for a body over `max_body_bytes`, from Content-Length before reading
    anything, else while it streams; 408 REQUEST_TIMEOUT (and the connection closed) when the body
    has not arrived within `read_timeout_s` of the request's start."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, read_timeout_s: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_body_bytes:
            logger.info("request_body_too_large", extra={"declared_bytes": length, "path": scope["path"]})
            await refuse(scope, receive, send, self._too_large())
            return
        if not declares_body(scope):
            await self.app(scope, receive, send)
            return

        started = (scope.get("state") or {}).get(REQUEST_STARTED) or time.monotonic()
        deadline = started + self.read_timeout_s
        received = 0
        body_complete = False
        refused = False
        response_started = False

        async def app_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return  # we answered already; the application's late answer goes nowhere
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        async def stop(error: ServiceError) -> Message:
            nonlocal refused
            if not response_started:
                await refuse(scope, receive, send, error)
            refused = True
            # The application stops reading: for it the client went away.
            return {"type": "http.disconnect"}

        async def limited_receive() -> Message:
            nonlocal received, body_complete
            if refused:
                return {"type": "http.disconnect"}
            if body_complete:
                return await receive()  # e.g. waiting for a disconnect: no deadline
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                    message = await receive()
            except TimeoutError:
                logger.warning(
                    "request_read_timeout",
                    extra={"phase": "body", "received_bytes": received, "path": scope["path"]},
                )
                return await stop(
                    RequestTimeout(
                        f"The request body did not arrive within {self.read_timeout_s:g} s.",
                        {"request_read_timeout_s": self.read_timeout_s},
                    )
                )
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    logger.info(
                        "request_body_too_large", extra={"received_bytes": received, "path": scope["path"]}
                    )
                    return await stop(self._too_large())
                body_complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, app_send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than {self.max_body_bytes} bytes.",
            {"max_body_bytes": self.max_body_bytes},
        )
