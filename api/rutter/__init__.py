"""Client for Rutter's unified accounting API: invoices, async jobs and invoice PDFs."""

from api.rutter.client import PDF_LINK_VERSION, RutterClient
from api.rutter.errors import (
    RutterError,
    RutterIdempotencyConflict,
    RutterJobTimeout,
    RutterNotConfigured,
    RutterNotReached,
    RutterOutcomeUnknown,
    RutterRejected,
    RutterUnavailable,
)
from api.rutter.retry import RetryPolicy
from api.rutter.schemas import AsyncResponse, CreateResult, Job, RutterInvoice, RutterInvoiceLine

__all__ = [
    "PDF_LINK_VERSION",
    "AsyncResponse",
    "CreateResult",
    "Job",
    "RetryPolicy",
    "RutterClient",
    "RutterError",
    "RutterIdempotencyConflict",
    "RutterInvoice",
    "RutterInvoiceLine",
    "RutterJobTimeout",
    "RutterNotConfigured",
    "RutterNotReached",
    "RutterOutcomeUnknown",
    "RutterRejected",
    "RutterUnavailable",
]
