"""Authentication: the bearer key of every request outside the open paths, and who it belongs to.

Runs as ASGI middleware so that a caller without a valid key is answered 401 before anything else
(body size, validation), as SERVICE.md orders the checks. Handlers receive the caller through
`CallerDep`, which also declares the bearer scheme in the OpenAPI document.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import DATABASE_UNREACHABLE, DatabaseUnavailable, ServiceError
from api.keys import repository
from api.keys.errors import Unauthenticated
from api.keys.tokens import hash_key
from api.limits import refuse
from api.logging import bind_log_fields
from prisma import Prisma

logger = logging.getLogger("api.keys")

# Paths anyone may call: probes and the API's own documentation.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect"})
# Swagger UI's own files, served by the service for /docs (api/docs.py).
OPEN_PREFIXES = ("/docs/assets/",)

_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id, and the organization it is limited to (None: every organization)."""

    key_id: str
    organization_id: str | None


class Authenticator:
    """Finds the caller of a key by its hash. Known keys are remembered for `cache_s` seconds (0: not
    at all), so a revoked key keeps working in a process for at most that long."""

    def __init__(self, cache_s: float) -> None:
        self.cache_s = cache_s
        self._cache: dict[str, tuple[Caller, float]] = {}

    async def caller(self, db: Prisma, key: str) -> Caller | None:
        key_hash = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        record = await repository.find_active_key(db, key_hash)
        if record is None:
            self._cache.pop(key_hash, None)
            return None
        if not record["all_organizations"] and record["organization_id"] is None:
            return None  # a key scoped to no organization may see nothing
        caller = Caller(
            key_id=str(record["id"]),
            organization_id=None if record["all_organizations"] else str(record["organization_id"]),
        )
        if self.cache_s > 0:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key_hash] = (caller, now + self.cache_s)
        return caller


def bearer_key(scope: Scope) -> str | None:
    """The key of `Authorization: Bearer <key>`, or None."""
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").strip().partition(" ")
            key = key.strip()
            return key if scheme.lower() == "bearer" and key else None
    return None


class ApiKeyMiddleware:
    """Answers 401 UNAUTHENTICATED to requests without a valid key; puts the caller in the scope."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or scope["path"].startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
            return
        try:
            caller = await self._caller(scope)
        except ServiceError as exc:
            logger.info("request_refused", extra={"code": exc.code, "path": scope["path"]})
            await refuse(scope, receive, send, exc)
            return
        bind_log_fields(key_id=caller.key_id)
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    async def _caller(self, scope: Scope) -> Caller:
        key = bearer_key(scope)
        if key is None:
            raise Unauthenticated()
        try:
            caller = await self.authenticator.caller(scope["app"].state.resources.db, key)
        except DATABASE_UNREACHABLE as exc:
            logger.error("database_unavailable", extra={"error": type(exc).__name__, "path": scope["path"]})
            raise DatabaseUnavailable("The database cannot be reached; try again shortly.") from exc
        if caller is None:
            raise Unauthenticated("The API key is unknown or revoked.")
        return caller


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `python -m api.keys create`: `Authorization: Bearer <key>`.",
)


# An endpoint's `openapi_extra` declaring the scheme without a dependency to resolve per request
# (the middleware has checked the key); the scheme itself is in the document through BearerCredentials.
BEARER_SECURITY: dict[str, Any] = {"security": [{bearer_scheme.scheme_name: []}]}

# Declares the bearer scheme in the OpenAPI document of an endpoint that takes it as a parameter.
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


def caller_of(request: Request) -> Caller:
    """The caller ApiKeyMiddleware authenticated."""
    caller: Caller | None = request.scope.get("state", {}).get("caller")
    if caller is None:
        raise Unauthenticated()
    return caller


async def get_caller(request: Request, _credentials: BearerCredentials) -> Caller:
    """The caller ApiKeyMiddleware authenticated (the parameter declares the scheme in OpenAPI)."""
    return caller_of(request)


CallerDep = Annotated[Caller, Depends(get_caller)]
