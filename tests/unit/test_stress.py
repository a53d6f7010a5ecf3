"""`make test-stress` narrowed to a few seconds: loaded runs in a row, stopping at a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import stress

ROOT = Path(__file__).resolve().parents[2]


def test_the_makefile_target_runs_this_entry() -> None:
    assert "$(BIN)/python -m tests.stress $(STRESS_ARGS)" in (ROOT / "Makefile").read_text()


def test_passing_runs_are_counted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    narrowed = ["--runs", "2", "--busy", "1", "--", "tests/unit/test_operation_table.py"]
    assert stress.main(narrowed) == 0
    assert "2 loaded runs passed" in capsys.readouterr().out


def test_the_first_failing_run_stops_the_stress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = tmp_path / "test_fails.py"
    failing.write_text("def test_fails() -> None:\n    assert False\n")
    monkeypatch.chdir(tmp_path)
    assert stress.main(["--runs", "3", "--busy", "1", "--", str(failing)]) != 0
    out = capsys.readouterr().out
    assert "stress run 1 failed" in out
    assert "stress run 2" not in out
