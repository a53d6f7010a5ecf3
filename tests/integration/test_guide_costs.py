"""The guide's table of costs is generated, never typed: docs/costs is what the command writes.

The command the guide gives is run here against a live gateway (into a temporary folder, with
two runs instead of twenty), and the committed report must have exactly the structure of the
fresh one: the same sections, tables, rows and charts, only the measured numbers differ.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_readme import ROOT, environment
from tests.live import LiveGateway

COSTS = ROOT / "docs" / "costs"
GUIDES = ("guide.md", "guide.fr.md")
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)
NUMBER = re.compile(r"\d+(?:\.\d+)?")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


def regenerating_command(guide: str) -> str:
    text = (ROOT / "docs" / guide).read_text()
    commands = [str(body).strip() for body in CONSOLE.findall(text) if "compare --all" in body]
    assert len(commands) == 1, f"{guide} should give the one command whose output docs/costs is"
    return commands[0]


def structure(report: str) -> list[str]:
    """The report with every measured number replaced: what a run cannot change."""
    return [NUMBER.sub("N", line) for line in report.splitlines()]


@pytest.fixture(scope="module")
def fresh_report(gateway: LiveGateway, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("costs")
    command = regenerating_command("guide.md")
    # The guide's command writes into compare-report/ in the current folder, never over the
    # committed docs/costs; here it writes into a temporary folder instead.
    assert command == ".venv/bin/rosetta compare --all"
    words = command.replace(".venv/bin/", f"{Path(sys.executable).parent}/").split()
    words = [*words, "--out", str(folder), "--runs", "2"]
    done = subprocess.run(
        words,
        cwd=ROOT,
        env=environment(gateway),
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return folder / "report.md"


def test_every_guide_gives_the_same_command() -> None:
    assert {regenerating_command(guide) for guide in GUIDES} == {".venv/bin/rosetta compare --all"}


def test_the_committed_report_has_the_structure_the_command_writes(fresh_report: Path) -> None:
    committed = (COSTS / "report.md").read_text()
    assert structure(committed) == structure(fresh_report.read_text())


def test_the_committed_charts_are_there_and_the_guides_show_them() -> None:
    committed = (COSTS / "report.md").read_text()
    for image in IMAGE.findall(committed):
        assert (COSTS / image).stat().st_size > 0, image
    for guide in GUIDES:
        text = (ROOT / "docs" / guide).read_text()
        assert "(costs/report.md)" in text
        assert "(costs/overview.png)" in text
