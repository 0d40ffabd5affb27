"""Turn what LangGraph streams into the API's stream events.

LangGraph yields `(namespace, mode, chunk)`; the API names events after the mode it was asked
for (`messages-tuple` goes out as `messages`), suffixes subgraph events with `|ns1|ns2`, and
derives the older `messages/partial|metadata|complete` events by accumulating token chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, BaseMessageChunk

# API stream mode -> the LangGraph stream mode that feeds it.
_SOURCES = {
    "values": "values",
    "updates": "updates",
    "messages-tuple": "messages",
    "messages": "messages",
    "custom": "custom",
    "debug": "debug",
    "tasks": "tasks",
    "checkpoints": "checkpoints",
}

Emitted = tuple[str, Any]


class StreamTranslator:
    def __init__(self, requested: Sequence[str], subgraphs: bool) -> None:
        self.requested = set(requested)
        self.subgraphs = subgraphs
        self.graph_modes = sorted({_SOURCES[m] for m in self.requested if m in _SOURCES})
        self.wants_events = "events" in self.requested
        self._partial: dict[str, BaseMessageChunk] = {}
        self._seen: set[str] = set()

    def translate(self, namespace: Sequence[str], mode: str, chunk: Any) -> Iterator[Emitted]:
        suffix = "|" + "|".join(namespace) if namespace and self.subgraphs else ""
        if mode != "messages":
            if mode in self.requested:
                yield mode + suffix, chunk
            return
        message, metadata = chunk
        if "messages-tuple" in self.requested:
            yield "messages" + suffix, (message, metadata)
        if "messages" in self.requested:
            for name, payload in self._accumulate(message, metadata):
                yield name + suffix, payload

    def translate_event(self, event: dict[str, Any], root_run_id: str | None) -> Iterator[Emitted]:
        """One `astream_events` record: the root graph's stream chunks carry the other modes."""
        if event.get("event") == "on_chain_stream" and event.get("run_id") == root_run_id:
            chunk = event.get("data", {}).get("chunk")
            if isinstance(chunk, tuple) and len(chunk) == 3:
                yield from self.translate(chunk[0], chunk[1], chunk[2])
            elif isinstance(chunk, tuple) and len(chunk) == 2:
                yield from self.translate((), chunk[0], chunk[1])
        yield "events", event

    def finish(self) -> Iterator[Emitted]:
        """Close any message still being accumulated when the run ends."""
        for message in self._partial.values():
            yield "messages/complete", [message]
        self._partial.clear()

    def _accumulate(self, message: BaseMessage, metadata: dict[str, Any]) -> Iterator[Emitted]:
        key = message.id or ""
        if key not in self._seen:
            self._seen.add(key)
            yield "messages/metadata", {key: {"metadata": metadata}}
        if not isinstance(message, BaseMessageChunk):
            self._partial.pop(key, None)
            yield "messages/complete", [message]
            return
        previous = self._partial.get(key)
        merged = message if previous is None else previous + message
        if getattr(message, "chunk_position", None) == "last":
            self._partial.pop(key, None)
            yield "messages/complete", [merged]
        else:
            self._partial[key] = merged
            yield "messages/partial", [merged]
