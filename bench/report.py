"""Turn a benchmark's results into a markdown table, a JSON file and a chart."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str]


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _spread(cell: dict[str, float] | None, digits: int = 1) -> str:
    if not cell or not cell.get("n"):
        return "n/a"
    text = _num(cell["median"], digits)
    if cell["n"] > 1:
        text += f" ({_num(cell['min'], digits)}-{_num(cell['max'], digits)})"
    return text


def _ratio(value: float | None, floor: float | None) -> str:
    if value is None or floor is None or not floor or math.isnan(value) or math.isnan(floor):
        return ""
    return f"{value / floor:.2f}x"


def _med(cell: dict[str, float] | None) -> float | None:
    return cell["median"] if cell and cell.get("n") else None


def _flow_rows(mode: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    floor = mode.get("floors", {}).get("langgraph", {})
    for concurrency, point in mode["flows"]["points"].items():
        tag = f"flow c={concurrency}"
        errors = f" — {point['errors']} errors" if point["errors"] else ""
        rows.append((f"{tag} runs/s{errors}", _spread(point["rate"]), "", ""))
        p50 = point["p50_ms"]
        rows.append(
            (
                f"{tag} total p50 / p99 ms",
                f"{_spread(p50)} / {_spread(point['p99_ms'])}",
                f"in-process run p50 {_num(floor.get('p50_ms'))}",
                _ratio(_med(p50), floor.get("p50_ms")) if concurrency == "1" else "",
            )
        )
        rows.append(
            (
                f"{tag} first event p50 / p99 ms",
                f"{_spread(point.get('first_event_p50_ms'), 2)}"
                f" / {_spread(point.get('first_event_p99_ms'), 2)}",
                "",
                "",
            )
        )
        token = point.get("first_token_p50_ms")
        rows.append(
            (
                f"{tag} first token p50 / p99 ms",
                f"{_spread(token, 2)} / {_spread(point.get('first_token_p99_ms'), 2)}",
                f"in-process first token p50 {_num(floor.get('first_token_p50_ms'), 2)}",
                _ratio(_med(token), floor.get("first_token_p50_ms")) if concurrency == "1" else "",
            )
        )
        cpu = point["cpu_ms_per_op"]
        rows.append(
            (
                f"{tag} server CPU ms per flow",
                _spread(cpu, 2),
                f"in-process CPU ms per run {_spread(floor.get('cpu_ms_per_run_spread'), 2)}",
                _ratio(_med(cpu), floor.get("cpu_ms_per_run")),
            )
        )
    return rows


def _leak_rows(mode: dict[str, Any]) -> list[Row]:
    leak = mode["leak"]
    floor = mode.get("floors", {}).get("langgraph", {})
    summary = leak["summary"]
    runs = leak["runs"]
    errors = f" — {summary['errors']} errors" if summary["errors"] else ""
    return [
        (
            f"stateless streamed run (c=10, {runs:,} runs) runs/s{errors}",
            _num(summary["rate"]),
            "",
            "",
        ),
        (
            "server CPU ms per streamed run",
            _num(summary["cpu_ms_per_op"], 2),
            f"in-process CPU ms per run {_spread(floor.get('cpu_ms_per_run_spread'), 2)}",
            _ratio(summary["cpu_ms_per_op"], floor.get("cpu_ms_per_run")),
        ),
        (
            f"RSS MB after {runs:,} runs",
            _num(leak["rss_after_mb"]),
            f"before them {_num(leak['rss_before_mb'])}",
            _ratio(leak["rss_after_mb"], leak["rss_before_mb"]),
        ),
        (
            f"RSS MB after {runs:,} runs, against warm-up",
            _num(leak["rss_after_mb"]),
            f"after warm-up {_num(mode['warm']['rss_mb'])}",
            _ratio(leak["rss_after_mb"], mode["warm"]["rss_mb"]),
        ),
        (
            f"open fds after {runs:,} runs",
            str(leak["fds_after"]),
            f"before them {leak['fds_before']} / after warm-up {mode['warm']['fds']}",
            "",
        ),
        *_pool_rows(leak, mode["warm"], runs),
    ]


def _pool_rows(leak: dict[str, Any], warm: dict[str, Any], runs: int) -> list[Row]:
    """The fds split into the database pool's connections and the rest (results without
    the split, from before it was measured, get no rows)."""
    if "pg_connections_after" not in leak or not warm.get("pg_connections"):
        return []
    return [
        (
            f"PostgreSQL connections after {runs:,} runs",
            str(leak["pg_connections_after"]),
            f"before them {leak['pg_connections_before']} / after warm-up {warm['pg_connections']}",
            "",
        ),
        (
            f"other open fds after {runs:,} runs",
            str(leak["fds_after"] - leak["pg_connections_after"]),
            f"before them {leak['fds_before'] - leak['pg_connections_before']}"
            f" / after warm-up {warm['fds'] - warm['pg_connections']}",
            "",
        ),
    ]


def _memory_rows(mode: dict[str, Any]) -> list[Row]:
    flows = mode["flows"]
    return [
        ("RSS MB idle (after start)", _num(mode["idle"]["rss_mb"]), "", ""),
        (
            "RSS MB after warm-up / fds",
            f"{_num(mode['warm']['rss_mb'])} / {mode['warm']['fds']}",
            "",
            "",
        ),
        ("RSS MB peak (through c=50)", _num(flows["rss_peak_mb"]), "", ""),
        (
            "RSS MB after the flows (threads deleted)",
            _num(flows["rss_after_mb"]),
            f"before c=50 {_num(flows['rss_before_mb'])}",
            _ratio(flows["rss_after_mb"], flows["rss_before_mb"]),
        ),
    ]


def _crud_rows(mode: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    floors = mode.get("floors", {})
    base = "starlette_row" if "starlette_row" in floors else "starlette_json"
    bare_name = "uvicorn+psycopg" if base == "starlette_row" else "uvicorn+Starlette"
    bare = {
        "threads.get": floors.get(base),
        "threads.get c=1": floors.get(f"{base} c=1"),
        "threads.get (wrk)": floors.get(f"{base} (wrk)"),
    }
    trip = floors.get("psycopg")
    for name, point in mode["crud"].items():
        errors = f" ({point['errors']} errors)" if point["errors"] else ""
        floor = bare.get(name)
        rate_floor = rate_ratio = p50_floor = p50_ratio = ""
        if floor:
            rate_floor = f"{bare_name} {_num(_med(floor.get('rate')))}"
            rate_ratio = _ratio(_med(point["rate"]), _med(floor.get("rate")))
            p50_floor = f"{bare_name} p50 {_num(_med(floor.get('p50_ms')), 2)}"
            p50_ratio = _ratio(_med(point["p50_ms"]), _med(floor.get("p50_ms")))
        if name == "threads.create c=1" and trip:
            p50_floor = f"psycopg insert+select p50 {_num(trip['p50_ms'], 2)}"
            p50_ratio = _ratio(_med(point["p50_ms"]), trip["p50_ms"])
        rows.append((f"{name} req/s{errors}", _spread(point["rate"]), rate_floor, rate_ratio))
        latency = f"{_spread(point['p50_ms'], 2)} / {_spread(point['p99_ms'], 2)}"
        rows.append((f"{name} p50 / p99 ms", latency, p50_floor, p50_ratio))
        if "cpu_ms_per_op" in point:
            rows.append((f"{name} server CPU ms", _spread(point["cpu_ms_per_op"], 3), "", ""))
    if not mode.get("has_store"):
        rows.append(("store put/get/search", "n/a (no /store endpoints)", "", ""))
    return rows


def _growth_rows(mode: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    turns = mode["turns"]
    first, last = min(turns, key=int), max(turns, key=int)
    for key, label in (("p50_ms", "run p50 ms"), ("cpu_ms_per_op", "server CPU ms per run")):
        rows.append(
            (
                f"messages-tuple turn {last} {label}",
                _num(turns[last][key], 2),
                f"turn {first} {_num(turns[first][key], 2)}",
                _ratio(turns[last][key], turns[first][key]),
            )
        )
    floor = mode.get("floors", {}).get("langgraph", {})
    for turn in (first, last):
        in_process = floor.get(f"turn_{turn}_cpu_ms")
        if in_process is not None:
            rows.append(
                (
                    f"turn {turn} server CPU ms per run",
                    _num(turns[turn]["cpu_ms_per_op"], 2),
                    f"in-process turn {turn} {_num(in_process, 2)}",
                    _ratio(turns[turn]["cpu_ms_per_op"], in_process),
                )
            )
    history = mode["history"]
    smallest = min(history, key=int)
    for n, cell in history.items():
        for key, label in (
            ("state_p50_ms", "state p50 ms"),
            ("state_cpu_ms", "state server CPU ms"),
            ("history_p50_ms", "history limit=10 p50 ms"),
            ("history_cpu_ms", "history limit=10 server CPU ms"),
            ("first_state_p50_ms", "state p50 ms, first read"),
            ("first_state_cpu_ms", "state server CPU ms, first read"),
            ("first_history_p50_ms", "history limit=10 p50 ms, first read"),
            ("first_history_cpu_ms", "history limit=10 server CPU ms, first read"),
        ):
            if key not in cell:
                continue
            rows.append(
                (
                    f"{label}, {n} messages",
                    _num(cell[key], 2),
                    f"{smallest} messages {_num(history[smallest][key], 2)}",
                    _ratio(cell[key], history[smallest][key]),
                )
            )
    search = mode["search"]
    rows.append(
        (
            f"thread search p50 ms, {search['threads']:,} threads",
            _num(search["large_p50_ms"], 2),
            f"few threads {_num(search['small_p50_ms'], 2)}",
            _ratio(search["large_p50_ms"], search["small_p50_ms"]),
        )
    )
    if search.get("analyzed_p50_ms") is not None:
        rows.append(
            (
                f"thread search p50 ms, {search['threads']:,} threads, after ANALYZE",
                _num(search["analyzed_p50_ms"], 2),
                f"few threads {_num(search['small_p50_ms'], 2)}",
                _ratio(search["analyzed_p50_ms"], search["small_p50_ms"]),
            )
        )
    if search.get("database_p50_ms") is not None:
        rows.append(
            (
                f"thread search p50 ms in the database, {search['threads']:,} threads",
                _num(search["database_p50_ms"], 3),
                "page + count statements, EXPLAIN ANALYZE",
                "",
            )
        )
    rows.append(("thread create req/s (filling)", _num(search["create_rate"]), "", ""))
    store = mode.get("store_search")
    if store:
        smallest = min(store, key=int)
        for total, cell in store.items():
            rows.append(
                (
                    f"store search p50 ms, {int(total):,} items",
                    _num(cell["search_p50_ms"], 2),
                    f"{int(smallest):,} items {_num(store[smallest]['search_p50_ms'], 2)}",
                    _ratio(cell["search_p50_ms"], store[smallest]["search_p50_ms"]),
                )
            )
        for key, label in (
            ("analyzed_search_p50_ms", "after ANALYZE"),
            ("database_search_p50_ms", "in the database"),
        ):
            if all(key in cell for cell in store.values()):
                for total, cell in store.items():
                    rows.append(
                        (
                            f"store search p50 ms {label}, {int(total):,} items",
                            _num(cell[key], 3),
                            f"{int(smallest):,} items {_num(store[smallest][key], 3)}",
                            _ratio(cell[key], store[smallest][key]),
                        )
                    )
    else:
        rows.append(("store search by item count", "n/a", "", ""))
    return rows


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"# agent-runtime benchmark — {meta['date']} — {meta['git_sha'][:10]}"
        f"{' (dirty tree)' if meta['git_dirty'] else ''}",
        "",
        f"{meta['cpu']}, {meta['cpus']} cores, {meta['memory_gb']:.1f} GB, "
        f"Python {meta['python']}, load average at start {meta['loadavg']}. "
        f"Mode: {'quick' if meta['quick'] else 'full'}, {meta['reps']} repetition(s) per point "
        "(median, min-max in brackets). Server pinned to core 0; load generator, fake model "
        "and floors' clients on core 1.",
    ]
    for name, mode in results["modes"].items():
        lines += ["", f"## {name}", ""]
        if "skipped" in mode:
            lines.append(f"Not measured: {mode['skipped']}")
            continue
        if mode.get("errors"):
            lines.append(f"**Errors seen:** {'; '.join(mode['errors'][:5])}")
            lines.append("")
        lines += ["| figure | measured | floor | ratio |", "|---|---|---|---|"]
        for section in (_flow_rows, _leak_rows, _memory_rows, _crud_rows, _growth_rows):
            try:
                rows = section(mode)
            except KeyError as exc:
                rows = [(f"{section.__name__.strip('_')}", f"missing: {exc}", "", "")]
            lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        if seconds := mode.get("seconds"):
            phases = ", ".join(f"{phase} {value:.0f}" for phase, value in seconds.items())
            lines += ["", f"Seconds per phase: {phases}."]
    lines += ["", f"Whole run: {meta.get('seconds', 0) / 60:.1f} minutes."]
    return "\n".join(lines) + "\n"


def write_json(results: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    meta = results["meta"]
    stamp = meta["date"].replace(":", "").replace("-", "")
    kind = meta.get("size") or ("quick" if meta["quick"] else "full")
    path = directory / f"{stamp}-{meta['git_sha'][:10]}-{kind}.json"
    path.write_text(json.dumps(results, indent=2, allow_nan=True) + "\n")
    return path


def chart(results: dict[str, Any], path: Path) -> Path | None:
    """Throughput and latency of the agent flow against concurrency, one line per mode."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, mode in results["modes"].items():
        points = mode.get("flows", {}).get("points")
        if not points:
            continue
        levels = sorted(points, key=int)
        xs = [int(c) for c in levels]

        def series(
            key: str, levels: list[str] = levels, points: dict[str, Any] = points
        ) -> tuple[list[float], list[list[float]]]:
            cells = [points[c][key] for c in levels]
            mids = [c["median"] for c in cells]
            errs = [
                [m - c["min"] for m, c in zip(mids, cells, strict=True)],
                [c["max"] - m for m, c in zip(mids, cells, strict=True)],
            ]
            return mids, errs

        rate, rate_err = series("rate")
        left.errorbar(xs, rate, yerr=rate_err, marker="o", capsize=3, label=name)
        for key, style in (("p50_ms", "-"), ("p99_ms", "--"), ("first_token_p50_ms", ":")):
            mids, errs = series(key)
            right.errorbar(
                xs, mids, yerr=errs, marker="o", capsize=3, linestyle=style, label=f"{name} {key}"
            )
    left.set(xscale="log", xlabel="concurrent clients", ylabel="agent flows per second")
    left.set_title("Throughput (create thread → stream run → read state)")
    right.set(xscale="log", yscale="log", xlabel="concurrent clients", ylabel="ms")
    right.set_title("Latency")
    for axis in (left, right):
        axis.set_xticks([1, 10, 50], labels=["1", "10", "50"])
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7)
    meta = results["meta"]
    fig.suptitle(
        f"agent-runtime {meta['git_sha'][:10]} on {meta['cpus']} cores, {meta['date']}", fontsize=9
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
