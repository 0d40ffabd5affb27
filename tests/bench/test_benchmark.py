"""The benchmark, run end to end at its smallest size: every phase of both modes measures
something and meets no error, and the report sets each figure beside its floor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.postgres import ADMIN_DSN, require_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    require_postgres()
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": ADMIN_DSN},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [written] = out.glob("*-smoke.json")
    assert (out / "flow.png").stat().st_size > 0
    return json.loads(written.read_text()), done.stdout


@pytest.mark.parametrize("mode", ["memory", "postgres"])
def test_every_phase_measures_without_errors(
    smoke_run: tuple[dict[str, Any], str], mode: str
) -> None:
    measured = smoke_run[0]["modes"][mode]
    assert "skipped" not in measured and measured["exit_code"] == 0
    assert measured["errors"] == []
    points = measured["flows"]["points"]
    assert sorted(int(c) for c in points) == [1, 10, 50]
    for point in points.values():
        assert point["errors"] == 0 and point["ops"] > 0
        first_event, first_token, total = (
            point[name]["median"] for name in ("first_event_p50_ms", "first_token_p50_ms", "p50_ms")
        )
        assert 0 < first_event <= first_token <= total
        assert point["cpu_ms_per_op"]["median"] > 0
    assert measured["leak"]["summary"]["ops"] == 30
    assert set(measured["turns"]) == {"1", "3"}
    for cell in measured["history"].values():
        for read in ("state", "history", "first_state", "first_history"):
            assert cell[f"{read}_p50_ms"] > 0 and cell[f"{read}_cpu_ms"] >= 0
    floors = measured["floors"]
    assert "error" not in floors["langgraph"] and floors["langgraph"]["cpu_ms_per_run"] > 0
    assert floors["starlette_json"]["errors"] == 0
    if mode == "postgres":
        assert floors["psycopg"]["p50_ms"] > 0
        assert floors["starlette_row"]["errors"] == 0


def test_the_report_sets_figures_beside_their_floors(
    smoke_run: tuple[dict[str, Any], str],
) -> None:
    results, table = smoke_run
    assert results["meta"]["size"] == "smoke" and results["meta"]["git_sha"]
    for mode in ("memory", "postgres"):
        assert f"## {mode}" in table
    floor_rows = [line for line in table.splitlines() if "in-process CPU ms per run" in line]
    assert len(floor_rows) >= 2
    assert all(line.rstrip(" |").endswith("x") for line in floor_rows)
