"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import ResourcesDep
from api.errors import ErrorResponse

router = APIRouter(tags=["health"])


class HealthStatus(BaseModel):
    status: Literal["ok", "ready"]


@router.get("/healthz", response_model=HealthStatus, summary="Liveness: the process is up")
async def healthz() -> HealthStatus:
    return HealthStatus(status="ok")


@router.get(
    "/readyz",
    response_model=HealthStatus,
    summary="Readiness: the database answers",
    responses={503: {"model": ErrorResponse, "description": "DATABASE_UNAVAILABLE"}},
)
async def readyz(resources: ResourcesDep) -> HealthStatus:
    # Connection failures and the timeout are answered 503 DATABASE_UNAVAILABLE by api.errors.
    async with asyncio.timeout(3):
        await resources.pool.fetchval("SELECT 1")
    return HealthStatus(status="ready")
