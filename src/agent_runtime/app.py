"""The ASGI application: routes, middleware, error handling and the resources' lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from agent_runtime import __version__
from agent_runtime.api import assistants, runs, state, store, system, threads
from agent_runtime.api.errors import install_error_handlers
from agent_runtime.auth import Authenticator, AuthMiddleware, authentication
from agent_runtime.config import Settings
from agent_runtime.graphs import GraphRegistry, ProviderEnv, agent_spec, preload_providers
from agent_runtime.graphs.loader import load_graph_specs
from agent_runtime.heap import settle_heap
from agent_runtime.middleware import RequestContextMiddleware
from agent_runtime.runs.events import MemoryEventBroker
from agent_runtime.runs.manager import RunManager
from agent_runtime.runs.queue import MemoryRunQueue
from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.common import utcnow
from agent_runtime.services import Services, system_assistant_id
from agent_runtime.shutdown import ShutdownClock
from agent_runtime.storage.base import SYSTEM_OWNER, StoreRepository
from agent_runtime.storage.factory import open_storage
from agent_runtime.store import RuntimeStore
from agent_runtime.tracing import skip_untraced_thread_hops

logger = logging.getLogger(__name__)

EXPOSED_HEADERS = ["Content-Location", "Location", "X-Pagination-Total", "X-Pagination-Next"]


def provider_env(settings: Settings) -> ProviderEnv:
    return ProviderEnv(
        openai_api_key=settings.openai_api_key,
        anthropic_api_key=settings.anthropic_api_key,
        google_api_key=settings.google_api_key,
        custom_api_key=settings.custom_api_key,
        openai_base_url=settings.openai_base_url,
        anthropic_base_url=settings.anthropic_base_url,
        google_base_url=settings.google_base_url,
        max_retries=settings.model_max_retries,
    )


def create_app(
    settings: Settings,
    graphs: GraphRegistry | None = None,
    shutdown: ShutdownClock | None = None,
) -> FastAPI:
    registry = graphs or GraphRegistry(
        [agent_spec(provider_env(settings)), *load_graph_specs(settings.graphs)]
    )
    providers = provider_env(settings).configured()
    authenticator = Authenticator(settings) if settings.auth_enabled else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with authentication(authenticator), open_storage(settings) as storage:
            services = Services(
                settings=settings,
                graphs=registry,
                assistants=storage.assistants,
                threads=storage.threads,
                runs=storage.runs,
                checkpointer=storage.checkpointer,
                store=_runtime_store(storage.store_items, settings),
                persistence=storage.persistence,
                store_items=storage.store_items,
                check_health=storage.check_health,
            )
            await _ensure_system_assistants(services)
            # Off the loop: importing a provider's client takes most of a second.
            await asyncio.to_thread(preload_providers, providers)
            manager = RunManager(
                services, MemoryEventBroker(), MemoryRunQueue(), jobs=settings.n_jobs_per_worker
            )
            await manager.start()
            skip_untraced_thread_hops()
            settle_heap()
            app.state.services = services
            app.state.runs = manager
            logger.info(
                "server ready",
                extra={"persistence": services.persistence, "graphs": registry.ids()},
            )
            try:
                yield
            finally:
                # Drain runs before the storage under them closes.
                budget = settings.shutdown_timeout
                await manager.stop(grace=shutdown.remaining(budget) if shutdown else budget)
                logger.info("server stopped")

    app = FastAPI(
        title="Agent Runtime",
        version=__version__,
        summary="Hosts LangGraph agents behind the LangGraph API.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # One schema per model: responses are documented by the shapes requests validate.
        separate_input_output_schemas=False,
    )
    # openapi_url=None also disables app.openapi(); keep the generator, serve it ourselves.
    app.openapi_url = "/openapi.json"
    install_error_handlers(app)
    # The routers' routes join the app's own list rather than being included: FastAPI's
    # included routers recount their routes on every request they match (about 15% of the
    # server's CPU for a `GET /threads/{id}`). The routers carry their prefixes and tags.
    for api in (system, assistants, threads, state, runs, store):
        app.router.routes.extend(api.router.routes)
    app.mount(system.DOCS_ASSETS_URL, StaticFiles(directory=system.DOCS_ASSETS), name="docs")
    if authenticator is not None:
        # Inside CORS, so a 401 still carries the CORS headers a browser needs to read it.
        app.add_middleware(AuthMiddleware, authenticator=authenticator)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(RequestContextMiddleware)
    return app


def _runtime_store(items: StoreRepository | None, settings: Settings) -> RuntimeStore | None:
    return RuntimeStore(items, per_user=settings.auth_enabled) if items is not None else None


async def _ensure_system_assistants(services: Services) -> None:
    """One assistant per registered graph, owned by `system`, with a stable id."""
    now = utcnow()
    for graph_id in services.graphs.ids():
        assistant = Assistant(
            assistant_id=system_assistant_id(graph_id),
            graph_id=graph_id,
            config={},
            context={},
            metadata={"created_by": "system", "owner": SYSTEM_OWNER},
            name=graph_id,
            description=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await services.assistants.create(SYSTEM_OWNER, assistant)
