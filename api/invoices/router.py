"""HTTP endpoints of the invoice flow; the work happens in InvoiceService."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import fastapi.routing
from fastapi import APIRouter, Header, Path, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.telemetry import get_telemetry_data
from pydantic import StringConstraints, TypeAdapter, ValidationError
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY

from api.deps import Resources
from api.errors import ErrorResponse, model_json
from api.invoices.schemas import (
    CreateInvoiceRequest,
    EmailOutcome,
    InvoiceCreated,
    InvoicePreview,
    InvoiceRequestStatus,
)
from api.invoices.service import InvoiceService
from api.keys.auth import BEARER_SECURITY, caller_of
from api.values import CANONICAL_UUID

router = APIRouter(tags=["invoices"])

# An Idempotency-Key: 1-255 printable ASCII characters, not only spaces.
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7E]*[\x21-\x7E][\x20-\x7E]*$"


def invoice_service(request: Request) -> InvoiceService:
    """The service limited to what the caller's key may see. Called by each endpoint rather than
    declared as a dependency: FastAPI would resolve a dependency tree anew on every request, and
    the caller is already known (ApiKeyMiddleware); the bearer scheme is declared in OpenAPI only."""
    resources: Resources = request.app.state.resources
    return resources.invoice_service(caller_of(request).organization_id)


# Ids in paths are validated like ids in bodies: canonical UUIDs only (any letter case), else 422.
RequestIdPath = Annotated[
    str, Path(pattern=CANONICAL_UUID, description="request_id from POST /invoices (a canonical UUID)")
]
ChargeIdPath = Annotated[
    str, Path(pattern=CANONICAL_UUID, description="id of the uac_invoice row (the charge; a canonical UUID)")
]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse} for status in statuses}


async def create_invoice(
    body: CreateInvoiceRequest,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="1-255 printable ASCII characters; a retry with the same key and body is answered "
            "with the first answer",
        ),
    ] = None,
) -> Response:
    answer = await invoice_service(request).create(body, idempotency_key)
    return model_json(answer.status_code, answer.body, answer.headers)


class CreateInvoiceRoute(APIRoute):
    """POST /invoices with a short way for well-formed requests.

    FastAPI's handler parses the content type with the email package, decodes the JSON, solves the
    endpoint's parameters and validates each one: through the app's whole ASGI stack, around an
    endpoint whose service answers at once, 138 us of CPU a call, 83 us with this route. A request whose
    content type is JSON, whose body CreateInvoiceRequest accepts as it is and whose Idempotency-Key
    is absent or valid goes straight to the endpoint with the values FastAPI would have given it.
    Every other request takes FastAPI's own handler, which answers it as before (its 422s
    included): the short way only skips work, never decides anything. So do all requests while
    OpenTelemetry collects FastAPI's data, while FastAPI limits the body's size, and while Python
    reads shorter integers than pydantic's JSON parser does; and the short way is not built at all
    when the route has dependencies (an app's, a router's) or parameters other than the endpoint's.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        fastapi_handler = super().get_route_handler()
        if not short_way_fits(self._served_dependant()):
            return fastapi_handler

        async def handler(request: Request) -> Response:
            inputs = await _well_formed_create(request)
            if inputs is None or get_telemetry_data() is not None:
                return await fastapi_handler(request)
            return await create_invoice(inputs[0], request, inputs[1])

        return handler

    def _served_dependant(self) -> Dependant:
        """The parameters and dependencies FastAPI's handler serves: an included route's are its
        inclusion's (a router's or the app's dependencies added), which FastAPI 0.165 hands to
        get_route_handler through a context variable rather than as `self.dependant`. (A test
        includes the router with a dependency and checks that the dependency runs.)"""
        context = getattr(fastapi.routing, "_effective_route_context_var", None)
        served = context.get() if context is not None else None
        if served is not None and getattr(served, "original_route", None) is self:
            dependant = getattr(served, "dependant", None)
            if isinstance(dependant, Dependant):
                return dependant
        return self.dependant


def short_way_fits(dependant: Dependant) -> bool:
    """Whether FastAPI would give the endpoint nothing but create_invoice's own parameters."""
    return (
        dependant.call is create_invoice
        and not dependant.dependencies
        and not (dependant.path_params or dependant.query_params or dependant.cookie_params)
        and [field.name for field in dependant.body_params] == ["body"]
        and [field.name for field in dependant.header_params] == ["idempotency_key"]
        and dependant.request_param_name == "request"
        and dependant.response_param_name is None
        and dependant.background_tasks_param_name is None
    )


_IDEMPOTENCY_KEY: TypeAdapter[str] = TypeAdapter(
    Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=IDEMPOTENCY_KEY_PATTERN)]
)
# pydantic's JSON parser reads integers of up to this many digits; json.loads, FastAPI's, as many
# as Python allows (sys.set_int_max_str_digits, 4300 unless set otherwise).
_PYDANTIC_INT_DIGITS = 4300


async def _well_formed_create(request: Request) -> tuple[CreateInvoiceRequest, str | None] | None:
    """The body and Idempotency-Key of a POST /invoices that FastAPI would accept as they are, else None."""
    if MAX_BODY_SIZE_SCOPE_KEY in request.scope or 0 < sys.get_int_max_str_digits() < _PYDANTIC_INT_DIGITS:
        return None
    content_type = request.headers.get("content-type")
    if content_type is None or content_type.partition(";")[0].strip().lower() != "application/json":
        return None
    key = request.headers.get("idempotency-key")
    try:
        # Kept by the request: FastAPI's handler reads it again if need be (a body cut short reads
        # as the same disconnect the second time).
        body = await request.body()
    except Exception:  # FastAPI's handler gives the answer it always gave
        return None
    try:
        if key is not None:
            key = _IDEMPOTENCY_KEY.validate_python(key)
        return CreateInvoiceRequest.model_validate_json(body), key
    except ValidationError:
        return None


router.add_api_route(
    "/invoices",
    create_invoice,
    methods=["POST"],
    status_code=201,
    response_model=InvoiceCreated,
    summary="Create the invoice for a charge in the customer's accounting system",
    responses={
        202: {
            "model": InvoiceRequestStatus,
            "description": "Rutter accepted the job but it had not finished in time; poll the Location URL",
        },
        **_errors(400, 401, 404, 409, 413, 422, 502, 503, 500),
    },
    openapi_extra=BEARER_SECURITY,
    route_class_override=CreateInvoiceRoute,
)


@router.get(
    "/invoices/requests/{request_id}",
    response_model=InvoiceRequestStatus,
    summary="State of one invoice request; a pending one is resumed first",
    responses=_errors(401, 404, 422, 503, 500),
    openapi_extra=BEARER_SECURITY,
)
async def get_invoice_request(
    request_id: RequestIdPath,
    request: Request,
) -> InvoiceRequestStatus:
    return await invoice_service(request).request_status(request_id.lower())


@router.post(
    "/invoices/requests/{request_id}/email",
    response_model=EmailOutcome,
    summary="Send the invoice email again (the create sends it at most once)",
    responses=_errors(401, 404, 409, 422, 429, 503, 500),
    openapi_extra=BEARER_SECURITY,
)
async def resend_invoice_email(
    request_id: RequestIdPath,
    request: Request,
) -> EmailOutcome:
    return await invoice_service(request).resend_email(request_id.lower())


@router.get(
    "/charges/{charge_id}/invoice-preview",
    response_model=InvoicePreview,
    summary="Dry run: every check of POST /invoices and the exact Rutter body, nothing sent or written",
    responses=_errors(400, 401, 404, 409, 422, 503, 500),
    openapi_extra=BEARER_SECURITY,
)
async def preview_invoice(
    charge_id: ChargeIdPath,
    request: Request,
) -> InvoicePreview:
    return await invoice_service(request).preview(charge_id.lower())
