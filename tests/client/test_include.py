"""Includes: nested trees in one statement, with where/order_by/take/skip on lists, every relation kind."""

from __future__ import annotations

from typing import Any

import pytest

from prisma_asyncpg.query import Analyzer

from .factories import make_user, people
from .generated.client_db import Prisma


async def test_nested_include_with_list_arguments(client: Prisma) -> None:
    users = await people(client)
    await client.profile.create(data={"bio": "hi", "user_id": users["ann"].id})
    ann = await client.user.find_unique_or_raise(
        where={"id": users["ann"].id},
        include={
            "profile": True,
            "posts": {
                "where": {"views": {"gt": 0}},
                "order_by": {"views": "desc"},
                "take": 1,
                "skip": 1,
                "include": {"author": {"include": {"profile": True}}},
            },
        },
    )
    assert ann.profile is not None and ann.profile.bio == "hi"
    assert ann.posts is not None and [post.title for post in ann.posts] == ["beta"]
    author = ann.posts[0].author
    assert author is not None and author.id == ann.id
    assert author.profile is not None and author.profile.user_id == ann.id
    assert author.posts is None  # not included


async def test_included_lists_are_empty_and_to_one_is_none_when_nothing_matches(client: Prisma) -> None:
    cid = await make_user(client, "Cid")
    found = await client.user.find_unique_or_raise(
        where={"id": cid.id}, include={"posts": True, "profile": True}
    )
    assert found.posts == [] and found.profile is None


async def test_include_many_to_many_both_ways(client: Prisma) -> None:
    post = await client.post.create(
        data={"title": "P", "categories": {"create": [{"name": "news"}, {"name": "tech"}]}},
        include={"categories": {"order_by": {"name": "desc"}}},
    )
    assert post.categories is not None and [c.name for c in post.categories] == ["tech", "news"]
    tech = await client.category.find_unique_or_raise(where={"name": "tech"}, include={"posts": True})
    assert tech.posts is not None and [p.id for p in tech.posts] == [post.id]
    tagged = await client.post.find_many(where={"categories": {"some": {"name": "news"}}})
    assert [p.id for p in tagged] == [post.id]


async def test_include_self_relation_and_compound_id_children(client: Prisma) -> None:
    root = await client.node.create(data={"label": "root"})
    await client.node.create(data={"label": "b", "parent": {"connect": {"id": root.id}}})
    await client.node.create(data={"label": "a", "parent_id": root.id})
    tree = await client.node.find_unique_or_raise(
        where={"id": root.id},
        include={"children": {"order_by": {"label": "asc"}, "include": {"parent": True}}},
    )
    assert tree.children is not None and [n.label for n in tree.children] == ["a", "b"]
    assert all(n.parent is not None and n.parent.id == root.id for n in tree.children)
    ann = await make_user(client, "Ann")
    post = await client.post.create(data={"title": "P"})
    for position in (2, 1):
        # The foreign keys given as scalars (Prisma's "unchecked" input).
        await client.comment.create(
            data={"post_id": post.id, "position": position, "body": f"c{position}", "author_id": ann.id}
        )
    comments = await client.comment.find_many(
        where={"post_id": post.id}, include={"post": True, "author": True}, order={"position": "asc"}
    )
    assert [(c.body, c.position) for c in comments] == [("c1", 1), ("c2", 2)]
    assert all(c.post is not None and c.post.id == post.id for c in comments)
    assert all(c.author is not None and c.author.name == "Ann" for c in comments)


async def test_an_include_tree_is_one_statement(client: Prisma) -> None:
    await people(client)
    client.engine.cache.clear()
    queries: list[str] = []

    def log(record: Any) -> None:
        queries.append(record.query)

    async with client.tx() as tx:
        tx.connection.add_query_logger(log)
        users = await tx.user.find_many(
            include={"posts": {"include": {"author": {"include": {"profile": True}}, "categories": True}}},
        )
        tx.connection.remove_query_logger(log)
    assert len(users) == 3
    assert len(queries) == 1 and queries[0].count("json_agg") >= 2


async def test_included_lists_take_cursor_and_distinct(client: Prisma) -> None:
    users = await people(client)
    ann = await client.user.find_unique_or_raise(where={"id": users["ann"].id}, include={"posts": True})
    assert ann.posts is not None
    by_views = sorted(ann.posts, key=lambda post: post.views)
    paged = await client.user.find_unique_or_raise(
        where={"id": ann.id},
        include={"posts": {"order_by": {"views": "asc"}, "cursor": {"id": by_views[1].id}}},
    )
    assert paged.posts is not None and [p.title for p in paged.posts] == ["beta", "Gamma"]
    distinct = await client.user.find_unique_or_raise(
        where={"id": ann.id},
        include={"posts": {"distinct": ["published"], "order_by": {"views": "desc"}}},
    )
    assert distinct.posts is not None and [p.title for p in distinct.posts] == ["Gamma", "beta"]


async def test_one_to_one_from_the_side_without_the_key(client: Prisma) -> None:
    ann = await make_user(client, "Ann")
    updated = await client.user.update(
        where={"id": ann.id},
        data={"profile": {"connect_or_create": {"where": {"user_id": ann.id}, "create": {"bio": "new"}}}},
        include={"profile": True},
    )
    assert updated is not None and updated.profile is not None and updated.profile.bio == "new"
    again = await client.user.update(
        where={"id": ann.id},
        data={"profile": {"connect_or_create": {"where": {"user_id": ann.id}, "create": {"bio": "other"}}}},
        include={"profile": True},
    )
    assert again is not None and again.profile is not None and again.profile.id == updated.profile.id
    assert await client.profile.count() == 1
    with_profile = await client.user.find_many(where={"profile": {"is": {"bio": "new"}}})
    assert [u.id for u in with_profile] == [ann.id]


async def test_relation_fields_named_like_their_models(client: Prisma) -> None:
    node = await client.node.create(data={"label": "n", "audit": {"create": [{"message": "made"}]}})
    audit = await client.audit.find_first_or_raise(include={"Node": {"include": {"audit": True}}})
    assert audit.Node is not None and audit.Node.id == node.id
    assert audit.Node.audit is not None and [a.message for a in audit.Node.audit] == ["made"]


async def test_find_unique_with_an_include_reuses_its_plan(
    client: Prisma, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = await people(client)
    include: Any = {"posts": {"order_by": {"views": "desc"}}, "profile": True}
    first = await client.user.find_unique_or_raise(where={"id": users["ann"].id}, include=include)
    # The second call with the same where keys and include builds no query shape at all.
    built: list[object] = []
    original = Analyzer.find

    def counted(self: Analyzer, *args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Analyzer, "find", counted)
    again = await client.user.find_unique_or_raise(where={"id": users["ann"].id}, include=include)
    bob = await client.user.find_unique_or_raise(where={"id": users["bob"].id}, include=include)
    assert built == []
    assert again == first and [post.title for post in again.posts or []] == ["Gamma", "beta", "Alpha"]
    assert bob.name == "Bob" and [post.title for post in bob.posts or []] == ["Bob's post"]
    # Another include (another order) is another plan, built once.
    ascending = await client.user.find_unique_or_raise(
        where={"id": users["ann"].id}, include={"posts": {"order_by": {"views": "asc"}}, "profile": True}
    )
    assert len(built) == 1
    assert [post.title for post in ascending.posts or []] == ["Alpha", "beta", "Gamma"]


async def test_an_include_with_parameters_is_compiled_every_time(client: Prisma) -> None:
    users = await people(client)
    ann = users["ann"].id
    for take in (1, 1, 2, 2, 3):  # repeated: a second call must not reuse a plan without take
        found = await client.user.find_unique_or_raise(
            where={"id": ann}, include={"posts": {"order_by": {"views": "asc"}, "take": take}}
        )
        assert [post.title for post in found.posts or []] == ["Alpha", "beta", "Gamma"][:take]
    missing = await client.user.find_unique(where={"id": ann + 1000}, include={"posts": True})
    assert missing is None
