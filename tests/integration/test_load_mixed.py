"""The mixed-protocol load, short: a few seconds of REST, SOAP and WebSocket clients racing for
a few copies, against a gateway of its own. `make soak` runs the same for minutes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import gateway_settings
from tests.live import serve
from tests.load.mixed import Plan, run

ROOT = Path(__file__).resolve().parents[2]


def test_concurrent_borrows_and_returns_keep_every_rule(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path, seed=False)
    with serve(settings) as live:
        report = run(live.url, tmp_path / "rosetta.db", Plan(duration=8.0, calls=150))
    assert not report.problems, report.summary()
    # The load must have raced: borrows refused for want of a copy, returns of one loan twice.
    assert report.calls["borrowed"] > 0, report.summary()
    assert report.calls["returned"] > 0, report.summary()
    assert report.calls["conflict"] > 0, report.summary()
    assert min(report.events_seen) == report.calls["borrowed"] + report.calls["returned"]


def test_the_soak_command_runs_on_two_gateway_processes() -> None:
    """`make soak` in brief: the command line, `rosetta serve --workers 2`, the same checks."""
    arguments = ["--duration", "3", "--calls", "40", "--clients", "1", "--subscribers", "2"]
    with subprocess.Popen(
        [sys.executable, "-m", "tests.load.mixed", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as soak:
        try:
            output, _ = soak.communicate(timeout=100)
        except subprocess.TimeoutExpired:
            # SIGTERM rather than run()'s SIGKILL: the soak then stops the gateway it started.
            soak.terminate()
            output, _ = soak.communicate(timeout=60)
            raise AssertionError(f"the soak did not finish:\n{output}") from None
    assert soak.returncode == 0, output
    assert "no problems" in output
