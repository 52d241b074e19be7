"""What request handlers receive: the app's shared resources, as typed dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import aiohttp
import asyncpg
from fastapi import Depends, Request

from api.config import Settings
from api.email.client import EmailClient
from api.invoices.service import InvoiceService
from api.rutter.client import RutterClient
from prisma import Prisma

_SERVICES_KEPT = 10_000  # organizations with a service built; beyond, they are built again


@dataclass
class Resources:
    """Created once in the lifespan: one settings object, one pool (and the Prisma client on it), one
    HTTP session and the Rutter and email clients on it."""

    settings: Settings
    pool: asyncpg.Pool
    db: Prisma
    http: aiohttp.ClientSession
    rutter: RutterClient = field(init=False)
    email: EmailClient = field(init=False)
    # One invoice service per organization a caller is limited to (None: every organization), built
    # on first use: the services hold no state between calls, only the clients and their settings.
    _invoice_services: dict[str | None, InvoiceService] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.rutter = RutterClient(self.http, self.settings)
        self.email = EmailClient(self.http, self.settings)

    @classmethod
    def open(
        cls, settings: Settings, pool: asyncpg.Pool, db: Prisma, http: aiohttp.ClientSession
    ) -> Resources:
        return cls(settings=settings, pool=pool, db=db, http=http)

    def invoice_service(self, organization_id: str | None = None) -> InvoiceService:
        """The invoice service on these resources, limited to one organization when given."""
        service = self._invoice_services.get(organization_id)
        if service is None:
            if len(self._invoice_services) >= _SERVICES_KEPT:
                self._invoice_services.clear()
            service = InvoiceService(
                self.db, self.settings, self.rutter, self.email, organization_id=organization_id
            )
            self._invoice_services[organization_id] = service
        return service


def http_session(settings: Settings) -> aiohttp.ClientSession:
    """The process's one HTTP session for Rutter and the email service. It keeps no cookies: one
    organization's calls must carry nothing another's answers set."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.rutter_request_timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def get_resources(request: Request) -> Resources:
    # async: a plain def would run in a worker thread on every request.
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
