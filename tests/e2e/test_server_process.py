"""The `agent-runtime` process as an operator meets it: start-up validation, signals and
graceful shutdown, `/info` configuration flags, and the N_JOBS_PER_WORKER bound."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client

from tests.e2e.conftest import runtime_env
from tests.e2e.helpers import HUMAN, slow_reply, wait_until_streaming
from tests.fakes.providers import FakeProvider
from tests.support.server import SCRIPT, ServerProcess, free_port


@contextmanager
def spawned(env: dict[str, str]) -> Iterator[ServerProcess]:
    """A server of its own for one test; killed if the test left it running."""
    proc = ServerProcess(env=env).start()
    try:
        yield proc
    finally:
        proc.kill()


async def exit_code(proc: ServerProcess, within: float) -> int:
    assert proc.proc is not None
    return await asyncio.to_thread(proc.proc.wait, within)


def log_events(proc: ServerProcess) -> list[str]:
    """The server log's messages, one per JSON line, for failure messages."""
    return [json.loads(line)["event"] for line in proc.log().splitlines() if line.startswith("{")]


def sse_events(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a complete SSE body."""
    events = []
    for frame in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], json.loads(fields.get("data", "null"))))
    return events


# --- start-up validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("N_JOBS_PER_WORKER", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
        ("SHUTDOWN_TIMEOUT", "-1"),
        ("DATABASE_POOL_TIMEOUT", "0"),
        ("MODEL_MAX_RETRIES", "many"),
        ("AGENT_RUNTIME_GRAPHS", "[1]"),
        ("AGENT_RUNTIME_GRAPHS", "not json"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(name: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"HOST": "127.0.0.1", "PORT": str(free_port()), "LOG_FORMAT": "json"})
    env[name] = value

    started = time.monotonic()
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=20)
    elapsed = time.monotonic() - started

    output = done.stderr + done.stdout
    assert done.returncode != 0, output
    assert elapsed < 15
    assert name in output, output
    assert "Traceback" not in output, output
    assert "Uvicorn running" not in output


def test_a_graph_that_cannot_load_stops_start_up_naming_it() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "AGENT_RUNTIME_GRAPHS": json.dumps({"broken": "no_such_module_xyz:graph"}),
        }
    )
    done = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "'broken'" in done.stderr
    assert "no_such_module_xyz" in done.stderr
    assert "Traceback" not in done.stderr


# --- logs --------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "logged"), [("INFO", {404}), ("DEBUG", {200, 404})])
async def test_access_records_follow_the_log_level(level: str, logged: set[int]) -> None:
    with spawned({"LOG_LEVEL": level, "LOG_FORMAT": "json"}) as proc:
        async with httpx.AsyncClient(base_url=proc.url) as http:
            assert (await http.get("/ok")).status_code == 200
            assert (await http.get("/threads/no-such-thread")).status_code == 404
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        assert await exit_code(proc, within=10) == 0, proc.log()
    records = [json.loads(line) for line in proc.log().splitlines() if line.startswith("{")]
    access = {r["status"]: r for r in records if r["event"] == "request"}
    assert set(access) == logged
    assert access[404]["path"] == "/threads/no-such-thread"
    assert access[404]["level"] == "info"


# --- signals and graceful shutdown ---------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_an_idle_server_exits_0_on_a_signal(sig: int) -> None:
    with spawned({}) as proc:
        assert proc.proc is not None
        proc.proc.send_signal(sig)
        assert await exit_code(proc, within=10) == 0, proc.log()
    assert "server stopped" in proc.log()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stream_in_flight_finishes_before_the_process_exits(
    provider: FakeProvider, sig: int
) -> None:
    """The signal stops new connections; the open stream runs to `end`; then exit 0."""
    shutdown_timeout = 15
    env = {**runtime_env(provider), "SHUTDOWN_TIMEOUT": str(shutdown_timeout)}
    provider.script(slow_reply("word " * 25, per_chunk=0.1))
    with spawned(env) as proc:
        assert proc.proc is not None
        client = get_client(url=proc.url)
        thread = await client.threads.create()
        body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": ["messages-tuple"]}
        async with httpx.AsyncClient(base_url=proc.url, timeout=30) as http:
            first_token = asyncio.Event()

            async def read_stream() -> str:
                lines = []
                url = f"/threads/{thread['thread_id']}/runs/stream"
                async with http.stream("POST", url, json=body) as response:
                    assert response.status_code == 200
                    async for line in response.aiter_lines():
                        lines.append(line)
                        if line == "event: messages":
                            first_token.set()
                return "\n".join(lines) + "\n\n"

            reading = asyncio.create_task(read_stream())
            await asyncio.wait_for(first_token.wait(), 10)
            signalled = time.monotonic()
            proc.proc.send_signal(sig)

            refused = await _until_refused(proc.url, within=3)
            assert refused, "new connections were still accepted after the signal"
            assert not reading.done(), "the stream ended before new connections were refused"

            text = await asyncio.wait_for(reading, shutdown_timeout)

        events = sse_events(text)
        names = [name for name, _ in events]
        assert names[0] == "metadata"
        assert names[-1] == "end"
        assert "error" not in names
        tokens = "".join(
            data[0]["content"] for name, data in events if name == "messages" and data[0]["content"]
        )
        assert tokens == "word " * 25
        assert provider.streams[-1].completed

        assert await exit_code(proc, within=shutdown_timeout) == 0, proc.log()
        assert time.monotonic() - signalled < shutdown_timeout


async def _until_refused(url: str, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with httpx.AsyncClient(timeout=0.5) as fresh:
                await fresh.get(f"{url}/ok")
        except httpx.TransportError:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_background_run_in_flight_finishes_before_the_process_exits(
    provider: FakeProvider,
) -> None:
    env = {**runtime_env(provider), "SHUTDOWN_TIMEOUT": "15"}
    provider.script(slow_reply("word " * 15, per_chunk=0.1))
    with spawned(env) as proc:
        assert proc.proc is not None
        client = get_client(url=proc.url)
        thread = await client.threads.create()
        await client.runs.create(thread["thread_id"], "agent", input=HUMAN)
        await wait_until_streaming(provider)

        proc.proc.send_signal(signal.SIGTERM)

        assert await exit_code(proc, within=15) == 0, proc.log()
    # The model call was allowed to finish, not cut off by the shutdown.
    stream = provider.streams[-1]
    assert stream.completed and not stream.client_disconnected
    assert stream.chunks_sent == 15
    finished = [json.loads(line) for line in proc.log().splitlines() if "run finished" in line]
    assert [entry["status"] for entry in finished] == ["success"]


async def test_shutdown_never_takes_longer_than_shutdown_timeout(provider: FakeProvider) -> None:
    """A stream that outlives SHUTDOWN_TIMEOUT is cut off, and the process is gone soon after."""
    shutdown_timeout = 3
    env = {**runtime_env(provider), "SHUTDOWN_TIMEOUT": str(shutdown_timeout)}
    provider.script(slow_reply("word " * 200, per_chunk=0.1))  # about 20 s
    with spawned(env) as proc:
        assert proc.proc is not None
        client = get_client(url=proc.url)
        thread = await client.threads.create()
        body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": ["messages-tuple"]}
        first_token = asyncio.Event()

        async def read_stream() -> None:
            url = f"{proc.url}/threads/{thread['thread_id']}/runs/stream"
            async with (
                httpx.AsyncClient(timeout=30) as http,
                http.stream("POST", url, json=body) as response,
            ):
                async for line in response.aiter_lines():
                    if line == "event: messages":
                        first_token.set()

        reading = asyncio.create_task(read_stream())
        await asyncio.wait_for(first_token.wait(), 10)
        signalled = time.monotonic()
        proc.proc.send_signal(signal.SIGTERM)
        code = await exit_code(proc, within=30)
        elapsed = time.monotonic() - signalled
        # The server cut the stream off when it stopped.
        (outcome,) = await asyncio.gather(reading, return_exceptions=True)
        assert isinstance(outcome, httpx.TransportError)

    assert code == 0, proc.log()
    # Two seconds of slack for the interpreter's own teardown.
    assert elapsed < shutdown_timeout + 2, f"exit took {elapsed:.1f}s: {log_events(proc)}"
    # The model call was stopped, not left to stream for nobody.
    assert provider.streams[-1].client_disconnected
    assert not provider.streams[-1].completed


# --- /info -------------------------------------------------------------------------------


async def test_info_reports_llm_configured_with_a_provider_key(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/info")
    assert response.status_code == 200
    assert response.json()["config"] == {
        "supabase_configured": False,
        "database_configured": False,
        "llm_configured": True,
    }


@pytest.mark.parametrize(
    ("keys", "configured"),
    [
        ({}, False),
        ({"OPENAI_API_KEY": "   "}, False),
        ({"GOOGLE_API_KEY": "g-fake"}, True),
        ({"CUSTOM_API_KEY": "c-fake"}, True),
    ],
)
async def test_info_llm_configured_follows_the_provider_keys(
    keys: dict[str, str], configured: bool
) -> None:
    with spawned(keys) as proc:
        async with httpx.AsyncClient(base_url=proc.url) as http:
            response = await http.get("/info")
        assert response.status_code == 200
        assert response.json()["config"]["llm_configured"] is configured
        assert proc.stop() == 0, proc.log()


# --- N_JOBS_PER_WORKER -------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_job_server(provider: FakeProvider) -> Iterator[ServerProcess]:
    proc = ServerProcess(env={**runtime_env(provider), "N_JOBS_PER_WORKER": "1"}).start()
    try:
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.log()


async def test_n_jobs_per_worker_bounds_runs_executing_at_once(
    one_job_server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(
        slow_reply("word " * 15, per_chunk=0.1), slow_reply("word " * 3, per_chunk=0.05)
    )
    client = get_client(url=one_job_server.url)
    one, two = await client.threads.create(), await client.threads.create()
    first = await client.runs.create(
        one["thread_id"], "agent", input={"messages": [{"role": "user", "content": "first"}]}
    )
    await wait_until_streaming(provider)
    second = await client.runs.create(
        two["thread_id"], "agent", input={"messages": [{"role": "user", "content": "second"}]}
    )

    # The only job is busy with the first run: the second waits, its model never called.
    await asyncio.sleep(0.5)
    assert (await client.runs.get(one["thread_id"], first["run_id"]))["status"] == "running"
    assert (await client.runs.get(two["thread_id"], second["run_id"]))["status"] == "pending"
    assert len(provider.requests) == 1

    first_values = await client.runs.join(one["thread_id"], first["run_id"])
    second_values = await client.runs.join(two["thread_id"], second["run_id"])

    assert first_values["messages"][-1]["content"] == "word " * 15
    assert second_values["messages"][-1]["content"] == "word " * 3
    assert (await client.runs.get(one["thread_id"], first["run_id"]))["status"] == "success"
    assert (await client.runs.get(two["thread_id"], second["run_id"]))["status"] == "success"
    assert len(provider.requests) == 2


async def test_a_delayed_run_does_not_hold_a_job_while_it_waits(
    one_job_server: ServerProcess, provider: FakeProvider
) -> None:
    """`after_seconds` delays a run's start; until then it is not executing, so the only job
    is free for a run on another thread."""
    client = get_client(url=one_job_server.url)
    one, two = await client.threads.create(), await client.threads.create()
    delayed = await client.runs.create(
        one["thread_id"],
        "agent",
        input={"messages": [{"role": "user", "content": "later"}]},
        after_seconds=5,
    )
    await asyncio.sleep(0.2)
    prompt = await client.runs.create(
        two["thread_id"], "agent", input={"messages": [{"role": "user", "content": "now"}]}
    )

    values = await asyncio.wait_for(client.runs.join(two["thread_id"], prompt["run_id"]), 30)

    assert values["messages"][-1]["content"] == "Echo: now"
    waiting = (await client.runs.get(one["thread_id"], delayed["run_id"]))["status"]
    assert waiting == "pending", "the run on thread two only ran after the delayed one"
    await client.runs.join(one["thread_id"], delayed["run_id"])
    assert (await client.runs.get(one["thread_id"], delayed["run_id"]))["status"] == "success"
