"""Reading: find_unique/find_first/find_many/count with every filter, order, take, skip, cursor, distinct."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import pytest

from devkit.databases import temporary_database

from .conftest import push_schema
from .factories import make_user, people
from .generated.client_db import Prisma, errors
from .generated.client_db.enums import Role
from .generated.client_db.models import User
from .generated.client_db.types import UserOrderByInput


def names(users: Sequence[User]) -> list[str]:
    return [user.name for user in users]


async def test_find_unique_by_id_unique_field_and_compound_key(client: Prisma) -> None:
    users = await people(client)
    ann = users["ann"]
    assert await client.user.find_unique(where={"id": ann.id}) == ann
    assert await client.user.find_unique(where={"email": ann.email}) == ann
    found = await client.user.find_unique(where={"name_surname": {"name": "Bob", "surname": "Smith"}})
    assert found is not None and found.id == users["bob"].id
    assert await client.user.find_unique(where={"id": 999_999}) is None


async def test_or_raise_variants_raise_record_not_found(client: Prisma) -> None:
    await people(client)
    with pytest.raises(errors.RecordNotFoundError):
        await client.user.find_unique_or_raise(where={"id": 999_999})
    with pytest.raises(errors.RecordNotFoundError):
        await client.user.find_first_or_raise(where={"name": "Nobody"})
    found = await client.user.find_first_or_raise(where={"name": "Cid"})
    assert found.nickname == "cee"


async def test_string_filters(client: Prisma) -> None:
    await people(client)
    order: UserOrderByInput = {"name": "asc"}
    many = client.user.find_many
    assert names(await many(where={"name": {"equals": "Ann"}})) == ["Ann"]
    assert names(await many(where={"name": {"not": "Ann"}}, order=order)) == ["Bob", "Cid"]
    assert names(await many(where={"name": {"in": ["Ann", "Cid"]}}, order=order)) == ["Ann", "Cid"]
    assert names(await many(where={"name": {"not_in": ["Ann", "Cid"]}})) == ["Bob"]
    assert names(await many(where={"name": {"lt": "Bob"}})) == ["Ann"]
    assert names(await many(where={"name": {"lte": "Bob"}}, order=order)) == ["Ann", "Bob"]
    assert names(await many(where={"name": {"gt": "Bob"}})) == ["Cid"]
    assert names(await many(where={"name": {"gte": "Bob"}}, order=order)) == ["Bob", "Cid"]
    assert names(await many(where={"email": {"contains": "bob"}})) == ["Bob"]
    assert names(await many(where={"name": {"startswith": "C"}})) == ["Cid"]
    assert names(await many(where={"name": {"endswith": "nn"}})) == ["Ann"]
    assert names(await many(where={"name": {"contains": "AN", "mode": "insensitive"}})) == ["Ann"]
    assert names(await many(where={"name": {"equals": "bob", "mode": "insensitive"}})) == ["Bob"]
    assert names(await many(where={"name": {"in": ["ANN"], "mode": "insensitive"}})) == ["Ann"]
    assert names(await many(where={"name": {"not": {"startswith": "A"}}}, order=order)) == ["Bob", "Cid"]
    assert names(await many(where={"nickname": None})) == ["Ann", "Bob"]
    assert names(await many(where={"nickname": {"not": None}})) == ["Cid"]


async def test_number_enum_decimal_datetime_and_list_filters(client: Prisma) -> None:
    users = await people(client)
    many = client.user.find_many
    assert names(await many(where={"score": {"gt": 1.0}})) == ["Ann"]
    assert names(await many(where={"score": {"gte": 1.0}}, order={"score": "desc"})) == ["Ann", "Bob"]
    assert names(await many(where={"big": 2**40})) == ["Bob"]
    assert names(await many(where={"balance": Decimal("10.5")})) == ["Cid"]
    assert names(await many(where={"role": Role.admin})) == ["Ann"]
    assert names(await many(where={"role": {"in": [Role.member]}}, order={"id": "asc"})) == ["Bob", "Cid"]
    created = users["bob"].created_at
    assert names(await many(where={"created_at": {"gt": created}})) == ["Cid"]
    assert names(await many(where={"created_at": created})) == ["Bob"]
    assert names(await many(where={"created_at": {"lt": created.replace(tzinfo=None)}})) == ["Ann"]
    assert names(await many(where={"tags": {"has": "a"}})) == ["Ann"]
    assert names(await many(where={"tags": {"has_every": ["a", "b"]}})) == ["Ann"]
    assert names(await many(where={"tags": {"has_some": ["b", "z"]}}, order={"id": "asc"})) == ["Ann", "Bob"]
    assert names(await many(where={"tags": {"is_empty": True}})) == ["Cid"]
    assert names(await many(where={"lucky": {"equals": [7]}})) == ["Ann"]


async def test_and_or_not(client: Prisma) -> None:
    await people(client)
    many = client.user.find_many
    both = await many(where={"AND": [{"name": {"startswith": "A"}}, {"role": Role.admin}]})
    assert names(both) == ["Ann"]
    either = await many(where={"OR": [{"name": "Ann"}, {"nickname": "cee"}]}, order={"name": "asc"})
    assert names(either) == ["Ann", "Cid"]
    assert names(await many(where={"NOT": [{"name": "Ann"}, {"name": "Bob"}]})) == ["Cid"]


async def test_relation_filters(client: Prisma) -> None:
    await people(client)
    many = client.user.find_many
    order: UserOrderByInput = {"name": "asc"}
    assert names(await many(where={"posts": {"some": {"title": {"startswith": "Al"}}}})) == ["Ann"]
    assert names(await many(where={"posts": {"none": {}}})) == ["Cid"]
    assert names(await many(where={"posts": {"every": {"views": {"gte": 5}}}}, order=order)) == ["Bob", "Cid"]
    posts = await client.post.find_many(where={"author": {"is": {"name": "Bob"}}})
    assert [post.title for post in posts] == ["Bob's post"]
    not_ann = await client.post.find_many(where={"author": {"is_not": {"name": "Ann"}}})
    assert [post.title for post in not_ann] == ["Bob's post"]
    await client.post.create(data={"title": "Orphan"})
    orphans = await client.post.find_many(where={"author": {"is": None}})
    assert [post.title for post in orphans] == ["Orphan"]


async def test_order_take_skip_cursor_and_relation_order(client: Prisma) -> None:
    await people(client)
    posts = await client.post.find_many(order=[{"published": "desc"}, {"views": "desc"}])
    assert [p.title for p in posts] == ["Gamma", "Alpha", "beta", "Bob's post"]
    page = await client.post.find_many(order={"views": "asc"}, take=2, skip=1)
    assert [p.title for p in page] == ["Bob's post", "beta"]
    start = posts[1]
    after = await client.post.find_many(
        order=[{"published": "desc"}, {"views": "desc"}], cursor={"id": start.id}
    )
    assert [p.title for p in after] == ["Alpha", "beta", "Bob's post"]
    by_author = await client.post.find_many(order=[{"author": {"name": "desc"}}, {"views": "asc"}])
    assert [p.title for p in by_author] == ["Bob's post", "Alpha", "beta", "Gamma"]
    first = await client.post.find_first(where={"views": {"gt": 0}}, order={"views": "asc"}, skip=1)
    assert first is not None and first.title == "beta"


async def test_distinct_keeps_the_first_row_of_each_value_in_order(client: Prisma) -> None:
    await people(client)
    posts = await client.post.find_many(distinct=["author_id"], order={"views": "desc"})
    assert [p.title for p in posts] == ["Gamma", "Bob's post"]


async def test_count(client: Prisma) -> None:
    await people(client)
    assert await client.post.count() == 4
    assert await client.post.count(where={"published": False}) == 2
    assert await client.post.count(take=2) == 2
    assert await client.post.count(skip=3) == 1


async def test_values_come_back_typed_exactly(client: Prisma) -> None:
    born = dt.datetime(1990, 5, 17, 8, 30, 15, 123000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    user = await make_user(client, "Dee", balance=Decimal("1750.10"), born_at=born, big=2**62)
    found = await client.user.find_unique_or_raise(where={"id": user.id})
    assert found.balance == Decimal("1750.10") and str(found.balance) == "1750.10"
    assert found.big == 2**62
    assert (
        found.born_at == born and found.born_at is not None and found.born_at.utcoffset() == dt.timedelta(0)
    )
    assert found.created_at.utcoffset() == dt.timedelta(0)
    assert found.created_at == found.updated_at
    assert abs(found.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


async def test_null_scalar_lists_read_as_empty_lists(client: Prisma) -> None:
    await client.execute_raw(
        "INSERT INTO users (email, name, surname, updated_at) VALUES ('raw@x', 'Raw', 'R', now())"
    )
    raw = await client.user.find_unique_or_raise(where={"email": "raw@x"})
    assert (raw.tags, raw.lucky, raw.roles) == ([], [], [])


@pytest.fixture
async def outgrown_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database of the test schema that its owner has taken further: a column and an enum value
    the schema does not know (a database of its own: ALTER invalidates other connections' plans)."""
    async with temporary_database(server_dsn, "client_outgrown") as dsn:
        await push_schema(
            dsn,
            "ALTER TYPE user_role ADD VALUE 'guest'",
            "ALTER TABLE users ADD COLUMN added_later text NOT NULL DEFAULT 'x'",
        )
        yield dsn


async def test_reading_is_tolerant_of_columns_and_enum_values_the_schema_does_not_know(
    outgrown_dsn: str,
) -> None:
    async with Prisma(datasource={"url": outgrown_dsn}) as db:
        await db.execute_raw(
            "INSERT INTO users (email, name, surname, role, roles, tags, lucky, updated_at) "
            "VALUES ('g@x', 'Gus', 'Guest', 'guest', '{guest,member}', '{}', '{}', now())"
        )
        created = await db.user.create(data={"email": "m@x", "name": "Mo", "surname": "Guest"})
        guest = await db.user.find_unique_or_raise(where={"email": "g@x"})
        everyone = await db.user.find_many(where={"surname": "Guest"}, order={"email": "asc"})

    assert guest.role == "guest" and isinstance(guest.role, Role) and guest.role.value == "guest"
    assert guest.roles == ["guest", Role.member] and guest.roles[1] is Role.member
    assert Role("member") is Role.member  # known values stay the members they are
    assert not hasattr(guest, "added_later") and created.role is Role.member
    assert [user.email for user in everyone] == ["g@x", "m@x"]
