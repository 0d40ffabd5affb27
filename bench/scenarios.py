"""The measurements taken against one running server."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from agent_runtime.schemas.common import utcnow
from agent_runtime.schemas.threads import Thread
from agent_runtime.storage.base import ANONYMOUS_OWNER
from agent_runtime.storage.namespace_literal import encode_namespace, prefix_patterns
from agent_runtime.storage.postgres.common import DESC, METADATA_CONTAINS
from agent_runtime.storage.postgres.store import OWNED_BY as STORE_OWNED_BY
from agent_runtime.storage.postgres.store import SEARCH as STORE_SEARCH
from agent_runtime.storage.postgres.store import UNDER_PREFIX as STORE_UNDER_PREFIX
from agent_runtime.storage.postgres.threads import COUNT as THREAD_COUNT
from agent_runtime.storage.postgres.threads import INSERT as THREAD_INSERT
from agent_runtime.storage.postgres.threads import SELECT_PAGE as THREAD_PAGE
from agent_runtime.storage.postgres.threads import insert_params
from bench.load import (
    HUMAN,
    TURN_MODES,
    Batch,
    RawClient,
    Sample,
    agent_flow,
    check,
    client,
    drive,
    latency_summary,
    percentile,
    raw_client,
    raw_timed,
    spread,
    stateless_run,
    stream_run,
    timed,
    wrk_get,
)
from bench.procs import cpu_used, proc_stats

Op = Callable[[int], Awaitable[Sample]]
# The namespace the store-search measurement grows.
GROW = ["bench", "grow"]


@dataclass
class Sizes:
    """How much work each measurement does."""

    reps: int
    flow_counts: dict[int, int]
    crud_count: int
    leak_runs: int
    turns: int
    turn_threads: int
    history_sizes: tuple[int, ...]
    reads: int
    first_reads: int
    search_threads: int
    store_items: tuple[int, ...]
    floor_runs: int
    wrk_seconds: float


# How much work each size of run does. `--runs`, `--search-threads` and `--store-items`
# override their fields.
SIZES = {
    "full": Sizes(
        reps=3,
        flow_counts={1: 30, 10: 120, 50: 200},
        crud_count=200,
        leak_runs=10_000,
        turns=100,
        turn_threads=3,
        history_sizes=(10, 100, 1000),
        reads=40,
        first_reads=8,
        search_threads=50_000,
        store_items=(1_000, 10_000, 100_000),
        floor_runs=200,
        wrk_seconds=1,
    ),
    "quick": Sizes(
        reps=1,
        flow_counts={1: 10, 10: 30, 50: 100},
        crud_count=60,
        leak_runs=300,
        turns=20,
        turn_threads=2,
        history_sizes=(10, 100, 1000),
        reads=10,
        first_reads=3,
        search_threads=1_000,
        store_items=(200, 1_000),
        floor_runs=40,
        wrk_seconds=1,
    ),
    "smoke": Sizes(
        reps=1,
        flow_counts={1: 3, 10: 10, 50: 50},
        crud_count=20,
        leak_runs=30,
        turns=3,
        turn_threads=1,
        history_sizes=(10, 100),
        reads=3,
        first_reads=1,
        search_threads=200,
        store_items=(50, 100),
        floor_runs=5,
        wrk_seconds=1,
    ),
}


@dataclass
class Reads:
    """Milliseconds per read: as the client saw it, and of server CPU."""

    latency: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def __iadd__(self, other: Reads) -> Reads:
        self.latency += other.latency
        self.cpu += other.cpu
        return self

    def summary(self, name: str) -> dict[str, float]:
        return {
            f"{name}_p50_ms": percentile(self.latency, 50),
            f"{name}_cpu_ms": statistics.median(self.cpu),
        }


def aggregate(points: list[dict[str, float]]) -> dict[str, Any]:
    """Repetitions of one point → each figure's median with min and max; errors are summed."""
    keys = [k for k in points[0] if k not in {"ops", "errors"}]
    out: dict[str, Any] = {k: spread([p[k] for p in points if k in p]) for k in keys}
    out["ops"] = sum(int(p["ops"]) for p in points)
    out["errors"] = sum(int(p["errors"]) for p in points)
    return out


class Target:
    """A running server under measurement: its URL and process id."""

    def __init__(self, url: str, pid: int, dsn: str | None = None) -> None:
        self.url = url
        self.pid = pid
        self.dsn = dsn
        self.errors: list[str] = []

    async def measured(self, concurrency: int, count: int, op: Op) -> dict[str, float]:
        """Drive `op` and add the server's CPU per operation to the latency summary."""
        before = proc_stats(self.pid)
        batch = await drive(concurrency, count, op)
        cpu = cpu_used(before, proc_stats(self.pid))
        self.errors.extend(batch.errors[:5])
        summary = latency_summary(batch)
        summary["cpu_ms_per_op"] = cpu * 1000 / max(len(batch.samples), 1)
        return summary

    async def warm_up(self) -> None:
        # At the streamed runs' concurrency, so the pools they use (model client, database)
        # are as warm as the figure they are compared with.
        async with raw_client(self.url, 10) as http:
            await drive(10, 50, lambda _: agent_flow(http))
            await drive(10, 100, lambda _: stateless_run(http))

    async def flows(self, sizes: Sizes) -> dict[str, Any]:
        """The agent flow at each concurrency, repetitions interleaved; memory around c=50."""
        points: dict[int, list[dict[str, float]]] = {c: [] for c in sizes.flow_counts}
        rss_before_c50 = proc_stats(self.pid).rss_mb
        async with raw_client(self.url, max(sizes.flow_counts)) as http:
            for _ in range(sizes.reps):
                for concurrency, count in sizes.flow_counts.items():
                    point = await self.measured(concurrency, count, lambda _: agent_flow(http))
                    points[concurrency].append(point)
                    await self._delete_flow_threads(http)
        peak = proc_stats(self.pid).hwm_mb
        await asyncio.sleep(2)
        after = proc_stats(self.pid)
        return {
            "points": {str(c): aggregate(p) for c, p in points.items()},
            "rss_before_mb": rss_before_c50,
            "rss_peak_mb": peak,
            "rss_after_mb": after.rss_mb,
            "fds_after": after.fds,
        }

    async def _delete_flow_threads(self, http: RawClient) -> None:
        # Threads the flows made keep their checkpoints; deleting them lets memory measure the
        # runs themselves rather than the data they leave behind.
        search = {"metadata": {"bench": "flow"}, "limit": 1000, "select": ["thread_id"]}
        while found := await http.send("POST", "/threads/search", search):
            ids = [t["thread_id"] for t in found]
            await drive(
                10, len(ids), lambda i, ids=ids: raw_timed(http, "DELETE", f"/threads/{ids[i]}")
            )

    async def leak(self, runs: int) -> dict[str, Any]:
        """Stateless streamed runs back to back: RSS and descriptors before and after."""
        await asyncio.sleep(1)
        before = proc_stats(self.pid)
        async with raw_client(self.url, 10) as http:
            summary = await self.measured(10, runs, lambda _: stateless_run(http))
        await asyncio.sleep(2)
        after = proc_stats(self.pid)
        return {
            "runs": runs,
            "summary": summary,
            "rss_before_mb": before.rss_mb,
            "fds_before": before.fds,
            "pg_connections_before": before.pg_connections,
            "rss_after_mb": after.rss_mb,
            "fds_after": after.fds,
            "pg_connections_after": after.pg_connections,
        }

    async def crud(self, sizes: Sizes, store: bool) -> dict[str, Any]:
        """Each operation at c=10; creates and gets also at c=1; gets also through wrk."""
        async with client(self.url, 10) as http:
            ops, gets = await _crud_ops(http, store)
            plan = [(name, 10, op) for name, op in ops.items()]
            plan += [(f"{name} c=1", 1, ops[name]) for name in ("threads.create", "threads.get")]
            points: dict[str, list[dict[str, float]]] = {}
            for _ in range(sizes.reps):
                for name, concurrency, op in plan:
                    point = await self.measured(concurrency, sizes.crud_count, op)
                    points.setdefault(name, []).append(point)
                for name, path in gets.items():
                    wrk = await self.measured_wrk(path, 10, sizes.wrk_seconds)
                    if wrk is not None:
                        points.setdefault(f"{name} (wrk)", []).append(wrk)
        return {name: aggregate(p) for name, p in points.items()}

    async def measured_wrk(
        self, path: str, concurrency: int, seconds: float
    ) -> dict[str, float] | None:
        before = proc_stats(self.pid)
        result = await wrk_get(self.url + path, concurrency, seconds)
        if result is not None:
            cpu = cpu_used(before, proc_stats(self.pid))
            result["cpu_ms_per_op"] = cpu * 1000 / max(result["ops"], 1)
        return result

    async def turns(self, sizes: Sizes) -> dict[str, Any]:
        """Run cost on a thread's first turn against its last (`sizes.turns`-th) turn.

        The runs stream `messages-tuple` only, as the target reads: `values` events carry the
        whole state by definition, so their cost follows the history however well it is done.
        """
        async with raw_client(self.url, 2) as http:
            threads = [
                (await http.send("POST", "/threads", {"metadata": {"bench": "turns"}}))["thread_id"]
                for _ in range(sizes.turn_threads)
            ]
            measured: dict[str, dict[str, float]] = {}
            for turn in range(1, sizes.turns + 1):
                batch = Batch()
                cpu: list[float] = []
                start = time.perf_counter()
                for thread_id in threads:
                    body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": TURN_MODES}
                    path = f"/threads/{thread_id}/runs/stream"
                    before = proc_stats(self.pid)
                    batch.samples.append(await stream_run(http, path, body))
                    cpu.append(cpu_used(before, proc_stats(self.pid)))
                batch.wall = time.perf_counter() - start
                if turn in (1, sizes.turns):
                    summary = latency_summary(batch)
                    # The median run: one that met a garbage collection pass does not count.
                    summary["cpu_ms_per_op"] = statistics.median(cpu) * 1000
                    measured[str(turn)] = summary
        return measured

    async def history(self, sizes: Sizes) -> dict[str, Any]:
        """State and history (limit 10) latency, and server CPU per read, on threads holding n
        messages: read again and again, and read once, the first time after the thread's
        last write (as a UI does after each run). The raw client reads them: httpx and the
        standard library's JSON parser take longer over a large reply than the server does,
        which would time the client."""
        out: dict[str, Any] = {}
        async with raw_client(self.url, 1) as raw:
            for n in sizes.history_sizes:
                thread_id = await _thread_with_messages(raw, n)
                state = await self._reads(raw, sizes.reads, "GET", f"/threads/{thread_id}/state")
                history_path = f"/threads/{thread_id}/history"
                history = await self._reads(raw, sizes.reads, "POST", history_path, {"limit": 10})
                first_state, first_history = Reads(), Reads()
                for _ in range(sizes.first_reads):
                    thread_id = await _thread_with_messages(raw, n)
                    first_state += await self._reads(raw, 1, "GET", f"/threads/{thread_id}/state")
                    thread_id = await _thread_with_messages(raw, n)
                    path = f"/threads/{thread_id}/history"
                    first_history += await self._reads(raw, 1, "POST", path, {"limit": 10})
                out[str(n)] = (
                    state.summary("state")
                    | history.summary("history")
                    | first_state.summary("first_state")
                    | first_history.summary("first_history")
                )
        return out

    async def _reads(
        self, raw: RawClient, count: int, method: str, path: str, body: Any = None
    ) -> Reads:
        reads = Reads()
        for _ in range(count):
            before = proc_stats(self.pid)
            reads.latency.append((await raw_timed(raw, method, path, body)).total * 1000)
            reads.cpu.append(cpu_used(before, proc_stats(self.pid)) * 1000)
        return reads

    async def thread_search(self, sizes: Sizes) -> dict[str, Any]:
        """Thread search by metadata with few threads, then with `sizes.search_threads`."""
        async with client(self.url, 50) as http:

            async def search(i: int) -> Sample:
                body = {"metadata": {"group": _group(i)["group"]}, "limit": 10}
                return await timed(http.post("/threads/search", json=body))

            small = await drive(1, sizes.reads, search)

            if self.dsn:
                fill = await _insert_threads(self.dsn, sizes.search_threads)
            else:
                fill = await fill_with(
                    self.url,
                    sizes.search_threads,
                    lambda i: ("POST", "/threads", {"metadata": _group(i)}),
                )
            large = await drive(1, sizes.reads, search)
            self.errors.extend(fill.errors[:5])
            out = {
                "threads": sizes.search_threads,
                "create_rate": fill.rate,
                "create_errors": len(fill.errors),
                "small_p50_ms": latency_summary(small)["p50_ms"],
                "large_p50_ms": latency_summary(large)["p50_ms"],
                "large_p99_ms": latency_summary(large)["p99_ms"],
            }
            if self.dsn:
                # Right after a bulk fill the planner has no statistics on the new rows;
                # autovacuum gathers them within a minute, ANALYZE does it now.
                async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as db:
                    await db.execute("ANALYZE langgraph_server.threads")
                analyzed = await drive(1, sizes.reads, search)
                out["analyzed_p50_ms"] = latency_summary(analyzed)["p50_ms"]
                # The server's own page and count statements, timed by Postgres itself.
                where = METADATA_CONTAINS
                page = THREAD_PAGE.format(where=where, column=sql.SQL("created_at"), order=DESC)
                out["database_p50_ms"] = await _database_ms(
                    self.dsn,
                    [
                        (page, lambda i: [Jsonb({"group": _group(i)["group"]}), 10, 0]),
                        (
                            THREAD_COUNT.format(where=where),
                            lambda i: [Jsonb({"group": _group(i)["group"]})],
                        ),
                    ],
                    sizes.reads,
                )
        return out

    async def store_search(self, sizes: Sizes) -> dict[str, Any]:
        """Store search (page of 10) as the namespace grows to each of `sizes.store_items`."""
        out: dict[str, Any] = {}
        stored = 0
        async with client(self.url, 50) as http:

            async def search(_: int) -> Sample:
                body = {"namespace_prefix": GROW, "limit": 10}
                return await timed(http.post("/store/items/search", json=body))

            for total in sizes.store_items:
                if self.dsn:
                    fill = await _insert_items(self.dsn, stored, total)
                else:
                    fill = await fill_with(
                        self.url,
                        total - stored,
                        lambda i, base=stored: (
                            "PUT",
                            "/store/items",
                            {"namespace": GROW, "key": f"k{base + i}", "value": {"n": base + i}},
                        ),
                    )
                stored = total
                self.errors.extend(fill.errors[:5])
                found = await drive(1, sizes.reads, search)
                out[str(total)] = {
                    "put_rate": fill.rate,
                    "search_p50_ms": latency_summary(found)["p50_ms"],
                    "errors": len(fill.errors) + len(found.errors),
                }
                if self.dsn:
                    out[str(total)] |= await self._store_search_in_database(sizes, search)
        return out

    async def _store_search_in_database(
        self, sizes: Sizes, search: Callable[[int], Awaitable[Sample]]
    ) -> dict[str, float]:
        """After ANALYZE (see `thread_search`): over HTTP again, and in the database."""
        assert self.dsn is not None
        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as db:
            await db.execute("ANALYZE langgraph_server.store_items")
        analyzed = await drive(1, sizes.reads, search)
        where = sql.SQL(" AND ").join([STORE_OWNED_BY, STORE_UNDER_PREFIX])
        params = [ANONYMOUS_OWNER, *prefix_patterns(tuple(GROW)), 10, 0]
        in_database = await _database_ms(
            self.dsn, [(STORE_SEARCH.format(where=where), lambda _: params)], sizes.reads
        )
        return {
            "analyzed_search_p50_ms": latency_summary(analyzed)["p50_ms"],
            "database_search_p50_ms": in_database,
        }


async def _database_ms(
    dsn: str, statements: list[tuple[sql.Composable, Callable[[int], list[Any]]]], reads: int
) -> float:
    """Median over `reads` of the statements' planning plus execution time, as EXPLAIN
    ANALYZE reports them: the figure without the client, the network or the server."""
    totals = []
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as db:
        for i in range(reads):
            total = 0.0
            for statement, params in statements:
                cur = await db.execute(
                    sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + statement, params(i)
                )
                row = await cur.fetchone()
                assert row is not None
                plan = row[0][0]
                total += plan["Planning Time"] + plan["Execution Time"]
            totals.append(total)
    return statistics.median(totals)


def _group(i: int) -> dict[str, Any]:
    return {"group": f"g{i % 1000}", "n": i}


async def _insert_threads(dsn: str, count: int) -> Batch:
    """Threads written straight into the server's database, in the rows its own INSERT
    writes: over HTTP a 50,000-thread fill would take most of the benchmark's minutes."""
    batch = Batch()
    start = time.perf_counter()
    rows = []
    for i in range(count):
        now = utcnow()
        thread = Thread(
            thread_id=str(uuid.uuid4()),
            metadata=_group(i),
            status="idle",
            created_at=now,
            updated_at=now,
        )
        rows.append(insert_params(thread))
    async with await psycopg.AsyncConnection.connect(dsn) as db, db.cursor() as cur:
        await cur.executemany(THREAD_INSERT, rows)
    batch.wall = time.perf_counter() - start
    batch.samples = [Sample(total=batch.wall / count)] * count
    return batch


# Store items as the server's upsert writes them (namespace in its text-array literal), each
# a microsecond newer than the one before, as a fill over HTTP leaves them.
INSERT_ITEMS = """
INSERT INTO langgraph_server.store_items (namespace, key, value, owner_id, created_at, updated_at)
SELECT %(namespace)s, 'k' || n, jsonb_build_object('n', n), %(owner)s, at, at
FROM generate_series(%(start)s::int, %(stop)s::int - 1) AS n,
     LATERAL (SELECT now() + n * interval '1 microsecond' AS at) AS t
"""


async def _insert_items(dsn: str, start: int, stop: int) -> Batch:
    """Store items `k{start}`… written straight into the server's database: a
    100,000-item fill over HTTP would take minutes."""
    batch = Batch()
    began = time.perf_counter()
    params = {
        "namespace": encode_namespace(tuple(GROW)),
        "owner": ANONYMOUS_OWNER,
        "start": start,
        "stop": stop,
    }
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as db:
        await db.execute(INSERT_ITEMS, params)
    batch.wall = time.perf_counter() - began
    batch.samples = [Sample(total=batch.wall / max(stop - start, 1))] * (stop - start)
    return batch


async def fill_with(
    url: str, count: int, request: Callable[[int], tuple[str, str, dict[str, Any]]]
) -> Batch:
    """Send `count` requests through the raw client, 50 at a time: a fill, timed as a batch."""
    async with raw_client(url, 50) as raw:
        return await drive(50, count, lambda i: raw_timed(raw, *request(i)))


async def _thread_with_messages(http: RawClient, n: int) -> str:
    thread = await http.send("POST", "/threads", {"metadata": {"bench": "history"}})
    thread_id: str = thread["thread_id"]
    body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": ["values"]}
    await stream_run(http, f"/threads/{thread_id}/runs/stream", body)
    # The first run wrote two messages; add the rest in one state update.
    messages = [
        {"type": "human" if i % 2 == 0 else "ai", "content": f"message {i} " + "x" * 80}
        for i in range(n - 2)
    ]
    update = {"values": {"messages": messages}, "as_node": "model"}
    await http.send("POST", f"/threads/{thread_id}/state", update)
    return thread_id


async def _crud_ops(http: httpx.AsyncClient, store: bool) -> tuple[dict[str, Op], dict[str, str]]:
    """Timed operations by name, and the GET paths among them for wrk."""
    threads = [
        check(await http.post("/threads", json={"metadata": {"bench": "crud-seed"}}))["thread_id"]
        for _ in range(50)
    ]
    assistants = [
        check(await http.post("/assistants", json={"graph_id": "agent", "name": f"seed {i}"}))[
            "assistant_id"
        ]
        for i in range(20)
    ]
    ops: dict[str, Op] = {
        "threads.create": lambda i: timed(
            http.post("/threads", json={"metadata": {"bench": "crud", "n": i}})
        ),
        "threads.get": lambda i: timed(http.get(f"/threads/{threads[i % len(threads)]}")),
        "threads.search": lambda i: timed(
            http.post("/threads/search", json={"metadata": {"bench": "crud-seed"}, "limit": 10})
        ),
        "assistants.create": lambda i: timed(
            http.post("/assistants", json={"graph_id": "agent", "name": f"crud {i}"})
        ),
        "assistants.get": lambda i: timed(
            http.get(f"/assistants/{assistants[i % len(assistants)]}")
        ),
        "assistants.search": lambda i: timed(
            http.post("/assistants/search", json={"graph_id": "agent", "limit": 10})
        ),
    }
    if store:
        for i in range(50):
            item = {"namespace": ["bench", "crud"], "key": f"seed{i}", "value": {"n": i}}
            check(await http.put("/store/items", json=item))
        ops |= {
            "store.put": lambda i: timed(
                http.put(
                    "/store/items",
                    json={"namespace": ["bench", "crud"], "key": f"k{i}", "value": {"n": i}},
                )
            ),
            "store.get": lambda i: timed(
                http.get("/store/items", params={"namespace": "bench.crud", "key": f"seed{i % 50}"})
            ),
            "store.search": lambda i: timed(
                http.post("/store/items/search", json={"namespace_prefix": ["bench"], "limit": 10})
            ),
        }
    gets = {
        "threads.get": f"/threads/{threads[0]}",
        "assistants.get": f"/assistants/{assistants[0]}",
    }
    if store:
        gets["store.get"] = "/store/items?namespace=bench.crud&key=seed0"
    return ops, gets
