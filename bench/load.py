"""An asyncio load generator that speaks SSE, and the statistics it reports."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench.procs import CLIENT_CORE, pinned

HUMAN = {"messages": [{"role": "user", "content": "hello from the benchmark"}]}
FLOW_MODES = ["messages-tuple", "values"]
TURN_MODES = ["messages-tuple"]


class LoadError(Exception):
    """A request answered with an error status or an SSE `error` event."""


@dataclass
class Sample:
    """One operation's timings in seconds; the stream fields stay None for plain requests."""

    total: float
    first_event: float | None = None
    first_token: float | None = None


@dataclass
class Batch:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall if self.wall else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median with min and max, as repetitions of one point are reported."""
    if not values:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def client(base_url: str, concurrency: int) -> httpx.AsyncClient:
    # uvicorn closes a connection idle for 5 s, httpx keeps one for 5 s: a request sent on a
    # connection in that instant fails with ReadError. Expire idle connections well before.
    limits = httpx.Limits(
        max_connections=concurrency + 5,
        max_keepalive_connections=concurrency,
        keepalive_expiry=2.0,
    )
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120)


class RawClient:
    """Keep-alive HTTP/1.1 connections that send JSON and read whole replies or SSE streams: a
    few times cheaper per request than httpx, so the server, not this process, sets the pace
    and the latencies are the server's rather than the client's."""

    def __init__(self, base_url: str, size: int) -> None:
        parts = httpx.URL(base_url)
        self._address = (parts.host, parts.port or 80)
        self._host = f"{parts.host}:{parts.port}".encode()
        self._size = size
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        self._opened = 0

    async def send(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON reply; a LoadError for an error status."""
        data = await self.read(method, path, body)
        return orjson.loads(data) if data else None

    async def read(self, method: str, path: str, body: Any = None) -> bytes:
        """The reply's body as it came; a LoadError for an error status."""
        async with self._connection() as (reader, writer):
            writer.write(self._request(method, path, body))
            status, headers = await _head(reader)
            data = await _body(reader, headers, status)
        if status >= 400:
            raise LoadError(f"{method} {path}: {status} {data[:200]!r}")
        return data

    async def stream(self, path: str, body: Any) -> AsyncIterator[bytes]:
        """POST `body` and yield the SSE reply's lines as they arrive."""
        async with self._connection() as (reader, writer):
            writer.write(self._request("POST", path, body))
            status, headers = await _head(reader)
            if status != 200:
                data = await _body(reader, headers, status)
                raise LoadError(f"POST {path}: {status} {data[:200]!r}")
            if not re.search(rb"(?i)transfer-encoding:\s*chunked", headers):
                raise LoadError(f"POST {path}: a stream not sent chunked")
            pending = b""
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                pending += (await reader.readexactly(size + 2))[:-2]
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.rstrip(b"\r")
            await reader.readuntil(b"\r\n")  # the end of the (empty) trailer

    def _request(self, method: str, path: str, body: Any) -> bytes:
        head = b"%s %s HTTP/1.1\r\nHost: %s\r\n" % (method.encode(), path.encode(), self._host)
        if body is None:
            return head + b"\r\n"
        payload = orjson.dumps(body)
        return head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
            len(payload),
            payload,
        )

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        """An idle connection or a new one; closed rather than reused after any failure."""
        if self._idle.empty() and self._opened < self._size:
            self._opened += 1
            try:
                connection = await asyncio.open_connection(*self._address)
            except BaseException:
                self._opened -= 1
                raise
        else:
            connection = await self._idle.get()
        try:
            yield connection
        except BaseException:
            connection[1].close()
            self._opened -= 1
            raise
        self._idle.put_nowait(connection)

    async def aclose(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def raw_client(base_url: str, size: int) -> AsyncIterator[RawClient]:
    raw = RawClient(base_url, size)
    try:
        yield raw
    finally:
        await raw.aclose()


async def raw_timed(http: RawClient, method: str, path: str, body: Any = None) -> Sample:
    """Timed to the reply's last byte: parsing it is the client's work, not the server's."""
    start = time.perf_counter()
    await http.read(method, path, body)
    return Sample(total=time.perf_counter() - start)


async def _head(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line, _, headers = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
    return int(status_line.split()[1]), headers


async def _body(reader: asyncio.StreamReader, headers: bytes, status: int) -> bytes:
    length = re.search(rb"(?i)content-length:\s*(\d+)", headers)
    if status == 204:
        return b""
    if length is None:
        raise LoadError(f"a {status} reply without Content-Length")
    return await reader.readexactly(int(length.group(1)))


async def drive(
    concurrency: int, count: int, op: Callable[[int], Awaitable[Sample]], max_errors: int = 20
) -> Batch:
    """Run `op(i)` for i in range(count), `concurrency` at a time; collect samples and errors."""
    batch = Batch()
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count and len(batch.errors) < max_errors:
            i = next_index
            next_index += 1
            try:
                batch.samples.append(await op(i))
            except (LoadError, httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
                batch.errors.append(f"{type(exc).__name__}: {exc}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    batch.wall = time.perf_counter() - start
    return batch


def check(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise LoadError(f"{response.request.method} {response.url.path}: {response.status_code}")
    return response.json() if response.content else None


async def timed(request: Awaitable[httpx.Response]) -> Sample:
    start = time.perf_counter()
    check(await request)
    return Sample(total=time.perf_counter() - start)


def _is_token(line: bytes) -> bool:
    if not line.startswith(b"data: "):
        return False
    chunk, _meta = orjson.loads(line[6:])
    return bool(chunk.get("content")) and chunk.get("type") in {"AIMessageChunk", "ai"}


async def stream_run(http: RawClient, path: str, body: dict[str, Any]) -> Sample:
    """POST an SSE run request and read it to `end`, timing the first event and first token."""
    start = time.perf_counter()
    first_event = first_token = None
    event = b""
    async for line in http.stream(path, body):
        if line.startswith(b"event: "):
            event = line[7:]
            if first_event is None:
                first_event = time.perf_counter() - start
        elif event == b"error" and line.startswith(b"data: "):
            raise LoadError(f"POST {path}: error event {line[6:300]!r}")
        elif first_token is None and event == b"messages" and _is_token(line):
            first_token = time.perf_counter() - start
    if event != b"end":
        raise LoadError(f"POST {path}: stream ended after {event!r}, not end")
    return Sample(time.perf_counter() - start, first_event, first_token)


async def agent_flow(http: RawClient) -> Sample:
    """Create a thread, stream a run on it, read its state: what a chat UI does per message."""
    start = time.perf_counter()
    thread = await http.send("POST", "/threads", {"metadata": {"bench": "flow"}})
    thread_id = thread["thread_id"]
    body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": FLOW_MODES}
    run = await stream_run(http, f"/threads/{thread_id}/runs/stream", body)
    await http.send("GET", f"/threads/{thread_id}/state")
    # First event and token are timed from the stream request, as a UI shows them.
    return Sample(time.perf_counter() - start, run.first_event, run.first_token)


async def stateless_run(http: RawClient) -> Sample:
    body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": FLOW_MODES}
    return await stream_run(http, "/runs/stream", body)


def latency_summary(batch: Batch) -> dict[str, float]:
    """Throughput and latency percentiles in ms for one batch."""
    totals = [s.total * 1000 for s in batch.samples]
    firsts = [s.first_event * 1000 for s in batch.samples if s.first_event is not None]
    tokens = [s.first_token * 1000 for s in batch.samples if s.first_token is not None]
    out = {
        "ops": len(batch.samples),
        "errors": len(batch.errors),
        "rate": batch.rate,
        "p50_ms": percentile(totals, 50),
        "p99_ms": percentile(totals, 99),
    }
    if firsts:
        out |= {"first_event_p50_ms": percentile(firsts, 50)}
        out |= {"first_event_p99_ms": percentile(firsts, 99)}
    if tokens:
        out |= {"first_token_p50_ms": percentile(tokens, 50)}
        out |= {"first_token_p99_ms": percentile(tokens, 99)}
    return out


WRK = shutil.which("wrk")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number = text.rstrip("usm")
    return float(number) * _UNITS[text[len(number) :]]


async def wrk_get(url: str, concurrency: int, seconds: float) -> dict[str, float] | None:
    """GET `url` with wrk (Debian's `wrk`), which outruns this Python client; None without it."""
    if WRK is None:
        return None
    argv = [WRK, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", url]
    proc = await asyncio.create_subprocess_exec(
        *pinned(argv, str(CLIENT_CORE)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    text = out.decode()
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)$", text, re.MULTILINE))
    requests = re.search(r"(\d+) requests in", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if proc.returncode != 0 or not requests or not rate or "50" not in percentiles:
        raise LoadError(f"wrk failed on {url}:\n{text}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return {
        "ops": int(requests.group(1)),
        "errors": errors,
        "rate": float(rate.group(1)),
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
    }
