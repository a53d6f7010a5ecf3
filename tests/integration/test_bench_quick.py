"""`make bench-quick` end to end: every server starts, every measurement runs, results are written.

The figures of a quick run mean nothing (tiny loads, a shared machine), so only their presence
and sanity are checked: each call answered without errors, each chart a PNG, each target written
and printed with its figure, its goal, a verdict and a margin.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.crossing import TARGET_P99_MS
from bench.payloads import OPERATIONS, PROTOCOLS
from bench.report import (
    CROSSING_NAME,
    FLOOR_TARGET,
    LIMIT_TARGETS,
    PROTOCOL_NAMES,
    RATIO_TARGETS,
)
from bench.run import BASELINE_OF, GATEWAY, LIMIT_OF, LIMIT_OPERATION

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_make_bench_quick_runs_the_entry_tested_here() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbench-quick:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/python -m bench --quick" in recipe


# A bound for a harness that hangs, not a figure: a quick run is about 20 s of load plus the
# start of four servers and the charts, CPU work that a machine busy with other tests (as in
# `make test-stress`) stretches from one minute to several.
HANG_BOUND = 480


def run_bench_quick(results: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bench --quick` in a session of its own: a harness that hangs is killed with
    every server it started, rather than leaving them running after the test."""
    command = [sys.executable, "-m", "bench", "--quick", "--results", str(results)]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as bench:
        try:
            stdout, stderr = bench.communicate(timeout=HANG_BOUND)
        except subprocess.TimeoutExpired:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.communicate()
            pytest.fail(f"python -m bench --quick took more than {HANG_BOUND} s: a hang")
    return subprocess.CompletedProcess(command, bench.returncode, stdout, stderr)


@pytest.mark.timeout(HANG_BOUND + 30)
def test_quick_benchmark_measures_every_server_and_writes_its_results(tmp_path: Path) -> None:
    finished = run_bench_quick(tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text())
    measured = {(r["server"], r["protocol"], r["operation"]): r for r in results["load"]}
    for protocol in PROTOCOLS:
        for operation in OPERATIONS:
            for server in (GATEWAY, BASELINE_OF[protocol]):
                row = measured[(server, protocol, operation)]
                assert row["requests"] > 0, row
                assert row["errors"] == 0, row
    for protocol, limit in LIMIT_OF.items():
        row = measured[(limit, protocol, LIMIT_OPERATION)]
        assert row["requests"] > 0, row
        assert row["errors"] == 0, row
    assert set(results["floor"]) == set(results["driver_floor"]) == set(OPERATIONS)
    assert len(results["bytes"]) == len(PROTOCOLS) * len(OPERATIONS) * 2
    assert all(b["ok"] and b["response_body"] > 0 for b in results["bytes"])
    assert [f["received"] for f in results["fanout"]] == [
        f["subscribers"] for f in results["fanout"]
    ]
    assert {i["server"] for i in results["idle"]} == {GATEWAY, BASELINE_OF["websocket"]}

    for chart in ("throughput", "latency_p50", "latency_p99", "bytes"):
        assert (tmp_path / f"{chart}.png").read_bytes().startswith(PNG_SIGNATURE)
    markdown = (tmp_path / "results.md").read_text()
    assert "## Targets" in markdown
    assert results["machine"]["cpu"] in markdown

    labels = results["labels"]
    ratio_goals = {
        f"{PROTOCOL_NAMES[protocol]} {op}: gateway / {labels[BASELINE_OF[protocol]]}": (
            f">= {goal:.2f}x"
        )
        for protocol, operations, goal in RATIO_TARGETS
        for op in operations
    }
    largest = max(f["subscribers"] for f in results["fanout"])
    limit_goals = {
        f"{PROTOCOL_NAMES[protocol]} {LIMIT_OPERATION}: gateway / {labels[limit]}": (
            f">= {LIMIT_TARGETS[protocol]:.2f}x"
        )
        for protocol, limit in LIMIT_OF.items()
    }
    floor_goals = {
        f"{op}: service alone / bare driver, SQLite (CPU per call)": f"< {FLOOR_TARGET:.2f}x"
        for op in results["driver_floor"]
    }
    # Measured where PostgreSQL can start (the suite's throwaway server), skipped elsewhere.
    measured_crossing = "skipped" not in results["crossing"]
    if measured_crossing:
        assert results["crossing"]["received"] == results["crossing"]["changes"] > 0
    goals = (
        ratio_goals
        | {f"one event to {largest:,} subscribers": "< 250 ms"}
        | limit_goals
        | floor_goals
        | {CROSSING_NAME: f"< {TARGET_P99_MS:.0f} ms"}
        | {"memory per idle WebSocket connection": "< 50 KiB"}
    )
    rows = target_rows(markdown)
    assert [row[0] for row in rows] == list(goals)
    for name, figure, goal, status, margin, _note in rows:
        if name == CROSSING_NAME and not measured_crossing:
            assert (figure, status) == ("n/a", "not measured")
            continue
        assert goal == goals[name]
        unit = goal.split()[-1].lstrip("0123456789.")  # "x", "ms" or "KiB"
        assert re.fullmatch(rf"\d+(\.\d+)?{re.escape(unit)}", figure.replace(" ", ""))
        # No call failed (checked above), so each verdict is the ratio's alone.
        assert status in {"met", "MISSED"}, status
        assert re.fullmatch(r"[+-]\d+%", margin), margin
        printed = next(line for line in finished.stdout.splitlines() if line.startswith(name))
        assert f" {goal} " in printed, printed
        assert f" {status} " in printed, printed


def target_rows(markdown: str) -> list[list[str]]:
    """The cells of the Targets table in results.md, header and rule left out."""
    section = markdown.split("## Targets", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in table[2:]]
