"""`make bench-quick` end to end: every server starts, every measurement runs, results are written.

The figures of a quick run mean nothing (tiny loads, a shared machine), so only their presence
and sanity are checked: each call answered without errors, each chart a PNG, each target printed
with its goal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.payloads import OPERATIONS, PROTOCOLS
from bench.run import BASELINE_OF, GATEWAY, LIMIT_OF, LIMIT_OPERATION

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_make_bench_quick_runs_the_entry_tested_here() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbench-quick:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/python -m bench --quick" in recipe


def test_quick_benchmark_measures_every_server_and_writes_its_results(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
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

    targets = (
        "SOAP get_book",
        "REST get_book",
        "WebSocket get_book",
        "one event to",
        "memory per",
        *(
            f"{protocol} {LIMIT_OPERATION}: gateway / {results['labels'][limit]}"
            for protocol, limit in LIMIT_OF.items()
        ),
        *(f"{op}: service alone / bare driver" for op in OPERATIONS),
    )
    for target in targets:
        line = next(line for line in finished.stdout.splitlines() if line.startswith(target))
        assert ">=" in line or "<" in line, line
