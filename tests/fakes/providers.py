"""A local stand-in for the OpenAI, Anthropic and Gemini HTTP APIs.

It speaks each provider's wire protocol closely enough for the real LangChain clients, streams
replies chunk by chunk, and records every request and how every stream ended. It runs in a
background thread with its own event loop, so in-process tests and separately started server
processes reach it alike. `python -m tests.fakes.providers --port N` serves it with no latency.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from . import anthropic_wire, google_wire, openai_wire
from .recorded import RecordedRequest, StreamRecord
from .script import ErrorReply, Reply, TextReply, ToolCallReply
from .wire import SseBody, echo

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

__all__ = [
    "ErrorReply",
    "FakeProvider",
    "RecordedRequest",
    "Reply",
    "StreamRecord",
    "TextReply",
    "ToolCallReply",
]


class FakeProvider:
    """Serve scripted (or echoed) replies to chat-model clients on 127.0.0.1."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay_per_chunk: float = 0.0,
        default_chunks: int = 4,
    ) -> None:
        self.host = host
        self.delay_per_chunk = delay_per_chunk
        self.default_chunks = default_chunks
        # Served when the script is empty; None echoes the last user message.
        self.default: Reply | None = None
        self.requests: list[RecordedRequest] = []
        self.streams: list[StreamRecord] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._socket = _listen(host, port)
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def google_base_url(self) -> str:
        return self.url

    def script(self, *replies: Reply) -> None:
        """Queue replies; each request takes the next one."""
        with self._lock:
            self._replies.extend(replies)

    def reset(self) -> None:
        """Forget queued replies, recorded requests and streams."""
        with self._lock:
            self._replies.clear()
            self.requests.clear()
            self.streams.clear()
            self.default = None

    async def wait_for(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Poll `condition` (about this provider's records) until it holds."""
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"fake provider: condition not met within {within}s")
            await asyncio.sleep(0.01)

    def start(self) -> FakeProvider:
        self._server = _server(_App(self), self._socket)
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._server.serve(sockets=[self._socket]),),
            name=f"fake-provider-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake provider did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            # Streams left hanging by a test must not hold up shutdown.
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (for a separate process)."""
        server = _server(_App(self), self._socket)
        server.run(sockets=[self._socket])

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def take_reply(self, user_text: str) -> Reply:
        """The reply for the next request: scripted, else `default`, else an echo."""
        with self._lock:
            if not self._replies:
                return self.default or TextReply(echo(user_text), self.default_chunks)
            reply = self._replies[0]
            if isinstance(reply, ErrorReply) and reply.times > 1:
                self._replies[0] = dataclasses.replace(reply, times=reply.times - 1)
            else:
                self._replies.popleft()
            return reply


def _listen(host: str, port: int) -> socket.socket:
    # Binding here, before the server starts, lets the OS pick a free port that `.url` can
    # report at once and no other process can take in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def _server(app: _App, sock: socket.socket) -> uvicorn.Server:
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        access_log=False,
        # Leaves the host process's logging configuration alone.
        log_config=None,
    )
    return uvicorn.Server(config)


class _App:
    """The ASGI application; plain ASGI so a stream can notice the client leaving."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = await _record(scope, receive)
        self.provider.requests.append(request)
        route = _route(scope["method"], scope["path"])
        if route is None:
            await _send_json(send, 404, {"error": {"message": f"no route {scope['path']}"}})
            return
        await route(self.provider, request, receive, send)


async def _record(scope: Scope, receive: Receive) -> RecordedRequest:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return RecordedRequest(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode(),
        headers={name.decode().lower(): value.decode() for name, value in scope["headers"]},
        json=body,
    )


_GOOGLE_MODEL_PATHS = ("/v1beta/models/", "/v1/models/")

Route = Callable[[FakeProvider, RecordedRequest, Receive, Send], Any]


def _route(method: str, path: str) -> Route | None:
    if method != "POST":
        return None
    if path == "/v1/chat/completions":
        return _openai
    if path == "/v1/messages":
        return _anthropic
    # google-genai picks the API version (v1 in recent SDKs, v1beta before); serve both.
    if path.startswith(_GOOGLE_MODEL_PATHS) and ":" in path:
        return _google
    return None


async def _openai(
    provider: FakeProvider, request: RecordedRequest, receive: Receive, send: Send
) -> None:
    body = request.json if isinstance(request.json, dict) else {}
    reply = provider.take_reply(openai_wire.last_user_text(body))
    if isinstance(reply, ErrorReply):
        await _send_json(send, reply.status, openai_wire.error_body(reply))
    elif body.get("stream"):
        await _stream(provider, request, openai_wire.stream(reply, body), reply, receive, send)
    else:
        await _send_json(send, 200, openai_wire.complete(reply, body))


async def _anthropic(
    provider: FakeProvider, request: RecordedRequest, receive: Receive, send: Send
) -> None:
    body = request.json if isinstance(request.json, dict) else {}
    reply = provider.take_reply(anthropic_wire.last_user_text(body))
    if isinstance(reply, ErrorReply):
        await _send_json(send, reply.status, anthropic_wire.error_body(reply))
    elif body.get("stream"):
        await _stream(provider, request, anthropic_wire.stream(reply, body), reply, receive, send)
    else:
        await _send_json(send, 200, anthropic_wire.complete(reply, body))


async def _google(
    provider: FakeProvider, request: RecordedRequest, receive: Receive, send: Send
) -> None:
    body = request.json if isinstance(request.json, dict) else {}
    model, _, method = request.path.split("/models/", 1)[1].partition(":")
    reply = provider.take_reply(google_wire.last_user_text(body))
    if isinstance(reply, ErrorReply):
        await _send_json(send, reply.status, google_wire.error_body(reply))
    elif method == "streamGenerateContent":
        sse = google_wire.stream(reply, body, model)
        await _stream(provider, request, sse, reply, receive, send)
    elif method == "generateContent":
        await _send_json(send, 200, google_wire.complete(reply, body, model))
    else:
        await _send_json(send, 404, {"error": {"code": 404, "message": f"no method {method}"}})


async def _send_json(send: Send, status: int, payload: Any) -> None:
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data, "more_body": False})


async def _stream(
    provider: FakeProvider,
    request: RecordedRequest,
    sse: SseBody,
    reply: TextReply | ToolCallReply,
    receive: Receive,
    send: Send,
) -> None:
    record = StreamRecord(path=request.path)
    provider.streams.append(record)
    delay = provider.delay_per_chunk if reply.delay_per_chunk is None else reply.delay_per_chunk
    # uvicorn's send() silently drops data once the client is gone, so only receive() tells.
    disconnect = asyncio.ensure_future(_disconnected(receive))
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        if reply.burst:
            await _send_body(send, b"".join([*sse.prelude, *sse.chunks, *sse.epilogue]))
            record.chunks_sent = len(sse.chunks)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            record.completed = True
            return
        for frame in sse.prelude:
            await _send_body(send, frame)
        for index, frame in enumerate(sse.chunks):
            if reply.abort_after is not None and index >= reply.abort_after:
                # Returning with the response unfinished makes uvicorn drop the connection.
                record.aborted = True
                return
            await _send_body(send, frame)
            record.chunks_sent += 1
            if await _client_left(disconnect, delay):
                record.client_disconnected = True
                return
        for frame in sse.epilogue:
            await _send_body(send, frame)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        record.completed = True
    finally:
        disconnect.cancel()
        record.finished.set()


async def _send_body(send: Send, frame: bytes) -> None:
    await send({"type": "http.response.body", "body": frame, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _client_left(disconnect: asyncio.Future[None], delay: float) -> bool:
    if delay > 0:
        await asyncio.wait({disconnect}, timeout=delay)
    else:
        # Still yield once, so a disconnect is noticed between chunks.
        await asyncio.sleep(0)
    return disconnect.done()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI/Anthropic/Gemini server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-per-chunk", type=float, default=0.0)
    parser.add_argument("--chunks", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    provider = FakeProvider(
        host=args.host,
        port=args.port,
        delay_per_chunk=args.delay_per_chunk,
        default_chunks=args.chunks,
    )
    logger.info("fake provider listening on %s", provider.url)
    provider.serve_forever()


if __name__ == "__main__":
    main()
