"""The processes a benchmark drives: the server, the fake model, fresh databases, /proc readings."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The server gets core 0; this process, the fake model and the floors' clients get core 1.
SERVER_CORE = "0"
CLIENT_CORE = 1


def pinned(argv: list[str], core: str) -> list[str]:
    """`argv` under `taskset -c core` when taskset exists and the machine has that core."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", core, *argv]
    return argv


def pin_self() -> None:
    if (os.cpu_count() or 1) > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {CLIENT_CORE})


@dataclass
class ProcStats:
    cpu_seconds: float
    # In clock ticks, but includes threads that have exited (schedstat only sees live ones).
    cpu_ticks_seconds: float
    rss_mb: float
    hwm_mb: float
    fds: int
    # Of `fds`, TCP connections to PostgreSQL: the pool's, which grow with demand up to
    # `DATABASE_POOL_MAX_SIZE` and close when idle, so they are counted apart from the rest.
    pg_connections: int


def proc_stats(pid: int) -> ProcStats:
    """CPU time (user+system), resident and peak-resident memory, and open descriptors."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    rss = int(status["VmRSS"].split()[0]) / 1024
    hwm = int(status["VmHWM"].split()[0]) / 1024
    return ProcStats(
        cpu_seconds=cpu_seconds(pid),
        cpu_ticks_seconds=_stat_cpu(pid),
        rss_mb=rss,
        hwm_mb=hwm,
        fds=len(os.listdir(f"/proc/{pid}/fd")),
        pg_connections=_connections_to(pid, POSTGRES_PORT),
    )


POSTGRES_PORT = 5432


def _connections_to(pid: int, port: int) -> int:
    """The process's TCP sockets whose remote end is `port`."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            # rem_address is HEXIP:HEXPORT; the socket's inode is the tenth field.
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                count += 1
    return count


def cpu_seconds(pid: int) -> float:
    """CPU time of the process: nanosecond schedstat over its live threads, else /proc/stat.

    /proc/<pid>/stat counts in clock ticks (10 ms), too coarse for a handful of runs.
    """
    total_ns = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            total_ns += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
        return total_ns / 1e9
    except (FileNotFoundError, ProcessLookupError):
        return _stat_cpu(pid)


def cpu_used(before: ProcStats, after: ProcStats) -> float:
    """CPU seconds between two readings, precise unless threads exited in between."""
    precise = after.cpu_seconds - before.cpu_seconds
    coarse = after.cpu_ticks_seconds - before.cpu_ticks_seconds
    # A gap beyond the ticks' rounding means a thread's time left with the thread.
    return coarse if coarse - precise > 3 / CLOCK_TICKS else precise


def _stat_cpu(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited early:\n{log.read_text(errors='replace')}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{proc.args} did not answer at {url} in {timeout}s")


class Child:
    """A child process on a free port with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = Path(f"/tmp/agent-runtime-bench-{name}-{port}.log")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=out, cwd=ROOT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, path: str) -> Child:
        wait_http(self.url + path, self.proc, self.log)
        return self

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def start_fake_model() -> Child:
    """The test suite's fake provider, with no latency, on the client core."""
    port = free_port()
    argv = [sys.executable, "-m", "tests.fakes.providers", "--port", str(port), "--chunks", "4"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = Child("fake-model", pinned(argv, str(CLIENT_CORE)), env, port)
    # Any path answers (404 for unknown routes), which is enough to know it listens.
    return child.wait_ready("/")


def start_server(fake_model_url: str, database_url: str | None) -> Child:
    """`agent-runtime` as a user starts it, pinned to the server core."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")},
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_FORMAT": "json",
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": f"{fake_model_url}/v1",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    script = str(Path(sys.executable).with_name("agent-runtime"))
    return Child("server", pinned([script], SERVER_CORE), env, port).wait_ready("/ok")


def postgres_available() -> bool:
    try:
        with psycopg.connect(ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def create_database() -> tuple[str, str]:
    """A fresh empty database; returns (name, dsn)."""
    name = f"agent_runtime_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, urlsplit(ADMIN_DSN)._replace(path=f"/{name}").geturl()


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
