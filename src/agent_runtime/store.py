"""The LangGraph store that graphs see at run time: the Store API's items, as the run's owner.

One instance serves every run. Compiled graphs are cached by the identity of their store, so
instead of a store per run, each call resolves its owner from the runnable config of the node
that makes it: with authentication on that is `configurable.owner`, which the runtime always
sets from the authenticated identity (a client cannot override it); with authentication off
every run shares `ANONYMOUS_OWNER`, exactly as every caller of the Store API does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from langgraph.config import get_config
from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    validate_op_namespace,
)

from agent_runtime.storage.base import (
    ANONYMOUS_OWNER,
    Namespace,
    NamespaceQuery,
    StoreItem,
    StoreRepository,
    StoreSearch,
)


class StoreOwnerError(RuntimeError):
    """The store was used where no run owner is known (outside a run, with auth on)."""


class RuntimeStore(BaseStore):
    def __init__(self, items: StoreRepository, *, per_user: bool) -> None:
        self.items = items
        self._per_user = per_user
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def owner(self) -> str:
        """The owner whose items the current call reads and writes."""
        if not self._per_user:
            return ANONYMOUS_OWNER
        try:
            configurable = get_config().get("configurable") or {}
        except RuntimeError:
            configurable = {}
        owner = configurable.get("owner")
        if not isinstance(owner, str) or not owner:
            raise StoreOwnerError(
                "The store can only be used inside a run of an authenticated user"
            )
        return owner

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await self.run(list(ops), self.owner())

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        # The owner comes from the caller's context, which a coroutine handed to the loop
        # would not see; resolve it here, in the calling thread.
        owner = self.owner()
        ops = list(ops)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "Synchronous store calls would block the event loop; "
                "use the async methods (aget, aput, asearch, alist_namespaces)"
            )
        if self._loop is None or self._loop.is_closed():
            raise RuntimeError("The store's event loop is not running")
        return asyncio.run_coroutine_threadsafe(self.run(ops, owner), self._loop).result()

    async def run(self, ops: list[Op], owner: str) -> list[Result]:
        """Execute the ops in order as `owner` (a put is visible to a later get)."""
        for op in ops:
            validate_op_namespace(op)
        return [await self._run_one(op, owner) for op in ops]

    async def _run_one(self, op: Op, owner: str) -> Result:
        if isinstance(op, GetOp):
            found = await self.items.get(owner, op.namespace, op.key)
            return _item(found) if found else None
        if isinstance(op, PutOp):
            if not op.namespace:
                raise InvalidNamespaceError("Namespace cannot be empty.")
            if op.value is None:
                await self.items.delete(owner, op.namespace, op.key)
            else:
                await self.items.put(owner, op.namespace, op.key, dict(op.value))
            return None
        if isinstance(op, SearchOp):
            search = StoreSearch(
                prefix=op.namespace_prefix,
                filter=op.filter,
                query=op.query,
                limit=op.limit,
                offset=op.offset,
            )
            return [_search_item(item) for item in await self.items.search(owner, search)]
        if isinstance(op, ListNamespacesOp):
            return await self.items.list_namespaces(owner, _namespace_query(op))
        raise TypeError(f"Unknown store operation: {type(op).__name__}")


def _namespace_query(op: ListNamespacesOp) -> NamespaceQuery:
    patterns: dict[str, Namespace] = {}
    for condition in op.match_conditions or ():
        if condition.match_type in patterns:
            # TODO(several match conditions): NamespaceQuery holds one prefix and one suffix.
            raise ValueError(f"Only one '{condition.match_type}' match condition is supported")
        patterns[condition.match_type] = tuple(condition.path)
    return NamespaceQuery(
        prefix=patterns.get("prefix"),
        suffix=patterns.get("suffix"),
        max_depth=op.max_depth,
        limit=op.limit,
        offset=op.offset,
    )


def _item(item: StoreItem) -> Item:
    return Item(
        value=item.value,
        key=item.key,
        namespace=item.namespace,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _search_item(item: StoreItem) -> SearchItem:
    return SearchItem(
        namespace=item.namespace,
        key=item.key,
        value=item.value,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
