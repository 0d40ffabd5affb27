"""Service endpoints: identity, health, info, metrics, the OpenAPI document and its viewer."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any, Literal

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.responses import HTMLResponse, Response

from agent_runtime import __version__
from agent_runtime.api.deps import JsonResponse, ServicesDep

SERVICE_NAME = "agent-runtime"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_ASSETS_URL = "/docs-assets"

router = APIRouter(tags=["System"])


class RootResponse(BaseModel):
    service: str
    runtime: str
    version: str


class HealthResponse(BaseModel):
    status: Literal["ok"]
    persistence: Literal["memory", "postgres"]


class OkResponse(BaseModel):
    ok: bool


@router.get("/", operation_id="getRoot", response_model=RootResponse)
async def root() -> JsonResponse:
    return JsonResponse({"service": SERVICE_NAME, "runtime": "python", "version": __version__})


@router.get("/health", operation_id="getHealth", response_model=HealthResponse)
async def health(services: ServicesDep) -> JsonResponse:
    if services.check_health is not None:
        await services.check_health()
    return JsonResponse({"status": "ok", "persistence": services.persistence})


@router.get("/ok", operation_id="getOk", response_model=OkResponse)
async def ok() -> JsonResponse:
    return JsonResponse({"ok": True})


@router.get("/info", operation_id="getInfo", response_model=dict[str, Any])
async def info(services: ServicesDep) -> JsonResponse:
    settings = services.settings
    return JsonResponse(
        {
            "service": SERVICE_NAME,
            "runtime": "python",
            "version": __version__,
            "build": {
                "commit": settings.build_commit,
                "date": settings.build_date,
                "python": platform.python_version(),
            },
            "capabilities": {
                "streaming": True,
                "store": services.store_items is not None,
                "crons": False,
                "a2a": False,
                "mcp": False,
                "persistence": services.persistence == "postgres",
                "metrics": True,
            },
            "graphs": services.graphs.ids(),
            "config": {
                "supabase_configured": settings.auth_enabled,
                "database_configured": settings.database_url is not None,
                "llm_configured": settings.llm_configured,
            },
            "tiers": {"tier1": True, "tier2": True, "tier3": "none"},
        }
    )


@router.get(
    "/metrics",
    operation_id="getMetrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/openapi.json", operation_id="getOpenApiSpec", response_model=dict[str, Any])
async def openapi_spec(request: Request) -> JsonResponse:
    return JsonResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{SERVICE_NAME} API",
        swagger_js_url=f"{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS_URL}/favicon.png",
    )
