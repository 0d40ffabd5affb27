"""The Store API: long-term memory items shared by UIs and graphs, scoped by owner."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from agent_runtime.api.deps import JsonResponse, OwnerDep, ServicesDep
from agent_runtime.errors import NotFound, NotImplementedFeature
from agent_runtime.schemas.store import (
    Item,
    ListNamespacesRequest,
    ListNamespacesResponse,
    Namespace,
    NamespacePattern,
    SearchItemsResponse,
    StoreDeleteRequest,
    StorePutRequest,
    StoreSearchRequest,
    parse_query_namespace,
)
from agent_runtime.services import Services
from agent_runtime.storage.base import (
    ANONYMOUS_OWNER,
    NamespaceQuery,
    Owner,
    StoreRepository,
    StoreSearch,
)
from agent_runtime.storage.base import Namespace as NamespaceTuple

router = APIRouter(prefix="/store", tags=["Store"])

_NAMESPACE: TypeAdapter[list[str]] = TypeAdapter(Namespace)
_PATTERN: TypeAdapter[list[str]] = TypeAdapter(NamespacePattern)

_NAMESPACE_HELP = "The namespace: dotted (`users.u1`), a JSON array, or repeated labels."
NamespaceParam = Annotated[list[str], Query(description=_NAMESPACE_HELP)]
OptionalNamespaceParam = Annotated[list[str] | None, Query(description=_NAMESPACE_HELP)]
PatternParam = Annotated[
    list[str] | None,
    Query(description="Labels, dotted or as a JSON array; `*` matches any one label."),
]


def _repository(services: Services) -> StoreRepository:
    if services.store_items is None:
        raise NotImplementedFeature("The store is not available with this storage")
    return services.store_items


def _owner(owner: Owner) -> str:
    # With auth off every caller shares one owner, the same one graphs write as.
    return owner if owner is not None else ANONYMOUS_OWNER


def _query_labels(field: str, raw: list[str], adapter: TypeAdapter[list[str]]) -> NamespaceTuple:
    """Validate a namespace from the query string, reporting errors under its parameter."""
    try:
        return tuple(adapter.validate_python(parse_query_namespace(raw)))
    except ValidationError as exc:
        errors: list[Any] = [{**e, "loc": ("query", field, *e["loc"])} for e in exc.errors()]
    except ValueError as exc:
        errors = [{"loc": ("query", field), "msg": str(exc), "type": "value_error"}]
    raise RequestValidationError(errors)


def _required(field: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": "Required", "type": "missing"}])


@router.put(
    "/items",
    operation_id="putStoreItem",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Item stored"}},
)
async def put_item(body: StorePutRequest, services: ServicesDep, owner: OwnerDep) -> Response:
    if body.ttl is not None:
        raise NotImplementedFeature("Store item TTL is not supported")
    # TODO(embeddings): no vector index is configured, so `index` is accepted and ignored;
    # `query` in search falls back to text matching.
    await _repository(services).put(_owner(owner), tuple(body.namespace), body.key, body.value)
    return Response(status_code=204)


@router.get("/items", operation_id="getStoreItem", response_model=Item)
async def get_item(
    namespace: NamespaceParam,
    key: Annotated[str, Query(min_length=1, description="The key within the namespace.")],
    services: ServicesDep,
    owner: OwnerDep,
) -> JsonResponse:
    labels = _query_labels("namespace", namespace, _NAMESPACE)
    item = await _repository(services).get(_owner(owner), labels, key)
    if item is None:
        raise NotFound("Item not found")
    return JsonResponse(Item.of(item))


@router.delete(
    "/items",
    operation_id="deleteStoreItem",
    status_code=204,
    response_class=Response,
    responses={204: {"description": "Item deleted (or there was none)"}},
)
async def delete_item(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[StoreDeleteRequest | None, Body()] = None,
    namespace: OptionalNamespaceParam = None,
    key: Annotated[str | None, Query(min_length=1)] = None,
) -> Response:
    # The SDK sends a JSON body; the sibling runtime's clients send query parameters.
    if body is not None:
        labels, item_key = tuple(body.namespace), body.key
    else:
        if namespace is None:
            raise _required("namespace")
        if key is None:
            raise _required("key")
        labels, item_key = _query_labels("namespace", namespace, _NAMESPACE), key
    await _repository(services).delete(_owner(owner), labels, item_key)
    return Response(status_code=204)


@router.post("/items/search", operation_id="searchStoreItems", response_model=SearchItemsResponse)
async def search_items(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[StoreSearchRequest | None, Body()] = None,
) -> JsonResponse:
    request = body or StoreSearchRequest()
    search = StoreSearch(
        prefix=tuple(request.namespace_prefix),
        filter=request.filter,
        query=request.query,
        limit=request.limit,
        offset=request.offset,
    )
    # TODO(store totals): the repository returns one page without a total, so no
    # X-Pagination-Total header is set here.
    items = await _repository(services).search(_owner(owner), search)
    return JsonResponse(SearchItemsResponse(items=[Item.of(item) for item in items]))


@router.post(
    "/namespaces", operation_id="listStoreNamespaces", response_model=ListNamespacesResponse
)
async def list_namespaces(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[ListNamespacesRequest | None, Body()] = None,
) -> JsonResponse:
    request = body or ListNamespacesRequest()
    query = NamespaceQuery(
        prefix=tuple(request.prefix) if request.prefix else None,
        suffix=tuple(request.suffix) if request.suffix else None,
        max_depth=request.max_depth,
        limit=request.limit,
        offset=request.offset,
    )
    namespaces = await _repository(services).list_namespaces(_owner(owner), query)
    return JsonResponse({"namespaces": [list(namespace) for namespace in namespaces]})


@router.get(
    "/namespaces", operation_id="listStoreNamespacesByQuery", response_model=list[list[str]]
)
async def list_namespaces_by_query(
    services: ServicesDep,
    owner: OwnerDep,
    prefix: PatternParam = None,
    suffix: PatternParam = None,
    max_depth: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JsonResponse:
    query = NamespaceQuery(
        prefix=_query_labels("prefix", prefix, _PATTERN) if prefix else None,
        suffix=_query_labels("suffix", suffix, _PATTERN) if suffix else None,
        max_depth=max_depth,
        limit=limit,
        offset=offset,
    )
    namespaces = await _repository(services).list_namespaces(_owner(owner), query)
    return JsonResponse([list(namespace) for namespace in namespaces])
