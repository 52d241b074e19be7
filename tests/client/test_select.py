"""Selecting fields (Prisma Client Python's "Selecting Fields"): classes deriving from
`prisma.bases.Base<Model>` read only their fields, fetch their required relations, in one statement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .factories import people
from .generated.client_db import Prisma
from .generated.client_db.bases import BasePost, BaseUser
from .generated.client_db.errors import PrismaError
from .generated.client_db.models import Comment


class UserName(BaseUser):
    name: str
    nickname: str | None


class PostTitle(BasePost):
    title: str
    views: int


class UserWithPosts(BaseUser):
    id: int
    name: str
    balance: Decimal
    posts: list[PostTitle]


class PostWithAuthor(BasePost):
    title: str
    author: UserName | None
    comments: list[Comment] | None = None


def selected_sql(client: Prisma, model: str) -> str:
    """The last compiled statement on `model`'s table (the statement cache keeps them)."""
    statements = [sql for sql in client._schema.statements.values() if f'"{model}"' in sql]
    assert statements, f"no statement on {model}"
    return statements[-1]


async def test_a_selection_reads_only_its_fields(client: Prisma) -> None:
    users = await people(client)
    found = await UserName.prisma(client).find_unique(where={"id": users["cid"].id})
    assert found == UserName(name="Cid", nickname="cee")
    assert type(found) is UserName
    statement = selected_sql(client, "users")
    assert "'nickname'" in statement and "'email'" not in statement and "'balance'" not in statement


async def test_required_relations_are_always_fetched_with_their_own_fields(client: Prisma) -> None:
    users = await people(client)
    ann = await UserWithPosts.prisma(client).find_first(
        where={"name": "Ann"}, include={"posts": {"order_by": {"views": "desc"}}}
    )
    assert ann is not None and ann.id == users["ann"].id
    assert [(post.title, post.views) for post in ann.posts] == [("Gamma", 20), ("beta", 10), ("Alpha", 0)]
    bob = await UserWithPosts.prisma(client).find_unique_or_raise(where={"id": users["bob"].id})
    assert [post.title for post in bob.posts] == ["Bob's post"] and bob.balance == Decimal("0.00")
    cid = await UserWithPosts.prisma(client).find_unique_or_raise(where={"id": users["cid"].id})
    assert cid.posts == [] and str(cid.balance) == "10.50"


async def test_relations_with_a_default_are_fetched_only_when_included(client: Prisma) -> None:
    await people(client)
    plain = await PostWithAuthor.prisma(client).find_many(order={"title": "asc"})
    assert [(post.title, post.author.name if post.author else None) for post in plain][:2] == [
        ("Alpha", "Ann"),
        ("Bob's post", "Bob"),
    ]
    assert all(post.comments is None for post in plain)
    included = await PostWithAuthor.prisma(client).find_first(
        where={"title": "Alpha"}, include={"comments": True}
    )
    assert included is not None and included.comments == []


async def test_writes_answer_with_the_selection(client: Prisma) -> None:
    users = await people(client)
    created = await PostTitle.prisma(client).create(
        data={"title": "Delta", "views": 3, "author_id": users["bob"].id}
    )
    assert created == PostTitle(title="Delta", views=3)
    updated = await UserName.prisma(client).update(where={"id": users["bob"].id}, data={"nickname": "bobby"})
    assert updated == UserName(name="Bob", nickname="bobby")


async def test_a_selection_works_inside_a_transaction(client: Prisma) -> None:
    users = await people(client)
    async with client.tx() as tx:
        found = await UserName.prisma(tx).find_unique(where={"id": users["ann"].id})
    assert found == UserName(name="Ann", nickname=None)


async def test_a_field_the_model_lacks_is_refused(client: Prisma) -> None:
    class Wrong(BaseUser):
        name: str
        not_a_column: str

    with pytest.raises(PrismaError, match="not_a_column is not a field of User"):
        await Wrong.prisma(client).find_first()


async def test_including_a_relation_the_selection_lacks_is_refused(client: Prisma) -> None:
    with pytest.raises(PrismaError, match="'posts' cannot be included"):
        await UserName.prisma(client).find_first(include={"posts": True})
