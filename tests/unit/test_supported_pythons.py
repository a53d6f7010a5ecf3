"""The Python versions named in pyproject.toml, the tools' settings and the README agree.

pyproject.toml's classifiers are the tested versions (nox runs the suite on each of them);
the README may name no other, and the lowest of them is the floor everything else uses.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PREFIX = "Programming Language :: Python :: "


def versions_tested() -> list[str]:
    found = (each.removeprefix(PREFIX) for each in PYPROJECT["project"]["classifiers"])
    return sorted((v for v in found if v.count(".") == 1), key=lambda v: int(v.split(".")[1]))


def test_the_lowest_tested_python_is_the_floor_of_every_tool() -> None:
    lowest = versions_tested()[0]
    assert PYPROJECT["project"]["requires-python"] == f">={lowest}"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + lowest.replace(".", "")
    assert PYPROJECT["tool"]["mypy"]["python_version"] == lowest


def test_the_readme_names_the_tested_pythons_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text()
    claim = re.search(r"The whole test suite passes on Python ([\d., and\n]+);", readme)
    assert claim is not None
    assert re.findall(r"3\.\d+", claim.group(1)) == versions_tested()
