"""The invoice flow's errors, one class per code of the error table in docs/contract.md (named for what the
caller is told; the Rutter client's own exceptions, api/rutter/errors.py, say what happened on the wire)."""

from __future__ import annotations

from api.errors import NotFound, ServiceError


class ChargeNotFound(NotFound):
    """No charge with that id."""


class RequestNotFound(NotFound):
    """No invoice request with that id."""


class UnreconciledCustomer(ServiceError):
    """The charge's customer is not linked to an accounting customer with a Rutter id."""

    status_code = 409
    code = "UNRECONCILED_CUSTOMER"


class UnreconciledItem(ServiceError):
    """A line item's product is not linked to an accounting item with a Rutter id."""

    status_code = 409
    code = "UNRECONCILED_ITEM"


class InvalidCharge(ServiceError):
    """The charge lacks data Rutter requires."""

    status_code = 422
    code = "INVALID_CHARGE"


class NoBillableLineItems(ServiceError):
    """No line item survives the filter."""

    status_code = 422
    code = "NO_BILLABLE_LINE_ITEMS"


class NoAccessToken(ServiceError):
    """Neither the organization nor the settings give a Rutter access token."""

    status_code = 400
    code = "NO_ACCESS_TOKEN"


class InvoiceAlreadyExists(ServiceError):
    """This charge was already invoiced by this service."""

    status_code = 409
    code = "INVOICE_ALREADY_EXISTS"


class DuplicateDocumentNumber(ServiceError):
    """Another invoice of the organization already has this document number."""

    status_code = 409
    code = "DUPLICATE_DOCUMENT_NUMBER"


class RequestInProgress(ServiceError):
    """Another request for the same charge (or with the same Idempotency-Key) is running."""

    status_code = 409
    code = "REQUEST_IN_PROGRESS"


class IdempotencyKeyReused(ServiceError):
    """The Idempotency-Key was used before with a different body."""

    status_code = 409
    code = "IDEMPOTENCY_KEY_REUSED"


class EmailResendTooSoon(ServiceError):
    """The invoice email of this request was sent again less than EMAIL_RESEND_INTERVAL_S ago."""

    status_code = 429
    code = "RATE_LIMITED"


class InvoiceRejectedByRutter(ServiceError):
    """Rutter or the accounting platform refused the invoice."""

    status_code = 502
    code = "RUTTER_REJECTED"


class RutterCallFailed(ServiceError):
    """Rutter kept failing after the retry budget."""

    status_code = 502
    code = "RUTTER_UNAVAILABLE"


class RutterCredentialsMissing(ServiceError):
    """The service has no Rutter client credentials; a deployment problem, nothing was sent."""

    status_code = 503
    code = "RUTTER_NOT_CONFIGURED"
