"""The error envelope, the service's exception tree and the one place that maps them to HTTP."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.logging import current_request_id

logger = logging.getLogger("api.errors")


class ErrorBody(BaseModel):
    code: str = Field(description="stable, machine-readable error code", examples=["UNRECONCILED_ITEM"])
    message: str = Field(description="human-readable explanation")
    details: dict[str, Any] = Field(default_factory=dict, description="what a person needs to act on it")


class ErrorResponse(BaseModel):
    """Body of every 4xx/5xx answer."""

    error: ErrorBody
    request_id: str | None = None


class ServiceError(Exception):
    """Base of every error the API answers with; subclasses fix the status and the code."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(
        self, message: str, details: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def to_response(self) -> ErrorResponse:
        return ErrorResponse(
            error=ErrorBody(code=self.code, message=self.message, details=self.details),
            request_id=current_request_id(),
        )


class RequestValidationFailed(ServiceError):
    """The request is malformed: bad JSON, wrong types, unknown fields, bad headers."""

    status_code = 422
    code = "VALIDATION_ERROR"


class NotFound(ServiceError):
    status_code = 404
    code = "NOT_FOUND"


class DatabaseUnavailable(ServiceError):
    status_code = 503
    code = "DATABASE_UNAVAILABLE"


class InternalError(ServiceError):
    status_code = 500
    code = "INTERNAL_ERROR"


def model_json(status_code: int, body: BaseModel, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response of a pydantic body, encoded once (by pydantic-core, straight to bytes)."""
    return Response(body.model_dump_json().encode(), status_code, headers, media_type="application/json")


def error_json(error: ServiceError, headers: Mapping[str, str] | None = None) -> Response:
    return model_json(error.status_code, error.to_response(), headers)


# Errors that mean PostgreSQL cannot be reached right now (not SQL errors): answered 503.
DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, DNS, socket timeouts
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def _validation_field(err: Any, body: Any, request: Request) -> dict[str, Any]:
    """One entry of VALIDATION_ERROR's `fields`, said so that the caller knows what to change."""
    location = [str(part) for part in err.get("loc", ())]
    message = str(err.get("msg", ""))
    kind = str(err.get("type", ""))
    if kind == "json_invalid" and isinstance(body, str) and len(location) == 2 and location[1].isdigit():
        # FastAPI gives the character offset; people (and editors) count lines and columns.
        offset = int(location[1])
        line = body.count("\n", 0, offset) + 1
        column = offset - (body.rfind("\n", 0, offset) + 1) + 1
        reason = str((err.get("ctx") or {}).get("error", "invalid JSON"))
        return {
            "location": ["body"],
            "message": f"Invalid JSON at line {line}, column {column}: {reason}",
            "type": kind,
        }
    if location == ["body"] and kind in {"model_attributes_type", "dict_type"}:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            got = f"'{content_type}'" if content_type else "none"
            return {
                "location": ["header", "Content-Type"],
                "message": f"Send the body as JSON with 'Content-Type: application/json' (got {got}).",
                "type": "content_type",
            }
    return {"location": location, "message": message, "type": kind}


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one error envelope."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        log = logger.error if exc.status_code >= 500 else logger.info
        log("request_failed", extra={"code": exc.code, "status": exc.status_code, "path": request.url.path})
        return error_json(exc, exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields = [_validation_field(err, exc.body, request) for err in exc.errors()]
        return error_json(RequestValidationFailed("The request is not valid.", {"fields": fields}))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_json(NotFound(f"No route for {request.method} {request.url.path}."))
        if exc.status_code == 400:
            # FastAPI's own answer to a body it cannot parse at all (bad UTF-8, absurd nesting).
            fields = [{"location": ["body"], "message": str(exc.detail), "type": "json_invalid"}]
            return error_json(
                RequestValidationFailed("The request body cannot be parsed.", {"fields": fields})
            )
        code = "METHOD_NOT_ALLOWED" if exc.status_code == 405 else "HTTP_ERROR"
        body = ErrorResponse(
            error=ErrorBody(code=code, message=str(exc.detail)), request_id=current_request_id()
        )
        return model_json(exc.status_code, body, exc.headers)

    async def _database_unavailable(request: Request, exc: Exception) -> Response:
        logger.error("database_unavailable", extra={"error": type(exc).__name__, "path": request.url.path})
        return error_json(DatabaseUnavailable("The database cannot be reached; try again shortly."))

    for exc_class in DATABASE_UNREACHABLE:
        app.add_exception_handler(exc_class, _database_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled_error", extra={"path": request.url.path})
        return error_json(InternalError("An unexpected error occurred."))
