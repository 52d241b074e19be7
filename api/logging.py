"""Structured logging: one JSON object per line, an event name plus fields, with the request id."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Fields every log line of the current request carries (e.g. charge_id), set with bind_log_fields().
_fields: ContextVar[dict[str, Any] | None] = ContextVar("log_fields", default=None)

# Attributes every LogRecord has; anything else was passed through `extra=` and is a field.
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "taskName"}

# Query parameters and keys whose values are secrets; never written to a log line.
_SECRET_KEYS = ("access_token", "client_secret", "authorization", "api_key", "password", "token")
_SECRET_QUERY = re.compile(r"((?:access_token|api_key|token|client_secret)=)[^&\s]+", re.IGNORECASE)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> None:
    """Starts a request's logging context: its id, and no bound fields yet."""
    _request_id.set(request_id)
    _fields.set({})


def bind_log_fields(**fields: Any) -> None:
    """Adds fields to every later log line of the current request."""
    current = _fields.get()
    if current is None:
        _fields.set(dict(fields))
    else:
        current.update(fields)


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
    """Makes every log record carry the current request id and bound fields (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_adds_log_context", False):
        return

    def record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        # One attribute, so `extra=` may still use any field name without a clash.
        context = dict(_fields.get() or {})
        request_id = _request_id.get()
        if request_id:
            context["request_id"] = request_id
        record.log_context = context
        return record

    record_with_context._adds_log_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_context)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        context: dict[str, Any] = getattr(record, "log_context", None) or {}
        if "request_id" not in context and current_request_id():
            context = {**context, "request_id": current_request_id()}
        for key, value in context.items():
            entry[key] = _clean(key, value)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and key != "log_context" and not key.startswith("_"):
                entry[key] = _clean(key, value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Sends every logger's records, as JSON lines, to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
