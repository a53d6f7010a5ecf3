"""The Makefile's choice of Python: a clear word, and no environment made, when none fits."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def outside_make() -> dict[str, str]:
    """This environment without what an outer `make test PYTHON=...` passes down to make."""
    passed_down = {"PYTHON", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    return {name: value for name, value in os.environ.items() if name not in passed_down}


def make_lint(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """`make lint` in a copy of the Makefile, so that nothing it could make lands in the tree."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    done = subprocess.run(
        [shutil.which("make") or "make", "--no-print-directory", "lint"]
        + [f"{name}={value}" for name, value in variables.items()],
        cwd=tmp_path,
        env=outside_make() | {"PATH": str(tmp_path / "no-such-folder")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert not list(tmp_path.glob(".venv*")), "an environment was made"
    return done


def test_without_any_python_3_11_or_newer_make_says_what_to_do(tmp_path: Path) -> None:
    done = make_lint(tmp_path)
    assert done.returncode != 0
    assert "No Python 3.11 or newer found (tried: python3 " in done.stderr
    assert "make test PYTHON=/path/to/python3.12" in done.stderr


def test_a_python_older_than_3_11_is_refused_by_name(tmp_path: Path) -> None:
    old = tmp_path / "python3.10"
    old.write_text("#!/bin/sh\n# answers as Python 3.10 would: too old\nexit 1\n")
    old.chmod(0o755)
    done = make_lint(tmp_path, PYTHON=str(old))
    assert done.returncode != 0
    assert f"PYTHON={old} is not a working Python 3.11 or newer" in done.stderr
