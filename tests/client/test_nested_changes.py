"""Nested changes of related records inside `update`: update, upsert, update_many, delete_many, on
lists (1-n, implicit m-n), to-one relations holding the key (Post.author) and not (User.profile)."""

from __future__ import annotations

import pytest

from .factories import make_user, people
from .generated.client_db import Prisma, errors
from .generated.client_db.types import PostUpdateInput, UserCreateWithoutRelationsInput, UserUpdateInput


async def test_nested_update_and_update_many_of_a_list_change_only_related_records(client: Prisma) -> None:
    found = await people(client)
    ann, bob = found["ann"], found["bob"]
    alpha = await client.post.find_first_or_raise(where={"title": "Alpha"})
    data: UserUpdateInput = {
        "posts": {
            "update": [{"where": {"id": alpha.id}, "data": {"title": "Alpha 2", "views": {"increment": 1}}}],
            "update_many": {"where": {"published": True}, "data": {"rating": 4.5}},
        }
    }
    after = await client.user.update(where={"id": ann.id}, data=data, include={"posts": True})
    assert after is not None and after.posts is not None
    by_title = {p.title: p for p in after.posts}
    assert set(by_title) == {"Alpha 2", "beta", "Gamma"}
    assert by_title["Alpha 2"].views == 1
    assert [by_title[t].rating for t in ("Alpha 2", "beta", "Gamma")] == [4.5, None, 4.5]
    bobs = await client.post.find_first_or_raise(where={"author_id": bob.id})
    assert bobs.rating is None  # another user's post is not touched
    with pytest.raises(errors.RecordNotFoundError):  # Bob's post is not one of Ann's
        await client.user.update(
            where={"id": ann.id},
            data={"posts": {"update": {"where": {"id": bobs.id}, "data": {"title": "x"}}}},
        )
    assert (await client.post.find_unique_or_raise(where={"id": bobs.id})).title == "Bob's post"


async def test_nested_delete_many_deletes_only_related_matching_records(client: Prisma) -> None:
    found = await people(client)
    after = await client.user.update(
        where={"id": found["ann"].id},
        data={"posts": {"delete_many": [{"published": False}, {"title": "Gamma"}]}},
        include={"posts": True},
    )
    assert after is not None and after.posts is not None and [p.title for p in after.posts] == ["Alpha"]
    assert await client.post.count() == 2  # Bob's unpublished post stays
    everything: UserUpdateInput = {"posts": {"delete_many": {}}}
    await client.user.update(where={"id": found["bob"].id}, data=everything)
    assert await client.post.count(where={"author_id": found["bob"].id}) == 0


async def test_nested_upsert_of_a_list_updates_or_creates_linked(client: Prisma) -> None:
    found = await people(client)
    ann, bob = found["ann"], found["bob"]
    alpha = await client.post.find_first_or_raise(where={"title": "Alpha"})
    bobs = await client.post.find_first_or_raise(where={"author_id": bob.id})
    await client.user.update(
        where={"id": ann.id},
        data={
            "posts": {
                "upsert": [
                    {"where": {"id": alpha.id}, "create": {"title": "unused"}, "update": {"views": 99}},
                    # Bob's post is not Ann's: a new post of Ann's is created instead.
                    {"where": {"id": bobs.id}, "create": {"title": "Delta"}, "update": {"views": 1}},
                ]
            }
        },
    )
    assert (await client.post.find_unique_or_raise(where={"id": alpha.id})).views == 99
    delta = await client.post.find_first_or_raise(where={"title": "Delta"})
    assert delta.author_id == ann.id
    assert (await client.post.find_unique_or_raise(where={"id": bobs.id})).views == 5


async def test_nested_changes_through_an_implicit_many_to_many(client: Prisma) -> None:
    post = await client.post.create(
        data={"title": "p", "categories": {"create": [{"name": "a"}, {"name": "b"}]}}
    )
    await client.category.create(data={"name": "other"})
    data: PostUpdateInput = {
        "categories": {
            "update": {"where": {"name": "a"}, "data": {"name": "a2"}},
            "upsert": {"where": {"name": "c"}, "create": {"name": "c"}, "update": {"name": "unused"}},
            "update_many": {"where": {"name": {"startswith": "b"}}, "data": {"name": "b2"}},
        }
    }
    after = await client.post.update(where={"id": post.id}, data=data, include={"categories": True})
    assert after is not None and after.categories is not None
    assert sorted(c.name for c in after.categories) == ["a2", "b2", "c"]
    with pytest.raises(errors.RecordNotFoundError):  # "other" is not linked to the post
        await client.post.update(
            where={"id": post.id},
            data={"categories": {"update": {"where": {"name": "other"}, "data": {"name": "x"}}}},
        )
    await client.post.update(where={"id": post.id}, data={"categories": {"delete_many": {"name": "c"}}})
    names = sorted(c.name for c in await client.category.find_many())
    assert names == ["a2", "b2", "other"]


async def test_nested_update_and_upsert_of_to_one_relations(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    created = await client.user.update(
        where={"id": ann.id},
        data={"profile": {"upsert": {"create": {"bio": "new"}, "update": {"bio": "unused"}}}},
        include={"profile": True},
    )
    assert created is not None and created.profile is not None and created.profile.bio == "new"
    updated = await client.user.update(
        where={"id": ann.id},
        data={"profile": {"update": {"bio": "changed"}}},
        include={"profile": True},
    )
    assert updated is not None and updated.profile is not None and updated.profile.bio == "changed"
    assert await client.profile.count() == 1
    # The side holding the key: a post without author gets one created, then updated.
    post = await client.post.create(data={"title": "p"})
    with pytest.raises(errors.RecordNotFoundError):
        await client.post.update(where={"id": post.id}, data={"author": {"update": {"name": "x"}}})
    author_data: UserCreateWithoutRelationsInput = {"email": "w@x", "name": "W", "surname": "X"}
    await client.post.update(
        where={"id": post.id}, data={"author": {"upsert": {"create": author_data, "update": {"name": "no"}}}}
    )
    await client.post.update(
        where={"id": post.id}, data={"author": {"upsert": {"create": author_data, "update": {"name": "W2"}}}}
    )
    again = await client.post.find_unique_or_raise(where={"id": post.id}, include={"author": True})
    assert again.author is not None and again.author.name == "W2" and again.author.email == "w@x"
    assert await client.user.count() == 2


async def test_a_failing_nested_change_rolls_the_whole_update_back(client: Prisma) -> None:
    found = await people(client)
    with pytest.raises(errors.RecordNotFoundError):
        await client.user.update(
            where={"id": found["ann"].id},
            data={
                "name": "Renamed",
                "posts": {
                    "update_many": {"where": {}, "data": {"views": 0}},
                    "update": {"where": {"id": "missing"}, "data": {"title": "x"}},
                },
            },
        )
    assert (await client.user.find_unique_or_raise(where={"id": found["ann"].id})).name == "Ann"
    assert await client.post.count(where={"views": 0}) == 1
