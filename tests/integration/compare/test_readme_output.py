"""The README's "Compare the protocols" section: every command in it runs, and its example is
what the command prints today.

The example table and docs/images/compare-get_book.png come from the command shown above
them. To refresh both after a change to what crosses the wire:

    ROSETTA_WRITE_README_EXAMPLE=1 .venv/bin/pytest tests/integration/compare/test_readme_output.py

Without that variable the test only checks: the same rows, the same words, numbers of bytes
and round trips within a few percent (they move when a timestamp or a port number changes
length), and the clients' lines of code and packages exactly, as they follow the code; latency
and import time are not compared, they vary from run to run.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from clients.compare.report_folder import ALL_CALLS
from clients.compare.scratch import SCRATCH_MEMBER
from clients.equality import normalise
from clients.rest import RestClient
from services.isbn import normalize_isbn
from services.sample_data import SAMPLE_BOOKS
from tests.live import LiveGateway

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
CHART = "docs/images/compare-get_book.png"
# The command draws into the current folder, so that a reader who runs it keeps the
# committed chart as it is; the refresh below copies it there.
PLOT = "compare-get_book.png"
EXAMPLE = f"rosetta compare get_book isbn=9780132350884 --format markdown --plot {PLOT}"
BEGIN = (
    "<!-- begin: output of the command above, checked by "
    "tests/integration/compare/test_readme_output.py -->"
)
END = "<!-- end of the output -->"
WRITE = os.environ.get("ROSETTA_WRITE_README_EXAMPLE") == "1"
# What varies from run to run: a whole section, and one row of another.
UNCOMPARED = ("**latency in ms",)
UNCOMPARED_ROWS = ("import time (ms)",)
# What follows the code alone, so it must be exactly what the command prints.
EXACT = ("**client**",)


def section() -> str:
    text = README.read_text()
    start = text.index("## Compare the protocols")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def commands() -> list[str]:
    found = re.findall(r"^```shell\n(.*?)^```", section(), flags=re.DOTALL | re.MULTILINE)
    return [line for block in found for line in block.splitlines() if line.strip()]


def run(command: str, gateway: LiveGateway, cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    env = os.environ | {"ROSETTA_URL": gateway.url, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def table(markdown: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in markdown.splitlines()
        if line.startswith("|")
    ]


def sample_books(client: RestClient) -> list[object]:
    isbns = [normalize_isbn(book["isbn"]) for book in SAMPLE_BOOKS]
    return [normalise(client.get_book(isbn)) for isbn in isbns if isbn]


def test_the_section_shows_calls_comparisons_and_the_example() -> None:
    shown = commands()

    assert any(c.startswith("rosetta call soap get_book") and "--wire" in c for c in shown)
    assert any(c.startswith("rosetta compare --all") for c in shown)
    assert EXAMPLE in shown
    assert BEGIN in section()
    assert f"]({CHART})" in section()


@pytest.mark.parametrize("command", [c for c in commands() if c != EXAMPLE])
def test_every_command_of_the_section_runs(
    gateway: LiveGateway, tmp_path: Path, command: str
) -> None:
    rest = RestClient(gateway.url)
    before, total = sample_books(rest), rest.list_books(limit=1).total

    done = run(command, gateway, tmp_path)

    assert done.returncode == 0, done.stderr
    if command.startswith("rosetta call"):
        assert "Clean Code" in done.stdout
    if "--wire" in command:
        assert "--- on the wire ---" in done.stdout
    if command.startswith("rosetta compare --all"):
        folder = tmp_path / "compare-report"
        report = (folder / "report.md").read_text()
        assert done.stdout.strip() == "compare-report/report.md"
        for operation in ALL_CALLS:
            assert f"\n## {operation}\n" in report
            assert f"](compare-{operation}.png)" in report
            assert (folder / f"compare-{operation}.png").stat().st_size > 10_000
        assert (folder / "overview.png").exists()
        assert "| no |" not in report
    elif command.startswith("rosetta compare"):
        assert "same domain values as REST" in done.stdout
    # Whatever the command did, the sample books are as they were, and no scratch is left.
    assert sample_books(rest) == before
    assert rest.list_books(limit=1).total == total
    assert rest.list_loans(member=SCRATCH_MEMBER, open_only=True) == []
    rest.close()


def test_the_example_is_what_the_command_prints(gateway: LiveGateway, tmp_path: Path) -> None:
    done = run(EXAMPLE, gateway, tmp_path)
    assert done.returncode == 0, done.stderr
    chart = tmp_path / PLOT
    width, height = struct.unpack(">II", chart.read_bytes()[16:24])
    assert (width, height) == (1920, 1080)

    text = README.read_text()
    before, rest = text.split(BEGIN)
    shown, after = rest.split(END)
    if WRITE:
        README.write_text(f"{before}{BEGIN}\n{done.stdout.rstrip()}\n{END}{after}")
        shutil.copyfile(chart, ROOT / CHART)
        return

    printed, documented = table(done.stdout), table(shown)
    assert [row[0] for row in documented] == [row[0] for row in printed]
    section_name = ""
    for mine, theirs in zip(documented, printed, strict=True):
        if mine[0].startswith("**"):
            section_name = mine[0]
            continue
        if section_name.startswith(UNCOMPARED) or mine[0] in UNCOMPARED_ROWS:
            continue
        for documented_cell, printed_cell in zip(mine[1:], theirs[1:], strict=True):
            if section_name.startswith(EXACT):
                assert documented_cell == printed_cell, (mine, theirs)
            elif documented_cell.isdigit() and printed_cell.isdigit():
                a, b = int(documented_cell), int(printed_cell)
                assert abs(a - b) <= max(8, a // 50), (mine, theirs)
            else:
                assert documented_cell == printed_cell, (mine, theirs)
    assert (ROOT / CHART).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
