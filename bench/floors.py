"""Floors: what the runtime is built on, measured without the runtime.

- `langgraph`: the agent graph the server runs, in-process, with the same checkpointer, no HTTP.
- `starlette`: a bare uvicorn+Starlette app answering JSON (and a row read through psycopg).
- `psycopg_round_trip`: a single-row insert then select on one connection.

The first two run as their own processes (`python -m bench.floors ...`), pinned to the server's
core, so their CPU and latency compare with the server's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bench.load import percentile


async def _langgraph_floor(
    openai_url: str, runs: int, dsn: str | None, turns: int
) -> dict[str, float]:
    from langchain_core.messages import AIMessageChunk
    from langchain_core.runnables import RunnableConfig

    from agent_runtime.graphs.agent import build_agent
    from agent_runtime.graphs.models import ProviderEnv
    from agent_runtime.heap import settle_heap
    from agent_runtime.runs.checkpoints import MemoryCheckpointer
    from agent_runtime.tracing import skip_untraced_thread_hops

    env = ProviderEnv(openai_api_key="sk-bench", openai_base_url=f"{openai_url}/v1")
    # LangSmith's span set-up as the server runs it.
    skip_untraced_thread_hops()

    async def measure(graph: Any) -> dict[str, float]:
        async def one(
            thread_id: str | None = None, modes: tuple[str, ...] = ("messages", "values")
        ) -> tuple[float, float | None]:
            config = RunnableConfig(configurable={"thread_id": thread_id or str(uuid.uuid4())})
            start = time.perf_counter()
            first_token = None
            human = {"messages": [{"role": "user", "content": "hello from the benchmark"}]}
            async for mode, chunk in graph.astream(human, config, stream_mode=list(modes)):
                if first_token is None and mode == "messages":
                    message = chunk[0]
                    if isinstance(message, AIMessageChunk) and message.content:
                        first_token = time.perf_counter() - start
            return time.perf_counter() - start, first_token

        async def turn_cpu() -> dict[str, float]:
            """CPU of the median run on a thread's first and `turns`-th turn, as the server's
            growth, streaming messages only as the server's turns do."""
            threads = [str(uuid.uuid4()) for _ in range(3)]
            out: dict[str, float] = {}
            for turn in range(1, turns + 1):
                cpu = []
                for thread_id in threads:
                    cpu_start = time.process_time()
                    await one(thread_id, ("messages",))
                    cpu.append(time.process_time() - cpu_start)
                if turn in (1, turns):
                    out[f"turn_{turn}_cpu_ms"] = statistics.median(cpu) * 1000
            return out

        for _ in range(min(20, runs)):
            await one()
        # The collector as the server sets it once started, so the ratio is the runtime's.
        settle_heap()
        cpu_start = time.process_time()
        samples = [await one() for _ in range(runs)]
        cpu = time.process_time() - cpu_start
        totals = [s[0] * 1000 for s in samples]
        tokens = [s[1] * 1000 for s in samples if s[1] is not None]
        return {
            "runs": runs,
            "cpu_ms_per_run": cpu * 1000 / runs,
            "p50_ms": percentile(totals, 50),
            "p99_ms": percentile(totals, 99),
            "first_token_p50_ms": percentile(tokens, 50),
            **await turn_cpu(),
        }

    if dsn is None:
        graph = build_agent(None, env, checkpointer=MemoryCheckpointer(), store=None)
        return await measure(graph)
    # The server's own pool settings and checkpointer class, on a database of its own.
    from agent_runtime.config import Settings
    from agent_runtime.storage.postgres import PostgresCheckpointer
    from agent_runtime.storage.postgres.connection import open_pool
    from agent_runtime.storage.postgres.migrations import migrate

    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    async with open_pool(
        dsn,
        min_size=defaults["database_pool_min_size"],
        max_size=defaults["database_pool_max_size"],
        checkout_timeout=defaults["database_pool_timeout"],
        connect_timeout=10,
        prepared_statements=defaults["database_prepared_statements"],
    ) as pool:
        await migrate(pool)
        graph = build_agent(None, env, checkpointer=PostgresCheckpointer(pool), store=None)
        return await measure(graph)


def _starlette_app(dsn: str | None) -> Any:
    from psycopg_pool import AsyncConnectionPool
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    # The size of a Thread resource, so serialisation costs about the same.
    body = {
        "thread_id": str(uuid.uuid4()),
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "metadata": {"bench": "crud", "n": 1},
        "status": "idle",
        "config": {},
        "values": None,
        "interrupts": {},
    }
    pool: AsyncConnectionPool[Any] | None = None

    async def plain(request: Request) -> JSONResponse:
        return JSONResponse(body)

    async def row(request: Request) -> JSONResponse:
        assert pool is not None
        async with pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, data FROM floor_rows WHERE id = %s", (request.path_params["id"],)
            )
            found = await cur.fetchone()
        if found is None:
            return JSONResponse({"detail": "Not found"}, status_code=404)
        return JSONResponse({"id": found[0], **found[1]})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        if dsn is None:
            yield
            return
        pool = AsyncConnectionPool(dsn, min_size=2, max_size=10, open=False)
        await pool.open()
        async with pool.connection() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS floor_rows (id text PRIMARY KEY, data jsonb NOT NULL)"
            )
            await conn.execute(
                "INSERT INTO floor_rows SELECT 'row-' || i, %s::jsonb"
                " FROM generate_series(0, 999) AS i ON CONFLICT DO NOTHING",
                (json.dumps(body),),
            )
        yield
        await pool.close()

    routes = [Route("/json", plain), Route("/row/{id}", row)]
    return Starlette(routes=routes, lifespan=lifespan)


def _serve_starlette(port: int, dsn: str | None) -> None:
    import uvicorn

    uvicorn.run(
        _starlette_app(dsn),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
    )


async def psycopg_round_trip(dsn: str, count: int) -> dict[str, float]:
    """Latency of a single-row insert then select by key, one connection, one at a time."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS floor_trip (id text PRIMARY KEY, data jsonb NOT NULL)"
        )
        samples = []
        for i in range(count + 20):
            key = f"trip-{i}-{uuid.uuid4().hex[:6]}"
            start = time.perf_counter()
            await conn.execute(
                "INSERT INTO floor_trip (id, data) VALUES (%s, %s)", (key, '{"n": 1}')
            )
            cur = await conn.execute("SELECT data FROM floor_trip WHERE id = %s", (key,))
            await cur.fetchone()
            if i >= 20:
                samples.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="floor", required=True)
    lg = sub.add_parser("langgraph", help="print the in-process LangGraph floor as JSON")
    lg.add_argument("--openai-url", required=True)
    lg.add_argument("--runs", type=int, default=200)
    lg.add_argument("--dsn")
    lg.add_argument("--turns", type=int, default=100)
    st = sub.add_parser("starlette", help="serve the bare uvicorn+Starlette app")
    st.add_argument("--port", type=int, required=True)
    st.add_argument("--dsn")
    args = parser.parse_args()
    if args.floor == "langgraph":
        # The server runs on uvloop; so does its floor.
        import uvloop

        result = uvloop.run(_langgraph_floor(args.openai_url, args.runs, args.dsn, args.turns))
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        _serve_starlette(args.port, args.dsn)


if __name__ == "__main__":
    main()
