"""The authentication error."""

from __future__ import annotations

from api.errors import ServiceError


class Unauthenticated(ServiceError):
    """No bearer key, or an unknown or revoked one."""

    status_code = 401
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "A valid API key is required: Authorization: Bearer <key>.") -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})
