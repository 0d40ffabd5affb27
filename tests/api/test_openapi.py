"""The generated spec against the contract's operation ids and the sibling runtime's schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "python-openapi-spec.json"
)

CORE_OPERATIONS = {
    ("get", "/"): "getRoot",
    ("get", "/health"): "getHealth",
    ("get", "/ok"): "getOk",
    ("get", "/info"): "getInfo",
    ("get", "/openapi.json"): "getOpenApiSpec",
    ("get", "/metrics"): "getMetrics",
    ("post", "/assistants"): "createAssistant",
    ("post", "/assistants/search"): "searchAssistants",
    ("post", "/assistants/count"): "countAssistants",
    ("get", "/assistants/{assistant_id}"): "getAssistant",
    ("patch", "/assistants/{assistant_id}"): "patchAssistant",
    ("delete", "/assistants/{assistant_id}"): "deleteAssistant",
    ("post", "/threads"): "createThread",
    ("post", "/threads/search"): "searchThreads",
    ("post", "/threads/count"): "countThreads",
    ("get", "/threads/{thread_id}"): "getThread",
    ("patch", "/threads/{thread_id}"): "patchThread",
    ("delete", "/threads/{thread_id}"): "deleteThread",
    ("get", "/threads/{thread_id}/state"): "getThreadState",
    ("get", "/threads/{thread_id}/history"): "getThreadHistory",
    ("post", "/threads/{thread_id}/history"): "postThreadHistory",
}

PARITY_SCHEMAS = {
    "Assistant": "Assistant",
    "AssistantCreate": "AssistantCreate",
    "Thread": "Thread",
    "ThreadCreate": "ThreadCreate",
    "ThreadSearchRequest": "ThreadSearchRequest",
    "Config": "Config",
}


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text())
    return data


async def test_spec_is_openapi_31_with_contract_operation_ids(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    served = {
        (method, path): op["operationId"]
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    for key, operation_id in CORE_OPERATIONS.items():
        assert served.get(key) == operation_id, key


async def test_every_operation_id_is_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def _types(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The JSON types a (possibly $ref'd, anyOf'd) schema admits."""
    if "$ref" in schema:
        return _types(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "anyOf" in schema:
        return set().union(*(_types(s, components) for s in schema["anyOf"]))
    kind = schema.get("type")
    if kind is None:
        if "properties" in schema or "additionalProperties" in schema:
            return {"object"}
        return {"any"}
    return set(kind) if isinstance(kind, list) else {kind}


def _compatible(ours: set[str], theirs: set[str]) -> bool:
    if "any" in ours:
        return True
    wanted = theirs - {"null"}
    return bool(wanted & ours) or ("integer" in wanted and "number" in ours)


@pytest.mark.parametrize(("ours_name", "theirs_name"), sorted(PARITY_SCHEMAS.items()))
async def test_schema_parity_with_sibling_runtime(
    spec: dict[str, Any], reference: dict[str, Any], ours_name: str, theirs_name: str
) -> None:
    ours_components = spec["components"]["schemas"]
    theirs_components = reference["components"]["schemas"]
    ours = _resolve_named(ours_components, ours_name)
    theirs = theirs_components[theirs_name]
    for field, field_schema in theirs["properties"].items():
        assert field in ours["properties"], f"{ours_name}.{field} missing"
        ours_types = _types(ours["properties"][field], ours_components)
        theirs_types = _types(field_schema, theirs_components)
        assert _compatible(ours_types, theirs_types), (field, ours_types, theirs_types)


def _resolve_named(components: dict[str, Any], name: str) -> dict[str, Any]:
    # FastAPI suffixes a model's name with -Input/-Output when the two shapes differ.
    for candidate in (name, f"{name}-Output", f"{name}-Input"):
        if candidate in components:
            schema: dict[str, Any] = components[candidate]
            return schema
    raise AssertionError(f"{name} not in generated components: {sorted(components)}")
