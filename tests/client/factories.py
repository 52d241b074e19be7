"""Small data sets for the client tests, created through the client itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .generated.client_db import Prisma
from .generated.client_db.enums import Role
from .generated.client_db.models import User


async def make_user(client: Prisma, name: str, surname: str = "Smith", **extra: object) -> User:
    data: dict[str, object] = {"email": f"{name.lower()}.{surname.lower()}@example.com", "name": name}
    data.update(surname=surname, **extra)
    return await client.user.create(data=data)  # type: ignore[arg-type]


# Creation times a second apart: rows made within one millisecond would share a timestamp(3).
CREATED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def people(client: Prisma) -> dict[str, User]:
    """Ann (admin, 3 posts), Bob (1 post), Cid (no post, nickname, balance 10.50), created in order."""
    ann = await make_user(
        client, "Ann", role=Role.admin, score=2.5, tags=["a", "b"], lucky=[7], created_at=CREATED
    )
    bob = await make_user(
        client, "Bob", score=1.0, tags=["b"], big=2**40, created_at=CREATED + timedelta(seconds=1)
    )
    cid = await make_user(
        client, "Cid", nickname="cee", balance=Decimal("10.50"), created_at=CREATED + timedelta(seconds=2)
    )
    for index, title in enumerate(["Alpha", "beta", "Gamma"]):
        await client.post.create(
            data={"title": title, "views": index * 10, "published": index != 1, "author_id": ann.id}
        )
    await client.post.create(data={"title": "Bob's post", "views": 5, "author_id": bob.id})
    return {"ann": ann, "bob": bob, "cid": cid}
