"""The official JS SDK (`@langchain/langgraph-sdk`) as a second real client.

`tests/js/stream_and_join.mjs` streams a run and re-joins a background run, then prints a JSON
summary of what it saw; these tests run it with `node` and assert on that summary.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.providers import FakeProvider, TextReply
from tests.support.server import ServerProcess

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "stream_and_join.mjs"
SCRIPT_TIMEOUT = 60.0
STREAMED = "one two three four five six"
BACKGROUND = "alpha beta gamma delta epsilon zeta eta theta"


def _require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the JS SDK test needs Node.js 20 or later")
    if not (JS_DIR / "node_modules" / "@langchain" / "langgraph-sdk").is_dir():
        pytest.fail(
            "tests/js/node_modules is missing: run `npm ci --prefix tests/js` "
            "to install the JS SDK before the tests"
        )
    return node


async def run_script(url: str) -> dict[str, Any]:
    node = _require_node()
    proc = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        cwd=JS_DIR,
        env={**os.environ, "AGENT_RUNTIME_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), SCRIPT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"the JS SDK script did not finish within {SCRIPT_TIMEOUT}s")
    assert proc.returncode == 0, f"node exited {proc.returncode}:\n{err.decode()}"
    summary: dict[str, Any] = json.loads(out)
    return summary


@pytest.fixture(scope="module")
async def summary(server: ServerProcess, provider: FakeProvider) -> dict[str, Any]:
    # Slow enough that the background run is still producing tokens when the script re-joins.
    provider.delay_per_chunk = 0.05
    provider.script(TextReply(STREAMED, chunks=6), TextReply(BACKGROUND, chunks=8))
    return await run_script(server.url)


def _ids(events: list[dict[str, Any]]) -> list[int]:
    return [int(e["id"]) for e in events]


async def test_js_sdk_streams_token_deltas(summary: dict[str, Any]) -> None:
    stream = summary["stream"]
    assert stream["events"][0] == "metadata"
    assert stream["events"][-1] == "end"
    assert set(stream["events"]) == {"metadata", "messages", "values", "end"}
    assert set(stream["metadata"]) == {"run_id", "attempt"}
    ids = [int(i) for i in stream["ids"]]
    assert ids == sorted(set(ids))

    assert stream["deltas"] == ["one ", "two ", "three ", "four ", "five ", "six"]
    assert len(stream["delta_message_ids"]) == 1
    assert stream["final_messages"] == [
        {"type": "human", "content": "stream please"},
        {"type": "ai", "content": STREAMED},
    ]
    assert stream["state_messages"] == ["human", "ai"]
    assert stream["thread_status"] == "idle"


async def test_js_sdk_rejoins_background_run_after_last_event_id(
    summary: dict[str, Any],
) -> None:
    join = summary["join"]
    assert join["created_status"] == "pending"
    assert join["first"][0]["event"] == "metadata"
    assert join["status_at_rejoin"] in {"pending", "running"}, "run ended before the re-join"

    # The second listener starts right after the first one's last event: no gap, no repeat.
    first_ids, rest_ids = _ids(join["first"]), _ids(join["rest"])
    assert int(join["last_event_id"]) == first_ids[-1]
    assert rest_ids == list(range(first_ids[-1] + 1, first_ids[-1] + 1 + len(rest_ids)))
    assert join["rest"][-1]["event"] == "end"

    assert "".join(join["first_deltas"] + join["rest_deltas"]) == BACKGROUND
    assert join["rest_deltas"], "no token arrived after the re-join"
    assert join["final_messages"][-1] == {"type": "ai", "content": BACKGROUND}
    assert join["run_status"] == "success"
