"""FastAPI dependencies shared by the handlers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, TypeAdapter
from starlette.responses import Response

from agent_runtime.runs.serde import dumps
from agent_runtime.services import Services
from agent_runtime.storage.base import Owner

# Dependencies are `async def` although they never await: FastAPI runs a plain `def`
# dependency in the thread pool, a thread hop per request for a dictionary lookup.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_owner(request: Request) -> Owner:
    """The authenticated identity, or `None` when auth is off (nothing is filtered)."""
    user = getattr(request.state, "user", None)
    return user.identity if user is not None else None


ServicesDep = Annotated[Services, Depends(get_services)]
OwnerDep = Annotated[Owner, Depends(get_owner)]


class JsonResponse(Response):
    """A response serialized by pydantic-core straight to bytes, skipping FastAPI's
    validate-then-encode pass; the route's `response_model` still documents it."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = (
            content.model_dump_json().encode()
            if isinstance(content, BaseModel)
            else _ANY.dump_json(content)
        )
        super().__init__(body, status_code=status_code, headers=headers)


_ANY: TypeAdapter[Any] = TypeAdapter(Any)


class GraphJsonResponse(Response):
    """What a graph produced (state values, checkpoint metadata) serialized in one pass by
    the runtime's graph encoder, which knows LangChain messages and LangGraph's types."""

    media_type = "application/json"

    def __init__(self, content: Any) -> None:
        super().__init__(dumps(content))


def page_headers(total: int, offset: int, returned: int) -> dict[str, str]:
    headers = {"X-Pagination-Total": str(total)}
    if offset + returned < total:
        headers["X-Pagination-Next"] = str(offset + returned)
    return headers


def project(rows: Sequence[BaseModel], select: Sequence[str] | None) -> list[Any]:
    """Apply a `select` field list; without one the models are returned whole."""
    if not select:
        return list(rows)
    fields = set(select)
    return [row.model_dump(mode="json", include=fields) for row in rows]
