"""The `agent-runtime` command: validate settings, configure logs, serve with uvicorn."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from types import FrameType

import uvicorn

from agent_runtime.config import ConfigError, load_settings
from agent_runtime.logs import configure_logging
from agent_runtime.shutdown import ShutdownClock

logger = logging.getLogger(__name__)


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.stderr.write(f"agent-runtime: {exc}\n")
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)

    from agent_runtime.app import create_app  # after logging, so import-time logs are formatted
    from agent_runtime.graphs.loader import GraphLoadError

    clock = ShutdownClock()
    try:
        app = create_app(settings, shutdown=clock)
    except GraphLoadError as exc:
        sys.stderr.write(f"agent-runtime: {exc}\n")
        raise SystemExit(2) from None
    if settings.database_url is not None:
        # Fail here, with the host named, rather than deep inside the server's start-up.
        from agent_runtime.storage.postgres.connection import DatabaseUnavailable, wait_for_server

        try:
            asyncio.run(wait_for_server(settings.database_url, settings.database_connect_timeout))
        except DatabaseUnavailable as exc:
            sys.stderr.write(f"agent-runtime: {exc}\n")
            raise SystemExit(1) from None
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    # uvicorn traps SIGTERM and SIGINT: it stops accepting, waits for in-flight requests up to
    # the graceful timeout and runs the lifespan's shutdown. It then re-raises the signal
    # against the handlers it found; finding these no-ops, the process exits 0 as a completed
    # shutdown should.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    server = _Server(config, clock)
    server.run()
    if not server.started:
        # The lifespan failed (its error is logged); uvicorn.Server returns quietly then.
        raise SystemExit(1)


class _Server(uvicorn.Server):
    """uvicorn's server, starting the shutdown clock when the stop signal arrives, so the
    drain of requests and the drain of runs share one SHUTDOWN_TIMEOUT."""

    def __init__(self, config: uvicorn.Config, clock: ShutdownClock) -> None:
        super().__init__(config)
        self._clock = clock

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._clock.start()
        super().handle_exit(sig, frame)


if __name__ == "__main__":
    main()
