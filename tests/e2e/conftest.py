from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.providers import FakeProvider
from tests.support.server import ServerProcess

GRAPHS = Path(__file__).resolve().parents[1] / "graphs"
DEMO_GRAPH = GRAPHS / "demo.py"


@pytest.fixture(scope="session")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_provider(provider: FakeProvider) -> None:
    provider.reset()
    provider.delay_per_chunk = 0.0


def runtime_env(provider: FakeProvider) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-fake-openai",
        "OPENAI_BASE_URL": provider.openai_base_url,
        "ANTHROPIC_API_KEY": "sk-fake-anthropic",
        "ANTHROPIC_BASE_URL": provider.anthropic_base_url,
        "MODEL_MAX_RETRIES": "0",
        "AGENT_RUNTIME_GRAPHS": json.dumps(
            {"demo": f"{DEMO_GRAPH}:graph", "probe": f"{GRAPHS / 'probe.py'}:graph"}
        ),
    }


@pytest.fixture(scope="session")
def server(provider: FakeProvider) -> Iterator[ServerProcess]:
    proc = ServerProcess(env=runtime_env(provider)).start()
    try:
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, proc.log()
