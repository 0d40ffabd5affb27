"""The repository protocols, run against memory and Postgres: both must answer the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.base import empty_checkpoint

from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.common import Config
from agent_runtime.schemas.runs import Run, RunStatus
from agent_runtime.schemas.threads import Thread, ThreadStatus
from agent_runtime.storage.base import (
    AssistantFilter,
    AssistantUpdate,
    Page,
    Sort,
    ThreadFilter,
    ThreadStateUpdate,
)
from tests.storage.conftest import Repositories

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def assistant(
    n: int, owner: str | None = "u1", graph_id: str = "agent", **metadata: Any
) -> Assistant:
    meta = {**metadata, **({"owner": owner} if owner else {})}
    return Assistant(
        assistant_id=f"a{n}",
        graph_id=graph_id,
        config=Config(configurable={"model_name": "openai:gpt-4o"}),
        context={"k": n},
        metadata=meta,
        name=f"Helper {n}",
        description=None,
        version=1,
        created_at=at(n),
        updated_at=at(100 - n),
    )


def thread(
    n: int, owner: str | None = "u1", status: ThreadStatus = "idle", **metadata: Any
) -> Thread:
    meta = {**metadata, **({"owner": owner} if owner else {})}
    return Thread(
        thread_id=f"t{n}",
        metadata=meta,
        status=status,
        values={"messages": [{"type": "human", "content": f"hi {n}"}]},
        created_at=at(n),
        updated_at=at(100 - n),
    )


def run(n: int, thread_id: str = "t1", owner: str = "u1", status: RunStatus = "pending") -> Run:
    return Run(
        run_id=f"r{n}",
        thread_id=thread_id,
        assistant_id="a1",
        status=status,
        metadata={"owner": owner},
        kwargs={"input": {"messages": []}, "stream_mode": ["values"]},
        multitask_strategy="enqueue",
        created_at=at(n),
        updated_at=at(n),
    )


def ids(rows: list[Any], attr: str) -> list[str]:
    return [getattr(r, attr) for r in rows]


async def test_assistant_create_refuses_a_taken_id(repos: Repositories) -> None:
    created = await repos.assistants.create("u1", assistant(1))
    assert created == assistant(1)
    assert await repos.assistants.create("u2", assistant(1, owner="u2")) is None
    assert await repos.assistants.get(None, "a1") == assistant(1)


async def test_assistants_are_read_by_owner_and_system_ones_by_everyone(
    repos: Repositories,
) -> None:
    await repos.assistants.create("u1", assistant(1))
    await repos.assistants.create("system", assistant(2, owner="system"))
    assert await repos.assistants.get("u1", "a1") is not None
    assert await repos.assistants.get("u2", "a1") is None
    assert await repos.assistants.get("u2", "a2") is not None
    assert await repos.assistants.get(None, "a1") is not None
    assert await repos.assistants.get("u1", "missing") is None


async def test_assistant_update_merges_metadata_and_bumps_version(repos: Repositories) -> None:
    await repos.assistants.create("u1", assistant(1, color="red", size="s"))
    updated = await repos.assistants.update(
        "u1",
        "a1",
        AssistantUpdate(config=Config(tags=["x"]), metadata={"color": "blue"}, name="Renamed"),
    )
    assert updated is not None
    assert updated.version == 2
    assert updated.metadata == {"owner": "u1", "color": "blue", "size": "s"}
    assert updated.config == Config(tags=["x"])
    assert updated.name == "Renamed"
    assert updated.context == {"k": 1}
    assert updated.updated_at > at(99)
    assert await repos.assistants.get("u1", "a1") == updated


async def test_assistants_are_written_only_by_their_owner(repos: Repositories) -> None:
    await repos.assistants.create("u1", assistant(1))
    await repos.assistants.create("system", assistant(2, owner="system"))
    rename = AssistantUpdate(name="x")
    assert await repos.assistants.update("u2", "a1", rename) is None
    assert await repos.assistants.update("u1", "a2", rename) is None
    assert not await repos.assistants.delete("u1", "a2")
    assert not await repos.assistants.delete("u2", "a1")
    assert await repos.assistants.delete("u1", "a1")
    assert not await repos.assistants.delete("u1", "a1")
    assert await repos.assistants.get(None, "a1") is None
    assert await repos.assistants.update(None, "a2", rename) is not None


async def test_assistant_search_filters_sorts_and_pages(repos: Repositories) -> None:
    for n in range(1, 6):
        await repos.assistants.create("u1", assistant(n, tier="gold" if n % 2 else "free"))
    await repos.assistants.create("u2", assistant(6, owner="u2", tier="gold"))
    await repos.assistants.create("system", assistant(7, owner="system", graph_id="other"))

    rows, total = await repos.assistants.search(
        "u1", AssistantFilter(), Sort(by="created_at"), Page(limit=3)
    )
    assert ids(rows, "assistant_id") == ["a7", "a5", "a4"]
    assert total == 6

    rows, total = await repos.assistants.search(
        "u1",
        AssistantFilter(metadata={"tier": "gold"}),
        Sort(by="updated_at", order="asc"),
        Page(limit=10, offset=1),
    )
    assert ids(rows, "assistant_id") == ["a3", "a1"]
    assert total == 3

    rows, _ = await repos.assistants.search(
        None, AssistantFilter(name="HELPER 6"), Sort(by="name"), Page()
    )
    assert ids(rows, "assistant_id") == ["a6"]
    rows, total = await repos.assistants.search(
        "u2", AssistantFilter(graph_id="other"), Sort(by="assistant_id", order="asc"), Page()
    )
    assert (ids(rows, "assistant_id"), total) == (["a7"], 1)
    rows, total = await repos.assistants.search(
        "u1", AssistantFilter(), Sort(by="created_at"), Page(offset=50)
    )
    assert (rows, total) == ([], 6)


async def test_assistant_count_applies_owner_and_filters(repos: Repositories) -> None:
    for n in range(1, 4):
        await repos.assistants.create("u1", assistant(n, nested={"a": [1, 2], "b": True}))
    await repos.assistants.create("u2", assistant(4, owner="u2"))
    assert await repos.assistants.count(None, AssistantFilter()) == 4
    assert await repos.assistants.count("u1", AssistantFilter()) == 3
    assert await repos.assistants.count("u1", AssistantFilter(metadata={"nested": {"a": [2]}})) == 3
    assert await repos.assistants.count("u1", AssistantFilter(metadata={"nested": {"b": 1}})) == 0
    # A filter naming another owner never widens the caller's scope.
    assert await repos.assistants.count("u1", AssistantFilter(metadata={"owner": "u2"})) == 0


async def test_thread_create_get_and_owner_scope(repos: Repositories) -> None:
    assert await repos.threads.create("u1", thread(1)) == thread(1)
    assert await repos.threads.create("u2", thread(1, owner="u2")) is None
    assert await repos.threads.get("u1", "t1") == thread(1)
    assert await repos.threads.get("u2", "t1") is None
    assert await repos.threads.get(None, "t1") == thread(1)


async def test_thread_metadata_alone_is_read_as_the_thread_would_be(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1, graph_id="agent"))
    await repos.threads.update_state("t1", ThreadStateUpdate(values={"messages": ["m"] * 50}))
    expected = {"owner": "u1", "graph_id": "agent"}
    assert await repos.threads.metadata("u1", "t1") == expected
    assert await repos.threads.metadata(None, "t1") == expected
    assert await repos.threads.metadata("u2", "t1") is None
    assert await repos.threads.metadata("u1", "missing") is None


async def test_thread_metadata_merges_for_the_owner_only(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1, topic="a", keep=1))
    assert await repos.threads.update_metadata("u2", "t1", {"topic": "b"}) is None
    updated = await repos.threads.update_metadata("u1", "t1", {"topic": "b"})
    assert updated is not None
    assert updated.metadata == {"owner": "u1", "topic": "b", "keep": 1}
    assert updated.updated_at > at(99)
    assert await repos.threads.update_metadata("u1", "missing", {}) is None


async def test_thread_state_update_writes_only_given_fields(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1))
    busy = await repos.threads.update_state("t1", ThreadStateUpdate(status="busy"))
    assert busy is not None
    assert (busy.status, busy.values) == ("busy", thread(1).values)
    values = {"messages": [{"type": "ai", "content": "hello", "id": "m2"}], "n": 2}
    done = await repos.threads.update_state(
        "t1",
        ThreadStateUpdate(status="interrupted", values=values, interrupts={"task": [{"v": 1}]}),
    )
    assert done is not None
    assert (done.status, done.values, done.interrupts) == (
        "interrupted",
        values,
        {"task": [{"v": 1}]},
    )
    assert await repos.threads.get(None, "t1") == done
    assert await repos.threads.update_state("missing", ThreadStateUpdate(status="idle")) is None


async def test_thread_delete_is_scoped_by_owner(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1))
    assert not await repos.threads.delete("u2", "t1")
    assert await repos.threads.delete("u1", "t1")
    assert not await repos.threads.delete("u1", "t1")
    assert await repos.threads.get(None, "t1") is None


async def test_thread_search_filters_sorts_and_pages(repos: Repositories) -> None:
    for n in range(1, 6):
        status: ThreadStatus = "busy" if n in (2, 4) else "idle"
        await repos.threads.create("u1", thread(n, status=status, assistant_id=f"a{n % 2}"))
    await repos.threads.create("u2", thread(6, owner="u2", assistant_id="a0"))

    rows, total = await repos.threads.search(
        "u1", ThreadFilter(), Sort(by="created_at"), Page(limit=2)
    )
    assert (ids(rows, "thread_id"), total) == (["t5", "t4"], 5)
    rows, total = await repos.threads.search(
        "u1", ThreadFilter(status="busy"), Sort(by="updated_at", order="asc"), Page()
    )
    assert (ids(rows, "thread_id"), total) == (["t4", "t2"], 2)
    rows, total = await repos.threads.search(
        None, ThreadFilter(metadata={"assistant_id": "a0"}), Sort(by="thread_id"), Page()
    )
    assert (ids(rows, "thread_id"), total) == (["t6", "t4", "t2"], 3)
    rows, total = await repos.threads.search(
        "u1", ThreadFilter(ids=["t3", "t6", "t1", "nope"]), Sort(by="thread_id"), Page()
    )
    assert (ids(rows, "thread_id"), total) == (["t3", "t1"], 2)
    values = {"messages": [{"content": "hi 3"}]}
    rows, _ = await repos.threads.search(
        "u1", ThreadFilter(values=values), Sort(by="created_at"), Page()
    )
    assert ids(rows, "thread_id") == ["t3"]
    rows, _ = await repos.threads.search(
        "u1", ThreadFilter(), Sort(by="status", order="asc"), Page(limit=2)
    )
    assert {r.status for r in rows} == {"busy"}


async def test_thread_metadata_search_matches_as_jsonb_containment(repos: Repositories) -> None:
    # The memory storage answers these from an index on metadata entries; each case is one
    # where an index could disagree with `jsonb @>`.
    await repos.threads.create("u1", thread(1, k=1, flag=True, tags=["a", "b"], deep={"x": 1}))
    await repos.threads.create("u1", thread(2, k=1.0, flag=1, tags="a", deep={"x": 1, "y": 2}))
    await repos.threads.create("u2", thread(3, owner="u2", k=1, empty=None))

    async def found(owner: str | None, metadata: dict[str, Any]) -> list[str]:
        rows, total = await repos.threads.search(
            owner, ThreadFilter(metadata=metadata), Sort(by="thread_id", order="asc"), Page()
        )
        assert total == len(rows)
        return ids(rows, "thread_id")

    assert await found(None, {"k": 1}) == ["t1", "t2", "t3"]
    assert await found("u1", {"k": 1.0}) == ["t1", "t2"]
    assert await found(None, {"flag": True}) == ["t1"]
    assert await found(None, {"flag": 1}) == ["t2"]
    assert await found(None, {"tags": "a"}) == ["t2"]
    assert await found(None, {"tags": ["a"]}) == ["t1"]
    assert await found(None, {"deep": {"x": 1}}) == ["t1", "t2"]
    assert await found(None, {"empty": None}) == ["t3"]
    assert await found("u2", {"k": 1, "flag": True}) == []
    assert await found(None, {"owner": "u2"}) == ["t3"]
    assert await found("u1", {"owner": "u2"}) == []
    assert await found(None, {"k": 2}) == []

    await repos.threads.update_metadata("u1", "t1", {"k": 2})
    assert await found(None, {"k": 1}) == ["t2", "t3"]
    assert await found(None, {"k": 2}) == ["t1"]
    assert await repos.threads.delete("u1", "t2")
    assert await found("u1", {"k": 1}) == []
    assert await repos.threads.count("u1", ThreadFilter(metadata={"flag": True})) == 1


async def test_thread_count_applies_owner_and_filters(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1, kind="x"))
    await repos.threads.create("u1", thread(2, kind="y", status="error"))
    await repos.threads.create("u2", thread(3, owner="u2", kind="x"))
    assert await repos.threads.count(None, ThreadFilter()) == 3
    assert await repos.threads.count("u1", ThreadFilter()) == 2
    assert await repos.threads.count(None, ThreadFilter(metadata={"kind": "x"})) == 2
    assert await repos.threads.count("u1", ThreadFilter(status="error")) == 1
    assert await repos.threads.count("u3", ThreadFilter()) == 0


async def test_run_create_and_get_by_owner_and_thread(repos: Repositories) -> None:
    assert await repos.runs.create(run(1)) == run(1)
    assert await repos.runs.get("u1", "r1") == run(1)
    assert await repos.runs.get("u1", "r1", "t1") == run(1)
    assert await repos.runs.get("u1", "r1", "t2") is None
    assert await repos.runs.get("u2", "r1") is None
    assert await repos.runs.get(None, "r1") == run(1)


async def test_run_create_marks_its_thread_busy_and_merges_metadata(
    repos: Repositories,
) -> None:
    await repos.threads.create("u1", thread(1, topic="a"))
    await repos.runs.create(run(1), thread_metadata={"assistant_id": "a1", "topic": "b"})
    busy = await repos.threads.get("u1", "t1")
    assert busy is not None
    assert (busy.status, busy.metadata) == (
        "busy",
        {"owner": "u1", "topic": "b", "assistant_id": "a1"},
    )
    assert busy.updated_at > at(99)
    await repos.threads.update_state("t1", ThreadStateUpdate(status="idle"))
    await repos.runs.create(run(2))
    again = await repos.threads.get("u1", "t1")
    assert again is not None
    assert (again.status, again.metadata) == ("busy", busy.metadata)


def with_graph_of(n: int, graph_id: str) -> Run:
    """`run(n)` as stored with an assistant of that graph."""
    stored = run(n)
    return stored.model_copy(update={"kwargs": {**stored.kwargs, "graph_id": graph_id}})


async def test_run_create_stores_a_new_thread_with_the_run(repos: Repositories) -> None:
    await repos.assistants.create("u1", assistant(1, graph_id="g1"))
    new = thread(1, status="busy", assistant_id="a1")
    found = await repos.runs.create_with_thread("u1", run(1), new)
    assert found == assistant(1, graph_id="g1")
    assert await repos.runs.get(None, "r1") == with_graph_of(1, "g1")
    stored = new.model_copy(update={"metadata": {**new.metadata, "graph_id": "g1"}})
    assert await repos.threads.get("u1", "t1") == stored
    assert ids(await repos.runs.active("t1"), "run_id") == ["r1"]
    # An id already taken fails the run too: it is not stored on someone else's thread.
    await repos.assistants.create("u2", assistant(2, owner="u2"))
    taken = thread(1, owner="u2", status="busy")
    with pytest.raises((ValueError, psycopg.errors.UniqueViolation)):
        await repos.runs.create_with_thread(
            "u2", run(2).model_copy(update={"assistant_id": "a2"}), taken
        )
    assert await repos.runs.get(None, "r2") is None
    assert await repos.threads.get("u1", "t1") == stored


async def test_a_new_run_needs_an_assistant_its_owner_may_read(repos: Repositories) -> None:
    await repos.assistants.create("u2", assistant(1, owner="u2"))
    await repos.threads.create("u1", thread(1))
    assert await repos.runs.create_with_thread("u1", run(1, thread_id="t5"), thread(5)) is None
    assert await repos.runs.create_if_idle("u1", run(2), {"assistant_id": "a1"}) == (None, False)
    assert await repos.threads.get(None, "t5") is None
    assert await repos.runs.active("t1") == []
    idle = await repos.threads.get(None, "t1")
    assert idle is not None and idle.status == "idle"
    # A system assistant is everyone's to run.
    await repos.assistants.create(None, assistant(3, owner="system"))
    shared = run(3).model_copy(update={"assistant_id": "a3"})
    found, stored = await repos.runs.create_if_idle("u1", shared, {"assistant_id": "a3"})
    assert found is not None and found.assistant_id == "a3" and stored


async def test_run_create_if_idle_needs_the_owners_thread_not_busy(
    repos: Repositories,
) -> None:
    await repos.assistants.create("u1", assistant(1, graph_id="g1"))
    await repos.threads.create("u1", thread(1, status="interrupted", topic="a"))
    ran = {"assistant_id": "a1"}
    found = assistant(1, graph_id="g1")
    assert await repos.runs.create_if_idle("u2", run(1), ran) == (None, False)  # not u2's
    missing = run(1, thread_id="t9")
    assert await repos.runs.create_if_idle("u1", missing, ran) == (found, False)
    assert await repos.runs.get(None, "r1") is None
    assert await repos.runs.create_if_idle("u1", run(1), ran) == (found, True)
    assert await repos.runs.get(None, "r1") == with_graph_of(1, "g1")
    busy = await repos.threads.get("u1", "t1")
    assert busy is not None
    expected = {"topic": "a", "owner": "u1", **ran, "graph_id": "g1"}
    assert (busy.status, busy.metadata) == ("busy", expected)
    assert ids(await repos.runs.active("t1"), "run_id") == ["r1"]
    # Busy: a run is active on it, so nothing is stored.
    assert await repos.runs.create_if_idle("u1", run(2), ran) == (found, False)
    assert await repos.runs.get(None, "r2") is None
    await repos.runs.finish("r1", "success", "t1", ThreadStateUpdate(status="idle"))
    assert await repos.runs.create_if_idle(None, run(2), ran) == (found, True)


async def test_run_finish_settles_the_run_and_its_thread(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1))
    await repos.runs.create(run(1, status="running"))
    await repos.runs.create(run(2, status="pending"))
    values = {"messages": [{"type": "ai", "content": "done"}]}

    # Another run still waits: the thread stays busy whatever the finished run left.
    await repos.runs.finish("r1", "success", "t1", ThreadStateUpdate(status="idle", values=values))
    first = await repos.runs.get(None, "r1")
    assert first is not None and first.status == "success"
    settled = await repos.threads.get(None, "t1")
    assert settled is not None
    assert (settled.status, settled.values) == ("busy", values)

    # The last one ends it; no run status given leaves the run as it is.
    await repos.runs.finish(
        "r2", None, "t1", ThreadStateUpdate(status="interrupted", interrupts={"task": [{"v": 1}]})
    )
    second = await repos.runs.get(None, "r2")
    assert second is not None and second.status == "pending"
    done = await repos.threads.get(None, "t1")
    assert done is not None
    assert (done.status, done.values, done.interrupts) == (
        "interrupted",
        values,
        {"task": [{"v": 1}]},
    )


async def test_runs_listed_newest_first_with_status_and_page(repos: Repositories) -> None:
    for n, status in enumerate(["success", "error", "success", "running"], start=1):
        await repos.runs.create(run(n, status=status))
    await repos.runs.create(run(5, thread_id="t2"))
    await repos.runs.create(run(6, owner="u2"))

    listed = await repos.runs.list_for_thread("u1", "t1", None, Page())
    assert ids(listed, "run_id") == ["r4", "r3", "r2", "r1"]
    listed = await repos.runs.list_for_thread("u1", "t1", "success", Page())
    assert ids(listed, "run_id") == ["r3", "r1"]
    listed = await repos.runs.list_for_thread(None, "t1", None, Page(limit=2, offset=1))
    assert ids(listed, "run_id") == ["r4", "r3"]


async def test_active_runs_are_pending_and_running_oldest_first(repos: Repositories) -> None:
    await repos.runs.create(run(1, status="success"))
    await repos.runs.create(run(2, status="running"))
    await repos.runs.create(run(3, status="pending"))
    await repos.runs.create(run(4, thread_id="t2", status="pending"))
    assert ids(await repos.runs.active("t1"), "run_id") == ["r2", "r3"]

    ended = await repos.runs.set_status("r2", "success")
    assert ended is not None
    assert ended.status == "success"
    assert ended.updated_at > at(2)
    assert ids(await repos.runs.active("t1"), "run_id") == ["r3"]
    assert await repos.runs.set_status("missing", "error") is None


async def test_run_start_marks_it_running(repos: Repositories) -> None:
    await repos.runs.create(run(1))
    assert await repos.runs.start("r1")
    started = await repos.runs.get(None, "r1")
    assert started is not None
    assert started.status == "running"
    assert started.updated_at > at(1)
    assert not await repos.runs.start("missing")


async def test_run_delete_and_thread_delete_takes_its_runs(repos: Repositories) -> None:
    await repos.threads.create("u1", thread(1))
    for n in range(1, 4):
        await repos.runs.create(run(n))
    await repos.runs.create(run(4, thread_id="t2"))
    assert await repos.runs.delete("r1")
    assert not await repos.runs.delete("r1")
    assert not await repos.threads.delete("u2", "t1")  # not u2's: its runs stay
    assert await repos.runs.get(None, "r2") is not None
    assert await repos.threads.delete("u1", "t1")
    for run_id in ("r2", "r3"):
        assert await repos.runs.get(None, run_id) is None
    assert await repos.runs.active("t1") == []
    assert await repos.runs.get(None, "r4") is not None


async def checkpointed(repos: Repositories, thread_id: str) -> None:
    """A checkpoint with a channel value and a pending write on the thread."""
    saved = await repos.checkpointer.aput(
        {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}},
        {**empty_checkpoint(), "channel_values": {"steps": ["one"]}},
        {"source": "loop", "step": 0},
        {"steps": "1"},
    )
    await repos.checkpointer.aput_writes(saved, [("steps", ["two"])], "task-1")


async def has_checkpoint(repos: Repositories, thread_id: str) -> bool:
    config: Any = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    return await repos.checkpointer.aget_tuple(config) is not None


async def test_thread_delete_takes_its_checkpoints(repos: Repositories) -> None:
    for n in (1, 2):
        await repos.threads.create("u1", thread(n))
        await checkpointed(repos, f"t{n}")
    assert not await repos.threads.delete("u2", "t1")  # not u2's: its checkpoints stay
    assert await has_checkpoint(repos, "t1")
    assert await repos.threads.delete("u1", "t1")
    assert not await has_checkpoint(repos, "t1")
    assert await has_checkpoint(repos, "t2")


async def test_a_run_deletes_its_own_thread_unless_another_is_active(
    repos: Repositories,
) -> None:
    await repos.threads.create("u1", thread(1))
    await checkpointed(repos, "t1")
    await repos.runs.create(run(1, status="running"))
    await repos.runs.create(run(2, status="pending"))
    assert not await repos.runs.delete_own_thread("r1", "t1")  # r2 waits on the thread
    assert await repos.threads.get(None, "t1") is not None
    assert await has_checkpoint(repos, "t1")
    assert await repos.runs.get(None, "r2") is not None

    await repos.runs.set_status("r2", "interrupted")
    assert await repos.runs.delete_own_thread("r1", "t1")
    assert await repos.threads.get(None, "t1") is None
    assert not await has_checkpoint(repos, "t1")
    assert await repos.runs.get(None, "r1") is None
    assert await repos.runs.get(None, "r2") is None
    assert not await repos.runs.delete_own_thread("r1", "t1")


async def test_ids_are_kept_as_given(repos: Repositories) -> None:
    dashed = str(uuid.uuid4())
    hex_id = uuid.uuid4().hex
    for thread_id in (dashed, hex_id):
        await repos.threads.create(None, thread(1).model_copy(update={"thread_id": thread_id}))
    assert (await repos.threads.get(None, hex_id)) is not None
    assert (await repos.threads.get(None, dashed)) is not None
    assert await repos.threads.get(None, str(uuid.UUID(hex_id))) is None
