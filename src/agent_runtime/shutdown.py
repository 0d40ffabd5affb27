"""One shutdown deadline shared by the HTTP server's drain and the run workers' drain."""

from __future__ import annotations

import time


class ShutdownClock:
    def __init__(self) -> None:
        self._started: float | None = None

    def start(self) -> None:
        """The stop signal arrived; the first call counts."""
        if self._started is None:
            self._started = time.monotonic()

    def remaining(self, budget: float) -> float:
        """What is left of `budget` seconds since the signal (all of it before one)."""
        if self._started is None:
            return budget
        return max(0.0, budget - (time.monotonic() - self._started))
