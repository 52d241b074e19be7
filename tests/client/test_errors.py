"""asyncpg errors mapped onto prisma.errors, with the constraint and fields kept and the cause chained."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from .factories import make_user
from .generated.client_db import Prisma, errors


async def test_unique_violation_names_the_constraint_and_fields(client: Prisma) -> None:
    await make_user(client, "Ann")
    with pytest.raises(errors.UniqueViolationError) as raised:
        await make_user(client, "Ann")
    error = raised.value
    assert error.constraint == "users_email_key" and error.fields == ("email",) and error.table == "users"
    assert error.code == "P2002" and error.meta["target"] == ["email"]
    assert isinstance(error.__cause__, asyncpg.UniqueViolationError)
    with pytest.raises(errors.UniqueViolationError) as compound:
        await client.user.create(data={"email": "other@x", "name": "Ann", "surname": "Smith"})
    assert compound.value.constraint == "users_name_surname_key"
    assert compound.value.fields == ("name", "surname")


async def test_foreign_key_violation(client: Prisma) -> None:
    with pytest.raises(errors.ForeignKeyViolationError) as raised:
        await client.post.create(data={"title": "t", "author_id": 12345})
    assert raised.value.constraint == "posts_author_fkey" and raised.value.fields == ("author",)
    assert isinstance(raised.value, errors.DataError)


async def test_missing_required_value(client: Prisma) -> None:
    post = await client.post.create(data={"title": "t"})
    with pytest.raises(errors.MissingRequiredValueError) as raised:
        await client.comment.create(data={"post_id": post.id, "position": 1, "body": "no author"})
    assert raised.value.fields == ("author_id",)


async def test_out_of_range_value_is_a_data_error(client: Prisma) -> None:
    with pytest.raises(errors.DataError) as raised:
        await make_user(client, "Ann", balance=Decimal("10000000000.00"))
    assert raised.value.sqlstate == "22003"
    assert isinstance(raised.value.__cause__, asyncpg.NumericValueOutOfRangeError)


async def test_nested_connect_to_a_missing_record_is_record_not_found_and_writes_nothing(
    client: Prisma,
) -> None:
    with pytest.raises(errors.RecordNotFoundError):
        await client.post.create(data={"title": "t", "categories": {"connect": [{"name": "missing"}]}})
    with pytest.raises(errors.RecordNotFoundError):
        await client.post.create(data={"title": "t", "author": {"connect": {"id": 404}}})
    assert await client.post.count() == 0


async def test_unknown_field_is_an_input_error(client: Prisma) -> None:
    with pytest.raises(errors.FieldNotFoundError):
        await client.user.find_many(where={"nope": 1})  # type: ignore[arg-type]


async def test_raw_query_errors(client: Prisma) -> None:
    with pytest.raises(errors.RawQueryError):
        await client.query_raw("SELECT nope FROM users")
    with pytest.raises(errors.TableNotFoundError):
        await client.execute_raw("DELETE FROM missing_table")


async def test_queries_before_connect_raise_client_not_connected() -> None:
    client = Prisma(datasource={"url": "postgresql://unused@127.0.0.1/unused"})
    assert not client.is_connected()
    with pytest.raises(errors.ClientNotConnectedError):
        await client.user.count()


async def test_raw_query_cancelled_by_the_server_is_not_a_query_error(client: Prisma) -> None:
    # A statement timeout (57014) says nothing about the SQL: it stays asyncpg's, as do connection
    # failures, so callers can tell "the database is unavailable" from "the query is wrong".
    with pytest.raises(asyncpg.QueryCanceledError):
        async with client.tx() as tx:
            await tx.execute_raw("SET LOCAL statement_timeout = 50")
            await tx.query_raw("SELECT pg_sleep(5)")
    with pytest.raises(errors.RawQueryError):
        await client.query_raw("SELECT * FROM no_such_function_here()")
