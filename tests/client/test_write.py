"""Writing: create (every scalar and default), create_many, update (atomic), upsert, delete, nested writes."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest

from .factories import make_user
from .generated.client_db import Base64, Json, Prisma, errors
from .generated.client_db.enums import Role
from .generated.client_db.types import (
    CommentWhereUniqueInput,
    UserCreateWithoutRelationsInput,
    UserUpsertInput,
)


async def test_create_round_trips_every_scalar_type(client: Prisma) -> None:
    born = dt.datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)
    user = await client.user.create(
        data={
            "email": "e@example.com",
            "name": "Eve",
            "surname": "Ng",
            "nickname": "evie",
            "role": Role.admin,
            "roles": [Role.admin, Role.member],
            "active": False,
            "score": 0.1,
            "balance": Decimal("1750.10"),
            "big": 9_007_199_254_740_993,
            "meta": Json({"nested": [1, "two", None], "n": 1.5}),
            "avatar": Base64.encode(b"\x00\xffbytes"),
            "tags": ["x", "y"],
            "lucky": [3, 1, 2],
            "born_at": born,
        }
    )
    found = await client.user.find_unique_or_raise(where={"id": user.id})
    assert found == user
    assert (found.nickname, found.role, found.roles, found.active) == (
        "evie",
        Role.admin,
        [Role.admin, Role.member],
        False,
    )
    assert found.score == 0.1 and str(found.balance) == "1750.10" and found.big == 9_007_199_254_740_993
    assert found.meta == {"nested": [1, "two", None], "n": 1.5}
    assert found.avatar is not None and found.avatar.decode() == b"\x00\xffbytes"
    assert found.tags == ["x", "y"] and found.lucky == [3, 1, 2]
    assert found.born_at == born
    raw = await client.query_first("SELECT role::text, roles::text[] FROM users WHERE id = $1", user.id)
    assert raw == {"role": "ADMIN", "roles": ["ADMIN", "member"]}


async def test_defaults_cuid_uuid_now_autoincrement_dbgenerated_updated_at(client: Prisma) -> None:
    before = dt.datetime.now(dt.UTC)
    first = await make_user(client, "Ann")
    second = await make_user(client, "Bob")
    assert second.id == first.id + 1
    assert first.role == Role.member and first.active is True and first.balance == Decimal("0")
    assert first.tags == [] and first.nickname is None
    assert before - dt.timedelta(seconds=1) <= first.created_at <= dt.datetime.now(dt.UTC)
    assert first.updated_at == first.created_at
    post = await client.post.create(data={"title": "t"})
    assert re.fullmatch(r"c[0-9a-z]{24}", post.id)
    profile = await client.profile.create(data={"bio": "b", "user_id": first.id})
    assert uuid.UUID(profile.id).version == 4
    node = await client.node.create(data={"label": "n"})
    assert uuid.UUID(node.id) and node.rank >= 1


async def test_update_sets_scalars_and_bumps_updated_at(client: Prisma) -> None:
    user = await make_user(client, "Ann", score=1.5, big=10, lucky=[1])
    updated = await client.user.update(
        where={"id": user.id},
        data={
            "nickname": "annie",
            "score": {"multiply": 2},
            "big": {"increment": 5},
            "balance": {"set": Decimal("3.30")},
            "lucky": {"push": [2, 3]},
            "tags": ["t"],
        },
    )
    assert updated is not None
    assert (updated.nickname, updated.score, updated.big, updated.lucky, updated.tags) == (
        "annie",
        3.0,
        15,
        [1, 2, 3],
        ["t"],
    )
    assert str(updated.balance) == "3.30" and updated.updated_at > user.updated_at
    again = await client.user.update(
        where={"id": user.id}, data={"big": {"decrement": 3}, "score": {"divide": 4}}
    )
    assert again is not None and (again.big, again.score) == (12, 0.75)
    assert await client.user.update(where={"id": 999}, data={"name": "x"}) is None


async def test_create_many_update_many_delete_many(client: Prisma) -> None:
    count = await client.category.create_many(data=[{"name": "a"}, {"name": "b"}, {"id": 50, "name": "c"}])
    assert count == 3
    again = await client.category.create_many(data=[{"name": "a"}, {"name": "d"}], skip_duplicates=True)
    assert again == 1
    assert await client.category.update_many(where={"name": "d"}, data={"name": "dd"}) == 1
    assert await client.category.delete_many(where={"name": {"startswith": "d"}}) == 1
    assert sorted(c.name for c in await client.category.find_many()) == ["a", "b", "c"]
    assert await client.category.delete_many() == 3


async def test_upsert_creates_then_updates(client: Prisma) -> None:
    created = await client.category.upsert(
        where={"name": "news"}, data={"create": {"name": "news"}, "update": {}}
    )
    assert created.name == "news"
    updated = await client.category.upsert(
        where={"name": "news"}, data={"create": {"name": "news"}, "update": {"name": "renamed"}}
    )
    assert (updated.id, updated.name) == (created.id, "renamed")


async def test_delete_returns_the_row_with_its_includes(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    await client.post.create(data={"title": "p", "author_id": ann.id})
    assert await client.post.delete(where={"id": "missing"}) is None
    post = await client.post.find_first_or_raise()
    gone = await client.post.delete(where={"id": post.id}, include={"author": True})
    assert gone is not None and gone.author is not None and gone.author.name == "Ann"
    assert await client.post.count() == 0


async def test_nested_create_connect_and_connect_or_create(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    user = await client.user.create(
        data={
            "email": "b@example.com",
            "name": "Bob",
            "surname": "B",
            "profile": {"create": {"bio": "bio"}},
            "posts": {"create": [{"title": "one"}, {"title": "two"}]},
        },
        include={"profile": True, "posts": {"order_by": {"title": "asc"}}},
    )
    assert user.profile is not None and user.profile.bio == "bio"
    assert user.posts is not None and [p.title for p in user.posts] == ["one", "two"]
    post = await client.post.create(
        data={
            "title": "three",
            "author": {"connect": {"email": ann.email}},
            "categories": {
                "connect_or_create": [
                    {"where": {"name": "x"}, "create": {"name": "x"}},
                    {"where": {"name": "x"}, "create": {"name": "x"}},
                ]
            },
        },
        include={"author": True, "categories": True},
    )
    assert post.author is not None and post.author.id == ann.id
    assert post.categories is not None and [c.name for c in post.categories] == ["x"]
    new_author: UserCreateWithoutRelationsInput = {"email": "new@x", "name": "New", "surname": "N"}
    with_parent = await client.post.create(
        data={
            "title": "four",
            "author": {"connect_or_create": {"where": {"email": "new@x"}, "create": new_author}},
        },
        include={"author": True},
    )
    assert with_parent.author is not None and with_parent.author.email == "new@x"


async def test_nested_update_connect_disconnect_set(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    bob = await make_user(client, "Bob")
    post = await client.post.create(
        data={"title": "p", "categories": {"create": [{"name": "a"}, {"name": "b"}]}}
    )
    other = await client.post.create(data={"title": "q"})
    moved = await client.post.update(
        where={"id": post.id},
        data={"author": {"connect": {"id": ann.id}}, "categories": {"disconnect": [{"name": "a"}]}},
        include={"categories": True, "author": True},
    )
    assert moved is not None and moved.author is not None and moved.author.id == ann.id
    assert moved.categories is not None and [c.name for c in moved.categories] == ["b"]
    reset = await client.post.update(
        where={"id": post.id},
        data={"author": {"disconnect": True}, "categories": {"set": [{"name": "a"}]}},
        include={"categories": True},
    )
    assert reset is not None and reset.author_id is None
    assert reset.categories is not None and [c.name for c in reset.categories] == ["a"]
    bob_now = await client.user.update(
        where={"id": bob.id},
        data={"posts": {"connect": [{"id": post.id}, {"id": other.id}]}},
        include={"posts": {"order_by": {"title": "asc"}}},
    )
    assert (
        bob_now is not None and bob_now.posts is not None and [p.title for p in bob_now.posts] == ["p", "q"]
    )
    bob_after = await client.user.update(
        where={"id": bob.id}, data={"posts": {"disconnect": [{"id": other.id}]}}, include={"posts": True}
    )
    assert (
        bob_after is not None and bob_after.posts is not None and [p.title for p in bob_after.posts] == ["p"]
    )


async def test_a_model_without_id_is_identified_by_its_unique_field(client: Prisma) -> None:
    await client.setting.create(data={"key": "b", "value": Json([1, 2])})
    created = await client.setting.upsert(
        where={"key": "a"}, data={"create": {"key": "a", "value": Json({"on": True})}, "update": {}}
    )
    assert created.value == {"on": True}
    assert [s.key for s in await client.setting.find_many()] == ["a", "b"]
    updated = await client.setting.upsert(
        where={"key": "a"}, data={"create": {"key": "a", "value": Json(None)}, "update": {"value": Json("x")}}
    )
    assert updated.value == "x"
    assert [s.key for s in await client.setting.find_many(where={"value": Json("x")})] == ["a"]
    assert [s.key for s in await client.setting.find_many(where={"value": {"not": Json("x")}})] == ["b"]
    deleted = await client.setting.delete(where={"key": "b"})
    assert deleted is not None and deleted.value == [1, 2]


async def test_compound_id_as_unique_key(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    post = await client.post.create(data={"title": "p"})
    await client.comment.create(
        data={"post_id": post.id, "position": 1, "body": "first", "author_id": ann.id}
    )
    key: CommentWhereUniqueInput = {"post_id_position": {"post_id": post.id, "position": 1}}
    found = await client.comment.find_unique_or_raise(where=key)
    assert found.body == "first"
    updated = await client.comment.update(where=key, data={"body": "edited"})
    assert updated is not None and updated.body == "edited"
    deleted = await client.comment.delete(where=key)
    assert deleted is not None and await client.comment.count() == 0


async def test_bytes_and_decimal_filters_and_decimal_arithmetic(client: Prisma) -> None:
    await make_user(client, "Ann", avatar=Base64.encode(b"one"), balance=Decimal("1.10"))
    await make_user(client, "Bob", avatar=Base64.encode(b"two"), balance=Decimal("2.25"))
    found = await client.user.find_many(where={"avatar": Base64.encode(b"two")})
    assert [u.name for u in found] == ["Bob"]
    rich = await client.user.find_many(where={"balance": {"gte": Decimal("2.00")}})
    assert [u.name for u in rich] == ["Bob"]
    assert await client.user.update_many(where={}, data={"balance": {"increment": Decimal("0.05")}}) == 2
    balances = [str(u.balance) for u in await client.user.find_many(order={"name": "asc"})]
    assert balances == ["1.15", "2.30"]


async def test_upsert_on_its_unique_key_is_one_statement_safe_under_concurrency(client: Prisma) -> None:
    async def bump() -> int:
        user = await client.user.upsert(
            where={"email": "race@example.com"},
            data={
                "create": {"email": "race@example.com", "name": "Race", "surname": "R", "big": 1},
                "update": {"big": {"increment": 1}},
            },
        )
        return user.id

    ids = await asyncio.gather(*(bump() for _ in range(8)))
    assert len(set(ids)) == 1
    user = await client.user.find_unique_or_raise(where={"email": "race@example.com"})
    assert user.big == 8 and user.updated_at >= user.created_at


async def test_upsert_by_compound_key_with_nothing_to_update_returns_the_row(client: Prisma) -> None:
    data: UserUpsertInput = {"create": {"email": "c@x", "name": "C", "surname": "D"}, "update": {}}
    first = await client.user.upsert(where={"name_surname": {"name": "C", "surname": "D"}}, data=data)
    second = await client.user.upsert(where={"name_surname": {"name": "C", "surname": "D"}}, data=data)
    assert first == second and await client.user.count() == 1


async def test_nested_create_of_many_children_inserts_them_in_one_statement(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    queries: list[str] = []

    def log(record: Any) -> None:
        queries.append(record.query)

    async with client.tx() as tx:
        tx.connection.add_query_logger(log)
        post = await tx.post.create(
            data={
                "title": "many",
                "comments": {
                    "create": [{"position": n, "body": f"c{n}", "author_id": ann.id} for n in range(1, 26)]
                },
            },
            include={"comments": True},
        )
        tx.connection.remove_query_logger(log)
    assert post.comments is not None and [c.position for c in post.comments] == list(range(1, 26))
    assert sum('INSERT INTO "Comment"' in query for query in queries) == 1


async def test_nested_delete_on_every_relation_kind(client: Prisma) -> None:
    ann = await make_user(client, "Ann", profile={"create": {"bio": "bye"}})
    bob = await make_user(client, "Bob")
    post = await client.post.create(
        data={
            "title": "p",
            "author": {"connect": {"id": bob.id}},
            "categories": {"create": [{"name": "a"}, {"name": "b"}]},
            "comments": {"create": [{"position": 1, "body": "x", "author_id": ann.id}]},
        }
    )
    key: CommentWhereUniqueInput = {"post_id_position": {"post_id": post.id, "position": 1}}
    after = await client.post.update(
        where={"id": post.id},
        data={
            "comments": {"delete": [key]},
            "categories": {"delete": [{"name": "a"}]},
            "author": {"delete": True},
        },
        include={"comments": True, "categories": True, "author": True},
    )
    assert after is not None and after.comments == [] and after.author is None
    assert after.categories is not None and [c.name for c in after.categories] == ["b"]
    assert await client.category.count() == 1 and await client.user.count(where={"id": bob.id}) == 0
    without_profile = await client.user.update(
        where={"id": ann.id}, data={"profile": {"delete": True}}, include={"profile": True}
    )
    assert (
        without_profile is not None and without_profile.profile is None and await client.profile.count() == 0
    )
    with pytest.raises(errors.RecordNotFoundError):
        await client.post.update(where={"id": post.id}, data={"comments": {"delete": [key]}})
