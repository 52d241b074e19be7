"""Structured logging on structlog: one JSON object per line, an event name plus fields, with the
request id and the fields bound for the request; secrets masked.

Code logs through the standard library (`logging.getLogger(...).info("event", extra={...})`);
the request's fields live in structlog's context variables (one per field, so a task started by
the request gets a copy and nothing is shared between requests); each record takes them when it
is made, and `JsonFormatter` renders it through structlog's processors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars
from structlog.typing import EventDict, WrappedLogger

# Query parameters and keys whose values are secrets; never written to a log line.
_SECRET_KEYS = ("access_token", "client_secret", "authorization", "api_key", "password", "token")
_SECRET_QUERY = re.compile(r"((?:access_token|api_key|token|client_secret)=)[^&\s]+", re.IGNORECASE)


def current_request_id() -> str | None:
    request_id = get_contextvars().get("request_id")
    return request_id if isinstance(request_id, str) else None


def set_request_id(request_id: str | None) -> None:
    """Starts a request's logging context: its id, and no bound fields yet."""
    clear_contextvars()
    if request_id:
        bind_contextvars(request_id=request_id)


def bind_log_fields(**fields: Any) -> None:
    """Adds fields to every later log line of the current request (and of tasks it starts)."""
    bind_contextvars(**fields)


def redact(text: str) -> str:
    """Masks secret query-string values in a URL or message."""
    return _SECRET_QUERY.sub(r"\1***", text)


def _clean(key: str, value: Any) -> Any:
    if any(secret in key.lower() for secret in _SECRET_KEYS):
        return "***"
    if isinstance(value, str):
        return redact(value)
    return value


def install_log_context() -> None:
    """Makes every log record carry the request's context as it is when the record is made
    (`record.log_context`); idempotent."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_adds_log_context", False):
        return

    def record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        # One attribute, so `extra=` may still use any field name without a clash.
        record.log_context = get_contextvars()
        return record

    record_with_context._adds_log_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_context)


def _record_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The line's head (time, level, logger, event), the request's context, then `extra=` fields."""
    record: logging.LogRecord = event["_record"]
    head: EventDict = {
        "ts": event.pop("ts"),
        "level": record.levelname,
        "logger": record.name,
        "event": event.pop("event"),
    }
    context: MutableMapping[str, Any] = getattr(record, "log_context", None) or get_contextvars()
    head.update(context)
    extra = {key: value for key, value in event.items() if key != "log_context"}
    head.update(extra)
    return head


def _masked(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The redaction processor: secret keys and secret query values never reach the output."""
    return {key: _clean(key, value) for key, value in event.items()}


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders standard-library records as JSON lines through structlog's processors."""

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=[
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
                structlog.stdlib.ExtraAdder(),
            ],
            processors=[
                _record_fields,
                structlog.processors.format_exc_info,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _masked,
                structlog.processors.JSONRenderer(default=str),
            ],
        )


def configure_logging(level: str = "INFO") -> None:
    """Sends every logger's records, as JSON lines, to stderr."""
    install_log_context()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
