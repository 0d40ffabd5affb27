"""Execute one run: build its graph, stream it into the run's event log, record the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Send

from agent_runtime.graphs.spec import AnyGraph
from agent_runtime.runs.events import RunEventLog
from agent_runtime.runs.serde import dumps
from agent_runtime.runs.stream import StreamTranslator
from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.runs import Run, RunCommand, RunCreateStateful

logger = logging.getLogger(__name__)

# Keys the runtime owns in `configurable`; a client cannot override them.
RESERVED_CONFIGURABLE = ("thread_id", "run_id", "assistant_id", "graph_id", "owner", "user_id")


@dataclass
class RunOutcome:
    """How a run ended, as `wait` and `join` report it."""

    status: str
    values: Any = None
    error: dict[str, str] | None = None
    interrupts: list[Any] = field(default_factory=list)
    # False when the run's state was not read: a stateless run no one waited for.
    values_read: bool = True
    # The run left `values` on its thread (a run on a kept thread that read its state).
    on_thread: bool = False

    def result(self, values: Any = None) -> Any:
        """The answer, with `values` standing for the run's own when it no longer keeps them."""
        values = self.values if values is None else values
        if self.error is not None:
            return {"__error__": self.error}
        if self.interrupts and isinstance(values, dict):
            return {**values, "__interrupt__": self.interrupts}
        return values


def run_config(run: Run, assistant: Assistant, request: RunCreateStateful) -> RunnableConfig:
    """Assistant config, then run config, then the runtime's own keys (later wins)."""
    base = assistant.config.model_dump()
    configurable: dict[str, Any] = {
        **(base.pop("configurable", None) or {}),
        **(request.config.get("configurable") or {}),
    }
    configurable.update(
        thread_id=run.thread_id,
        run_id=run.run_id,
        assistant_id=assistant.assistant_id,
        graph_id=assistant.graph_id,
    )
    owner = run.metadata.get("owner")
    if owner is not None:
        configurable.update(owner=owner, user_id=owner, langgraph_auth_user_id=owner)
    auth_user = configurable.get("langgraph_auth_user")
    # Only the runtime names the caller: without an owner there is none, and the user's
    # identity is always the owner the run was stamped with.
    if owner is None:
        configurable.pop("langgraph_auth_user", None)
        configurable.pop("langgraph_auth_user_id", None)
    elif not isinstance(auth_user, dict) or auth_user.get("identity") != owner:
        configurable["langgraph_auth_user"] = {"identity": owner, "email": None, "metadata": {}}
    checkpoint_id = request.checkpoint_id or (request.checkpoint or {}).get("checkpoint_id")
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    config: dict[str, Any] = {
        **base,
        **{k: v for k, v in request.config.items() if k != "configurable"},
    }
    config["configurable"] = configurable
    # Checkpoints carry these, so a rollback can find the ones this run wrote.
    config["metadata"] = {
        **(config.get("metadata") or {}),
        **{k: v for k, v in run.metadata.items() if k != "owner"},
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "assistant_id": assistant.assistant_id,
        "graph_id": assistant.graph_id,
    }
    return cast(RunnableConfig, config)


def graph_input(request: RunCreateStateful) -> Any:
    if request.command is None:
        return request.input
    return _command(request.command)


def _command(command: RunCommand) -> Command[Any]:
    goto: Any = command.goto
    if isinstance(goto, dict):
        goto = _send(goto)
    elif isinstance(goto, list):
        goto = [_send(g) if isinstance(g, dict) else g for g in goto]
    update: Any = command.update
    if isinstance(update, list):
        update = [tuple(pair) for pair in update]
    kwargs: dict[str, Any] = {"update": update, "goto": goto or ()}
    if command.resume is not None:
        kwargs["resume"] = command.resume
    return Command(**kwargs)


def _send(target: dict[str, Any]) -> Send:
    return Send(str(target["node"]), target.get("input"))


async def stream_graph(
    graph: AnyGraph,
    config: RunnableConfig,
    request: RunCreateStateful,
    context: dict[str, Any],
    log: RunEventLog,
) -> None:
    """Run the graph to its end or next interrupt, publishing every requested event."""
    translator = StreamTranslator(request.modes, request.stream_subgraphs)
    kwargs: dict[str, Any] = {
        "stream_mode": translator.graph_modes or ["values"],
        "subgraphs": request.stream_subgraphs,
        "interrupt_before": request.interrupt_before,
        "interrupt_after": request.interrupt_after,
    }
    durability = request.durability or ("sync" if request.checkpoint_during else None)
    if durability:
        kwargs["durability"] = durability
    if context:
        kwargs["context"] = context
    source = graph_input(request)

    def publish(name: str, payload: Any) -> None:
        log.publish(name, dumps(payload))

    if translator.wants_events:
        root: str | None = None
        async for event in graph.astream_events(source, config, version="v2", **kwargs):
            if root is None and event.get("event") == "on_chain_start":
                root = str(event.get("run_id"))
            for name, payload in translator.translate_event(dict(event), root):
                publish(name, payload)
    else:
        async for item in graph.astream(source, config, **kwargs):
            # Without subgraphs LangGraph yields (mode, chunk), and only the root graph's.
            namespace, mode, chunk = item if request.stream_subgraphs else ((), *item)
            for name, payload in translator.translate(namespace, mode, chunk):
                publish(name, payload)
    for name, payload in translator.finish():
        publish(name, payload)
