"""Benchmark the runtime as users run it, next to the floors it is built on.

    uv run python bench/run.py            # full run, memory and Postgres modes
    uv run python bench/run.py --quick    # a fast sanity run
    uv run python bench/run.py --smoke    # every phase with the least work (the tests run it)

Prints a markdown table, writes JSON to bench/results/ and a chart to bench/results/flow.png.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    # Run as a script: make the repository root importable, for `bench` and `tests.fakes`.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from tests.support.server import free_port

from bench import floors, report
from bench.load import client, spread, timed
from bench.procs import (
    ROOT,
    SERVER_CORE,
    Child,
    create_database,
    drop_database,
    pin_self,
    pinned,
    postgres_available,
    proc_stats,
    start_fake_model,
    start_server,
)
from bench.scenarios import SIZES, Sizes, Target, aggregate

RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_sha": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": mem_kb / 1024 / 1024,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


async def _measure_server(
    mode: str, target: Target, sizes: Sizes, floor_run: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=target.url) as http:
        health = (await http.get("/health")).json()
        paths = (await http.get("/openapi.json")).json()["paths"]
    if health.get("persistence") != mode:
        return {"skipped": f"the server reports persistence {health.get('persistence')!r}"}
    out: dict[str, Any] = {"has_store": "/store/items" in paths, "seconds": {}}
    out["idle"] = vars(proc_stats(target.pid))
    phases: list[tuple[str, str, Callable[[], Awaitable[Any]]]] = [
        ("warm", "warm-up", target.warm_up),
        # Straight after the warm-up, so what the later phases store (CRUD rows) does not
        # count against the runs' RSS.
        ("leak", f"{sizes.leak_runs} streamed runs", lambda: target.leak(sizes.leak_runs)),
        ("flows", f"agent flow at {list(sizes.flow_counts)}", lambda: target.flows(sizes)),
        ("crud", "CRUD", lambda: target.crud(sizes, out["has_store"])),
        ("turns", f"{sizes.turns} turns", lambda: target.turns(sizes)),
        ("history", "state and history", lambda: target.history(sizes)),
        (
            "search",
            f"thread search, {sizes.search_threads} threads",
            lambda: target.thread_search(sizes),
        ),
    ]
    if out["has_store"]:
        phases.append(
            (
                "store_search",
                f"store search, {sizes.store_items} items",
                lambda: target.store_search(sizes),
            )
        )
    out["floor_reps"] = []
    for key, label, phase in phases:
        log(f"{mode}: {label}")
        started = time.monotonic()
        result = await phase()
        out["seconds"][key] = round(time.monotonic() - started, 1)
        if key == "warm":
            await asyncio.sleep(1)
            out["warm"] = vars(proc_stats(target.pid))
        else:
            out[key] = result
        if key in FLOOR_AFTER:
            # The in-process floor, on the server's core while the server idles: its
            # repetitions interleave with the server's, so both see the machine alike.
            log(f"{mode}: in-process floor")
            out["floor_reps"].append(await asyncio.to_thread(floor_run))
    out["errors"] = target.errors
    return out


# The phases after which the in-process floor is measured again (it is also measured last).
FLOOR_AFTER = ("warm", "crud")


def _merged_floor(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """The floor's repetitions as one: each figure's median, with its spread alongside."""
    failed = [rep for rep in reps if "error" in rep]
    if failed:
        return failed[0]
    merged: dict[str, Any] = dict(reps[-1])  # the last one also measured the turns
    for key in ("cpu_ms_per_run", "p50_ms", "p99_ms", "first_token_p50_ms"):
        merged[f"{key}_spread"] = spread([rep[key] for rep in reps])
        merged[key] = merged[f"{key}_spread"]["median"]
    merged["runs"] = sum(rep["runs"] for rep in reps)
    return merged


async def _starlette_floor(dsn: str | None, sizes: Sizes) -> dict[str, Any]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.floors", "starlette", "--port", str(port)]
    if dsn:
        argv += ["--dsn", dsn]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = Child("starlette-floor", pinned(argv, SERVER_CORE), env, port).wait_ready("/json")
    target = Target(child.url, child.pid)
    out: dict[str, Any] = {}
    try:
        async with client(child.url, 10) as http:
            paths = {"starlette_json": "/json"} | ({"starlette_row": "/row/"} if dsn else {})
            for name, path in paths.items():
                url = f"{path}row-1" if path.endswith("/") else path

                def op(i: int, path: str = path) -> Any:
                    return timed(http.get(f"{path}row-{i % 1000}" if path.endswith("/") else path))

                for label, concurrency in ((name, 10), (f"{name} c=1", 1)):
                    points = [
                        await target.measured(concurrency, sizes.crud_count, op)
                        for _ in range(sizes.reps)
                    ]
                    out[label] = aggregate(points)
                wrk = [
                    await target.measured_wrk(url, 10, sizes.wrk_seconds) for _ in range(sizes.reps)
                ]
                if all(w is not None for w in wrk):
                    out[f"{name} (wrk)"] = aggregate([w for w in wrk if w is not None])
    finally:
        child.stop()
    return out


def _langgraph_floor(
    fake_url: str, dsn: str | None, sizes: Sizes, turns: bool = True
) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.floors", "langgraph", "--openai-url", fake_url]
    argv += ["--runs", str(sizes.floor_runs), "--turns", str(sizes.turns if turns else 0)]
    argv += ["--dsn", dsn] if dsn else []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        pinned(argv, SERVER_CORE), env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr[-2000:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_mode(mode: str, fake_url: str, sizes: Sizes) -> dict[str, Any]:
    databases: list[str] = []
    server: Child | None = None
    try:
        dsn = floor_dsn = None
        if mode == "postgres":
            if not postgres_available():
                return {"skipped": "no PostgreSQL answers at 127.0.0.1:5432"}
            name, dsn = create_database()
            floor_name, floor_dsn = create_database()
            databases += [name, floor_name]
        log(f"{mode}: starting the server")
        server = start_server(fake_url, dsn)
        target = Target(server.url, server.pid, dsn)
        out = asyncio.run(
            _measure_server(
                mode, target, sizes, lambda: _langgraph_floor(fake_url, floor_dsn, sizes, False)
            )
        )
        out["exit_code"] = server.stop()
        server = None
        if "skipped" in out:
            return out
        log(f"{mode}: floors")
        started = time.monotonic()
        reps = [*out.pop("floor_reps"), _langgraph_floor(fake_url, floor_dsn, sizes)]
        out["floors"] = {"langgraph": _merged_floor(reps)}
        out["floors"] |= asyncio.run(_starlette_floor(floor_dsn, sizes))
        if floor_dsn:
            out["floors"]["psycopg"] = asyncio.run(floors.psycopg_round_trip(floor_dsn, 300))
        out["seconds"]["floors"] = round(time.monotonic() - started, 1)
        return out
    finally:
        if server is not None:
            server.stop()
        for name in databases:
            drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small counts, one repetition")
    size.add_argument(
        "--smoke", action="store_true", help="the least work that runs every phase (for tests)"
    )
    parser.add_argument("--modes", default="memory,postgres", help="comma-separated modes")
    parser.add_argument("--runs", type=int, help="streamed runs for the leak check (10000)")
    parser.add_argument("--search-threads", type=int, help="threads for the search (50000)")
    parser.add_argument(
        "--store-items", help="store sizes searched, comma-separated (1000,10000,100000)"
    )
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON and chart go")
    args = parser.parse_args()

    pin_self()
    kind = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = SIZES[kind]
    if args.runs:
        sizes = dataclasses.replace(sizes, leak_runs=args.runs)
    if args.search_threads:
        sizes = dataclasses.replace(sizes, search_threads=args.search_threads)
    if args.store_items:
        items = tuple(int(n) for n in args.store_items.split(","))
        sizes = dataclasses.replace(sizes, store_items=items)
    started = time.monotonic()
    meta = {"size": kind, "quick": kind != "full", "reps": sizes.reps}
    results: dict[str, Any] = {"meta": machine() | meta}
    results["sizes"] = vars(sizes) | {
        "flow_counts": {str(k): v for k, v in sizes.flow_counts.items()}
    }
    results["modes"] = {}
    fake = start_fake_model()
    try:
        for mode in args.modes.split(","):
            results["modes"][mode] = measure_mode(mode, fake.url, sizes)
    finally:
        fake.stop()
    results["meta"]["seconds"] = time.monotonic() - started

    path = report.write_json(results, args.out)
    log(f"results: {path}")
    if not args.no_chart and (png := report.chart(results, args.out / "flow.png")):
        log(f"chart: {png}")
    sys.stdout.write(report.markdown(results))


if __name__ == "__main__":
    main()
