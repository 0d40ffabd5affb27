"""Store items kept in process memory, for a server started without a database."""

from __future__ import annotations

import copy
import heapq
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

_Key = tuple[str, Namespace, str]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MemoryStoreItems:
    def __init__(self) -> None:
        self._items: dict[_Key, StoreItem] = {}

    async def put(self, owner: str, namespace: Namespace, key: str, value: Json) -> StoreItem:
        now = utcnow()
        previous = self._items.get((owner, namespace, key))
        item = StoreItem(
            namespace=namespace,
            key=key,
            # Copied so a caller mutating its dict cannot change what is stored.
            value=copy.deepcopy(value),
            created_at=previous.created_at if previous else now,
            updated_at=now,
        )
        self._items[(owner, namespace, key)] = item
        return _copy(item)

    async def get(self, owner: str, namespace: Namespace, key: str) -> StoreItem | None:
        item = self._items.get((owner, namespace, key))
        return _copy(item) if item else None

    async def delete(self, owner: str, namespace: Namespace, key: str) -> bool:
        return self._items.pop((owner, namespace, key), None) is not None

    async def search(self, owner: str, search: StoreSearch) -> list[StoreItem]:
        conditions = parse_filter(search.filter)
        found = [
            item
            for (item_owner, namespace, _), item in self._items.items()
            if item_owner == owner
            and has_prefix(namespace, search.prefix)
            and matches_filter(item.value, conditions)
            and matches_text(item.value, search.query)
        ]
        # Newest first, ties by namespace and key; only the page's end needs ordering.
        newest = heapq.nsmallest(
            search.offset + search.limit,
            found,
            key=lambda item: (-_micros(item.updated_at), item.namespace, item.key),
        )
        return [_copy(item) for item in newest[search.offset :]]

    async def list_namespaces(self, owner: str, query: NamespaceQuery) -> list[Namespace]:
        namespaces = {namespace for item_owner, namespace, _ in self._items if item_owner == owner}
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
