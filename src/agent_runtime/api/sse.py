"""Server-sent events that notice a client leaving even while the run is quiet.

Starlette's `StreamingResponse` only learns of a disconnect when a write fails (under ASGI
2.4 servers); a run waiting on a slow model would keep going for nobody. This response
listens for `http.disconnect` beside the stream and reports it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class EventStreamResponse(StreamingResponse):
    def __init__(
        self,
        body: AsyncIterator[bytes],
        first: bytes = b"",
        headers: dict[str, str] | None = None,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        """`first` is sent with the headers, before `body` is read."""
        super().__init__(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **(headers or {})},
        )
        self._first = first
        self._on_disconnect = on_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if self._first:
            await send({"type": "http.response.body", "body": self._first, "more_body": True})
        pump = asyncio.ensure_future(self._pump(send))
        listen = asyncio.ensure_future(_until_disconnect(receive))
        try:
            done, _ = await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, listen):
                task.cancel()
            for task in (pump, listen):
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
        if pump in done:
            error = pump.exception()
            if error is not None:
                raise error
        elif self._on_disconnect is not None:
            self._on_disconnect()

    async def _pump(self, send: Send) -> None:
        async for chunk in self.body_iterator:
            data = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
