"""Store repositories, memory and Postgres alike: the rules of contract section 8."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent_runtime.storage.base import Namespace, NamespaceQuery, StoreRepository, StoreSearch
from agent_runtime.storage.store_query import InvalidFilterError


async def keys(repository: StoreRepository, owner: str, **search: Any) -> list[str]:
    return [item.key for item in await repository.search(owner, StoreSearch(**search))]


async def test_put_then_get_returns_the_value(repository: StoreRepository, owner: str) -> None:
    made = await repository.put(owner, ("users", "u1"), "profile", {"name": "Ada", "n": [1, 2]})
    got = await repository.get(owner, ("users", "u1"), "profile")
    assert got is not None
    assert got.namespace == ("users", "u1")
    assert got.key == "profile"
    assert got.value == {"name": "Ada", "n": [1, 2]}
    assert got.created_at == made.created_at
    assert got.updated_at.tzinfo is not None


async def test_put_again_keeps_created_at_and_bumps_updated_at(
    repository: StoreRepository, owner: str
) -> None:
    first = await repository.put(owner, ("a",), "k", {"v": 1})
    await asyncio.sleep(0.01)
    second = await repository.put(owner, ("a",), "k", {"v": 2})
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
    got = await repository.get(owner, ("a",), "k")
    assert got is not None and got.value == {"v": 2}


async def test_delete_removes_only_that_item(repository: StoreRepository, owner: str) -> None:
    await repository.put(owner, ("a",), "k1", {})
    await repository.put(owner, ("a",), "k2", {})
    assert await repository.delete(owner, ("a",), "k1") is True
    assert await repository.delete(owner, ("a",), "k1") is False
    assert await repository.get(owner, ("a",), "k1") is None
    assert await repository.get(owner, ("a",), "k2") is not None


async def test_items_are_scoped_by_owner(repository: StoreRepository, owner: str) -> None:
    other = f"{owner}-other"
    await repository.put(owner, ("a",), "k", {"mine": True})
    assert await repository.get(other, ("a",), "k") is None
    assert await keys(repository, other, prefix=("a",)) == []
    assert await repository.list_namespaces(other, NamespaceQuery()) == []
    assert await repository.delete(other, ("a",), "k") is False
    assert await repository.get(owner, ("a",), "k") is not None


async def test_search_matches_whole_labels_of_the_prefix(
    repository: StoreRepository, owner: str
) -> None:
    for namespace in [("a",), ("a", "b"), ("a", "b", "c"), ("ab",), ("a", "bc"), ("x", "a")]:
        await repository.put(owner, namespace, ".".join(namespace), {})
    assert sorted(await keys(repository, owner, prefix=("a",))) == ["a", "a.b", "a.b.c", "a.bc"]
    assert sorted(await keys(repository, owner, prefix=("a", "b"))) == ["a.b", "a.b.c"]
    assert len(await keys(repository, owner, prefix=(), limit=100)) == 6


async def test_search_is_newest_first_and_pages(repository: StoreRepository, owner: str) -> None:
    for i in range(5):
        await repository.put(owner, ("p",), f"k{i}", {"i": i})
        await asyncio.sleep(0.002)
    await repository.put(owner, ("p",), "k1", {"i": 1, "touched": True})
    assert await keys(repository, owner, prefix=("p",)) == ["k1", "k4", "k3", "k2", "k0"]
    assert await keys(repository, owner, prefix=("p",), limit=2) == ["k1", "k4"]
    assert await keys(repository, owner, prefix=("p",), limit=2, offset=2) == ["k3", "k2"]
    assert await keys(repository, owner, prefix=("p",), limit=2, offset=4) == ["k0"]
    assert await keys(repository, owner, prefix=("p",), offset=5) == []


VALUES: dict[str, Any] = {
    "ada": {"name": "Ada", "age": 36, "score": 9.5, "admin": True, "tags": ["x"]},
    "bob": {"name": "Bob", "age": 25, "score": 7, "admin": False, "team": {"id": 1}},
    "cy": {"name": "cy", "age": "unknown"},
}

FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({"name": "Ada"}, {"ada"}),
    ({"name": "ada"}, set()),
    ({"age": 36.0}, {"ada"}),
    ({"admin": True}, {"ada"}),
    ({"admin": 1}, set()),
    ({"tags": ["x"]}, {"ada"}),
    ({"team": {"id": 1}}, {"bob"}),
    ({"name": "Ada", "age": 25}, set()),
    ({"name": {"$eq": "Bob"}}, {"bob"}),
    ({"name": {"$ne": "Bob"}}, {"ada", "cy"}),
    ({"admin": {"$ne": True}}, {"bob", "cy"}),
    ({"age": {"$gt": 25}}, {"ada"}),
    ({"age": {"$gte": 25}}, {"ada", "bob"}),
    ({"age": {"$lt": 36}}, {"bob"}),
    ({"age": {"$lte": 36}}, {"ada", "bob"}),
    ({"age": {"$gt": 20, "$lt": 30}}, {"bob"}),
    ({"score": {"$gte": 7.0}}, {"ada", "bob"}),
    ({"name": {"$gt": "B"}}, {"bob", "cy"}),
    ({"name": {"$lt": "a"}}, {"ada", "bob"}),
    ({"age": {"$gt": "a"}}, {"cy"}),
    ({"missing": {"$lt": 100}}, set()),
]


@pytest.mark.parametrize(("where", "expected"), FILTERS, ids=[str(f) for f, _ in FILTERS])
async def test_filter(
    repository: StoreRepository, owner: str, where: dict[str, Any], expected: set[str]
) -> None:
    for key, value in VALUES.items():
        await repository.put(owner, ("people",), key, value)
    assert set(await keys(repository, owner, prefix=("people",), filter=where)) == expected


@pytest.mark.parametrize(
    "where", [{"age": {"$regex": "x"}}, {"age": {"$gt": True}}, {"age": {"$lt": [1]}}]
)
async def test_bad_filter_is_refused(
    repository: StoreRepository, owner: str, where: dict[str, Any]
) -> None:
    with pytest.raises(InvalidFilterError):
        await repository.search(owner, StoreSearch(filter=where))


async def test_query_matches_text_case_insensitively(
    repository: StoreRepository, owner: str
) -> None:
    await repository.put(owner, ("notes",), "tea", {"text": "Likes Green TEA"})
    await repository.put(owner, ("notes",), "coffee", {"text": "dislikes coffee"})
    await repository.put(owner, ("notes",), "pct", {"text": "100% sure_thing"})
    assert await keys(repository, owner, query="green tea") == ["tea"]
    assert sorted(await keys(repository, owner, query="LIKES")) == ["coffee", "tea"]
    # LIKE wildcards in the query are plain characters.
    assert await keys(repository, owner, query="0% s") == ["pct"]
    assert await keys(repository, owner, query="s_r") == []


async def test_unicode_and_odd_labels_round_trip(repository: StoreRepository, owner: str) -> None:
    namespaces: list[Namespace] = [
        ("org", "ünïcødé", "日本語"),
        ("my ns", "with,comma"),
        ('quo"te', "back\\slash", "{brace}"),
        ("NULL",),
        ("emoji 🎉",),
    ]
    value = {"text": "héllo wörld ✓ 🎉", "nested": {"日本": ["語", None]}, "quote": 'a"b\\c'}
    for namespace in namespaces:
        await repository.put(owner, namespace, "k 🔑", value)
    for namespace in namespaces:
        got = await repository.get(owner, namespace, "k 🔑")
        assert got is not None and got.namespace == namespace and got.value == value
        assert await keys(repository, owner, prefix=namespace[:1]) == ["k 🔑"]
    listed = await repository.list_namespaces(owner, NamespaceQuery())
    assert listed == sorted(namespaces)


async def test_large_value_round_trips(repository: StoreRepository, owner: str) -> None:
    value = {"blob": "x" * 2_000_000, "items": [{"i": i, "s": "ü" * 10} for i in range(5000)]}
    await repository.put(owner, ("big",), "k", value)
    got = await repository.get(owner, ("big",), "k")
    assert got is not None and got.value == value


NAMESPACES: list[Namespace] = [
    ("org", "u1", "a1", "memories"),
    ("org", "u1", "a1", "context"),
    ("org", "u1", "a2", "memories"),
    ("org", "u2", "a1", "memories"),
    ("org", "shared", "global", "context"),
    ("other", "u1"),
]

LISTINGS: list[tuple[NamespaceQuery, list[Namespace]]] = [
    (NamespaceQuery(), sorted(NAMESPACES)),
    (NamespaceQuery(prefix=("other",)), [("other", "u1")]),
    (NamespaceQuery(prefix=("org", "u1")), sorted(NAMESPACES[:3])),
    (NamespaceQuery(prefix=("org", "*", "a1")), sorted(NAMESPACES[i] for i in (0, 1, 3))),
    (NamespaceQuery(suffix=("memories",)), sorted(NAMESPACES[i] for i in (0, 2, 3))),
    (NamespaceQuery(suffix=("a1", "*")), sorted(NAMESPACES[i] for i in (0, 1, 3))),
    (NamespaceQuery(prefix=("org",), suffix=("context",)), [NAMESPACES[4], NAMESPACES[1]]),
    (NamespaceQuery(prefix=("*", "u1")), sorted([*NAMESPACES[:3], ("other", "u1")])),
    (NamespaceQuery(max_depth=1), [("org",), ("other",)]),
    (
        NamespaceQuery(prefix=("org",), max_depth=2),
        [("org", "shared"), ("org", "u1"), ("org", "u2")],
    ),
    (NamespaceQuery(max_depth=2, limit=2), [("org", "shared"), ("org", "u1")]),
    (NamespaceQuery(max_depth=2, limit=2, offset=2), [("org", "u2"), ("other", "u1")]),
    (NamespaceQuery(prefix=("org", "u1", "a1", "memories", "deeper")), []),
    (NamespaceQuery(prefix=("nothing",)), []),
]


@pytest.mark.parametrize(("query", "expected"), LISTINGS, ids=[str(q) for q, _ in LISTINGS])
async def test_list_namespaces(
    repository: StoreRepository, owner: str, query: NamespaceQuery, expected: list[Namespace]
) -> None:
    for namespace in NAMESPACES:
        await repository.put(owner, namespace, "k1", {})
        await repository.put(owner, namespace, "k2", {})
    assert await repository.list_namespaces(owner, query) == expected
