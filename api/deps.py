"""What request handlers receive: the app's shared resources, as typed dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import aiohttp
import asyncpg
from fastapi import Depends, Request

from api.config import Settings
from prisma import Prisma


@dataclass
class Resources:
    """Created once in the lifespan: one settings object, one pool (and the Prisma client on it), one
    HTTP session."""

    settings: Settings
    pool: asyncpg.Pool
    db: Prisma
    http: aiohttp.ClientSession


async def get_resources(request: Request) -> Resources:
    # async: a plain def would run in a worker thread on every request.
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
