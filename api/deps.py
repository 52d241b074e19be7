"""What request handlers receive: the app's shared resources, as typed dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import aiohttp
import asyncpg
from fastapi import Depends, Request

from api.config import Settings


@dataclass
class Resources:
    """Created once in the lifespan: one settings object, one pool, one HTTP session."""

    settings: Settings
    pool: asyncpg.Pool
    http: aiohttp.ClientSession


async def get_resources(request: Request) -> Resources:
    # async: a plain def would run in a worker thread on every request.
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
