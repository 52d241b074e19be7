"""What can go wrong talking to Rutter, split by what the caller may safely do next.

    RutterError
    ├── RutterNotConfigured      credentials missing; nothing was sent
    ├── RutterRejected           Rutter or the platform said no (400/401/404/410/450, failed job)
    ├── RutterIdempotencyConflict  a create's Idempotency-Key was already used with other parameters
    ├── RutterJobTimeout         the job had not finished by the deadline
    └── RutterUnavailable        no usable answer within the retry budget (429/452/5xx/network)
        ├── RutterNotReached     ...and no attempt reached Rutter: surely nothing was created
        └── RutterOutcomeUnknown ...and a create attempt may have been applied

Answers and transport failures are mapped to these in one place: the functions at the end.
Messages are written here, from status codes and Rutter's own error fields: never a URL, a header
or a credential.
"""

from __future__ import annotations

from typing import Any

import aiohttp


class RutterError(Exception):
    """Base of every error raised by the Rutter client."""


class RutterNotConfigured(RutterError):
    """RUTTER_CLIENT_ID or RUTTER_CLIENT_SECRET is not set, so no request was sent."""


class RutterRejected(RutterError):
    """Rutter or the accounting platform refused the request; retrying it unchanged will not help."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None,
        error_type: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_type = error_type
        self.error_code = error_code
        self.error_message = error_message


class RutterIdempotencyConflict(RutterError):
    """Rutter answered 409 to a create: an earlier request with this Idempotency-Key was accepted
    (with other parameters), so an invoice may exist; never retry it under a new key."""


class RutterJobTimeout(RutterError):
    """The async job was still running (or could not be read) when the deadline passed."""

    def __init__(self, message: str, *, job_id: str) -> None:
        super().__init__(message)
        self.job_id = job_id


class RutterUnavailable(RutterError):
    """Rutter gave no usable answer (429/452/5xx/network) within the retry budget."""

    def __init__(
        self,
        message: str,
        *,
        last_status: int | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.last_status = last_status  # None when the last attempt got no HTTP answer at all
        self.attempts = attempts
        self.retry_after = retry_after  # seconds Rutter asked us to wait (Retry-After), if it said


class RutterNotReached(RutterUnavailable):
    """The request surely never reached Rutter (DNS, refused, connect timeout); safe to retry."""


class RutterOutcomeUnknown(RutterUnavailable):
    """The request may or may not have been applied; retry only with the same Idempotency-Key."""


# -- Rutter's answers and transport failures as the errors above (the client's one mapping) --


def classify_transport_error(exc: BaseException, *, applies_changes: bool) -> RutterError:
    """The one place transport errors become ours: before sending (not reached) or after (unknown)."""
    kind = type(exc).__name__
    if isinstance(exc, aiohttp.InvalidURL):
        return RutterNotConfigured("RUTTER_BASE_URL does not make a valid URL")
    # Checked first: ConnectionTimeoutError is also a ServerTimeoutError, which may come after sending.
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return RutterNotReached(f"could not connect to Rutter ({kind})")
    outcome = "the request may have been applied" if applies_changes else "no answer was read"
    return RutterOutcomeUnknown(f"the connection to Rutter failed after sending ({kind}); {outcome}")


def rejected(status: int | None, body: Any, *, what: str) -> RutterRejected:
    fields = body if isinstance(body, dict) else {}

    def text(key: str) -> str | None:
        value = fields.get(key)
        return value if isinstance(value, str) else None

    error_type, error_code, error_message = text("error_type"), text("error_code"), text("error_message")
    detail = ": ".join(part for part in (error_code, error_message) if part)
    return RutterRejected(
        f"{what} (HTTP {status}){': ' + detail if detail else ''}",
        http_status=status,
        error_type=error_type,
        error_code=error_code,
        error_message=error_message,
    )


def unreadable_create(status: int) -> RutterOutcomeUnknown:
    return RutterOutcomeUnknown(
        f"Rutter accepted the invoice (HTTP {status}) but answered with neither a job nor an invoice",
        last_status=status,
    )


def unreadable(status: int, what: str) -> RutterUnavailable:
    return RutterUnavailable(f"Rutter answered HTTP {status} without a readable {what}", last_status=status)


def retry_after_s(value: str | None) -> float | None:
    """Retry-After in seconds; an HTTP-date or garbage counts as absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is not a wait
