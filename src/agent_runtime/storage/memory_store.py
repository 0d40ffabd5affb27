"""Store items kept in process memory, for a server started without a database."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from agent_runtime.schemas.common import Json, utcnow
from agent_runtime.storage.base import Namespace, NamespaceQuery, StoreItem, StoreSearch
from agent_runtime.storage.store_query import (
    has_prefix,
    matches_filter,
    matches_text,
    parse_filter,
    select_namespaces,
)

_Key = tuple[Namespace, str]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MemoryStoreItems:
    def __init__(self) -> None:
        # Per owner, items in the order they were last written: newest last, so a search
        # reads from the end and stops once its page is full.
        self._items: dict[str, dict[_Key, StoreItem]] = {}
        self._latest = _EPOCH

    async def put(self, owner: str, namespace: Namespace, key: str, value: Json) -> StoreItem:
        # Never earlier than the last write, so write order is `updated_at` order.
        now = self._latest = max(utcnow(), self._latest)
        items = self._items.setdefault(owner, {})
        previous = items.pop((namespace, key), None)
        item = StoreItem(
            namespace=namespace,
            key=key,
            # Copied so a caller mutating its dict cannot change what is stored.
            value=copy.deepcopy(value),
            created_at=previous.created_at if previous else now,
            updated_at=now,
        )
        items[(namespace, key)] = item
        return _copy(item)

    async def get(self, owner: str, namespace: Namespace, key: str) -> StoreItem | None:
        item = self._items.get(owner, {}).get((namespace, key))
        return _copy(item) if item else None

    async def delete(self, owner: str, namespace: Namespace, key: str) -> bool:
        return self._items.get(owner, {}).pop((namespace, key), None) is not None

    async def search(self, owner: str, search: StoreSearch) -> list[StoreItem]:
        conditions = parse_filter(search.filter)
        wanted = search.offset + search.limit
        found: list[StoreItem] = []
        for item in reversed(self._items.get(owner, {}).values()):
            # Newest first; once the page is full, only items written at the same instant
            # as its last one can still belong to it (ties go by namespace and key).
            if len(found) >= wanted and item.updated_at < found[-1].updated_at:
                break
            if (
                has_prefix(item.namespace, search.prefix)
                and matches_filter(item.value, conditions)
                and matches_text(item.value, search.query)
            ):
                found.append(item)
        found.sort(key=lambda item: (-_micros(item.updated_at), item.namespace, item.key))
        return [_copy(item) for item in found[search.offset : wanted]]

    async def list_namespaces(self, owner: str, query: NamespaceQuery) -> list[Namespace]:
        namespaces = {namespace for namespace, _ in self._items.get(owner, {})}
        return select_namespaces(namespaces, query)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _copy(item: StoreItem) -> StoreItem:
    return StoreItem(
        namespace=item.namespace,
        key=item.key,
        value=copy.deepcopy(item.value),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
