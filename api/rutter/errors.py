"""What can go wrong talking to Rutter, split by what the caller may safely do next.

    RutterError
    ├── RutterNotConfigured      credentials missing; nothing was sent
    ├── RutterRejected           Rutter or the platform said no (400/401/404/410/450, failed job)
    ├── RutterIdempotencyConflict  a create's Idempotency-Key was already used with other parameters
    ├── RutterJobTimeout         the job had not finished by the deadline
    └── RutterUnavailable        no usable answer within the retry budget (429/452/5xx/network)
        ├── RutterNotReached     ...and no attempt reached Rutter: surely nothing was created
        └── RutterOutcomeUnknown ...and a create attempt may have been applied

Transport failures are mapped to these in one place (`client._classify_transport_error`).
Messages are written here, from status codes and Rutter's own error fields: never a URL, a header
or a credential.
"""

from __future__ import annotations


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
