"""Aggregation: count(select=...) and group_by (by, where, having, order, take, skip, every aggregate)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from .factories import CREATED, make_user, people
from .generated.client_db import Prisma, errors
from .generated.client_db.enums import Role
from .generated.client_db.types import PostGroupByOutput, UserCountAggregateOutput


async def test_count_with_select_counts_rows_and_non_null_values(client: Prisma) -> None:
    await people(client)
    counts: UserCountAggregateOutput = await client.user.count(select={"_all": True, "nickname": True})
    assert counts == {"_all": 3, "nickname": 1}
    filtered = await client.user.count(select={"_all": True, "email": True}, where={"name": {"not": "Ann"}})
    assert filtered == {"_all": 2, "email": 2}
    assert await client.user.count(select={"_all": True}, take=2, skip=0) == {"_all": 2}
    assert await client.user.count() == 3  # without select: still a plain int
    assert await client.user.count(select={}) == {"_all": 3}


async def test_group_by_every_aggregate(client: Prisma) -> None:
    found = await people(client)
    rows: list[PostGroupByOutput] = await client.post.group_by(
        ["author_id"],
        count=True,
        sum={"views": True},
        avg={"views": True},
        min={"views": True, "title": True},
        max={"views": True, "created_at": True},
        order={"author_id": "asc"},
    )
    ann, bob = found["ann"].id, found["bob"].id
    assert [row["author_id"] for row in rows] == [ann, bob]
    first, second = rows
    assert first["_count"] == {"_all": 3} and second["_count"] == {"_all": 1}
    assert first["_sum"] == {"views": 30} and second["_sum"] == {"views": 5}
    assert first["_avg"] == {"views": 10.0} and isinstance(first["_avg"]["views"], float)
    assert first["_min"] == {"views": 0, "title": "Alpha"}
    assert first["_max"]["views"] == 20
    latest = first["_max"]["created_at"]
    assert isinstance(latest, dt.datetime) and latest.utcoffset() == dt.timedelta(0)
    assert set(first) == {"author_id", "_count", "_sum", "_avg", "_min", "_max"}


async def test_group_by_values_have_the_fields_types(client: Prisma) -> None:
    await people(client)
    await make_user(client, "Dee", role=Role.admin, balance=Decimal("0.25"), score=0.5, big=3)
    rows = await client.user.group_by(
        ["role"],
        count={"_all": True, "nickname": True},
        sum={"balance": True, "big": True, "score": True},
        avg={"balance": True},
        min={"created_at": True, "active": True},
        order={"role": "desc"},
    )
    assert [row["role"] for row in rows] == [Role.admin, Role.member]
    assert all(isinstance(row["role"], Role) for row in rows)
    admin, member = rows
    assert admin["_sum"] == {"balance": Decimal("0.25"), "big": 3, "score": 3.0}
    assert member["_sum"] == {"balance": Decimal("10.50"), "big": 2**40, "score": 1.0}
    assert isinstance(member["_sum"]["balance"], Decimal) and str(member["_sum"]["balance"]) == "10.50"
    assert admin["_avg"]["balance"] == Decimal("0.125")
    assert member["_count"] == {"_all": 2, "nickname": 1}
    assert admin["_min"]["created_at"] == CREATED and admin["_min"]["active"] is True


async def test_group_by_where_having_take_skip(client: Prisma) -> None:
    found = await people(client)
    await client.post.create(data={"title": "Orphan", "views": 100})
    by_average = await client.post.group_by(
        ["author_id"], count=True, having={"views": {"_avg": {"gt": 6}}}, order={"author_id": "asc"}
    )
    assert [row["author_id"] for row in by_average] == [found["ann"].id, None]
    by_count = await client.post.group_by(
        ["author_id"], having={"author_id": {"_count": {"gte": 2}}, "OR": [{"views": {"_sum": {"gt": 0}}}]}
    )
    assert [row["author_id"] for row in by_count] == [found["ann"].id]
    grouped_field = await client.post.group_by(["author_id"], having={"author_id": found["bob"].id})
    assert grouped_field == [{"author_id": found["bob"].id}]
    published = await client.post.group_by(
        ["published", "author_id"], where={"author_id": {"not": None}}, order=[{"published": "desc"}]
    )
    assert [(row["published"], row["author_id"]) for row in published] == [
        (True, found["ann"].id),
        (False, found["ann"].id),
        (False, found["bob"].id),
    ]
    page = await client.post.group_by(["author_id"], order={"author_id": "desc"}, take=1, skip=1)
    assert page == [{"author_id": found["bob"].id}]


async def test_group_by_rejects_what_prisma_rejects(client: Prisma) -> None:
    with pytest.raises(errors.InputError, match="not in `by`"):
        await client.post.group_by(["author_id"], having={"views": {"gt": 1}})
    with pytest.raises(errors.InputError, match="order by fields in `by`"):
        await client.post.group_by(["author_id"], order={"views": "asc"})
    with pytest.raises(errors.InputError, match="number field"):
        await client.post.group_by(["author_id"], sum={"title": True})  # type: ignore[arg-type]


async def test_group_by_statements_are_cached_by_shape(client: Prisma) -> None:
    await people(client)
    statements = client.engine.cache
    await client.post.group_by(["author_id"], count=True, having={"views": {"_max": {"gt": 1}}})
    size = len(statements)
    again = await client.post.group_by(["author_id"], count=True, having={"views": {"_max": {"gt": 15}}})
    assert len(statements) == size
    assert [row["_count"] for row in again] == [{"_all": 3}]
