"""docs/integration-testing.md, run: its test files, its commands and the failure it shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.live import LiveGateway
from tests.system_programs import CURL

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "integration-testing.md").read_text()
DOCUMENTED_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)
BLOCKS = FENCE.findall(PAGE)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCKS if lang == language]


def example_files() -> dict[str, str]:
    """The page's Python blocks by the file name on their first line (`# test_library.py`)."""
    return {body.splitlines()[0].removeprefix("# "): body for body in blocks("python")}


def commands(mentioning: str) -> list[str]:
    return [body.strip() for body in blocks("sh") if mentioning in body]


def run(
    command: str, gateway: LiveGateway, cwd: Path, own_environment: bool = False, timeout: int = 100
) -> subprocess.CompletedProcess[str]:
    """A command of the page, with the live gateway's URL and, unless the project has an
    environment of its own (`own_environment`), this environment's tools."""
    bin_dir = str(Path(sys.executable).parent)
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ROSETTA_", "VIRTUAL_ENV", "PYTHON"))
    }
    environment["ROSETTA_URL"] = gateway.url  # the page's commands without a URL read it
    # Plugins of this environment that a user's project need not have; they only slow pytest.
    environment["PYTEST_ADDOPTS"] = "-p no:schemathesis -p no:hypothesispytest -p no:cacheprovider"
    if not own_environment:
        # The reader's project environment (`.venv/bin/`) is, here, this one.
        environment["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
        command = command.replace(".venv/bin/", f"{bin_dir}/")
    return subprocess.run(
        ["bash", "-c", command.replace(DOCUMENTED_URL, gateway.url)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,  # 100 s by default: under the suite's own 120 s per test
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's project folder holding the page's test files, and nothing of this repository."""
    for name, source in example_files().items():
        (tmp_path / name).write_text(source)
    return tmp_path


def test_the_page_has_its_test_files_and_commands() -> None:
    assert sorted(example_files()) == ["test_difference.py", "test_library.py"]
    assert len(commands("pytest ")) == 2
    assert len(blocks("sh")) == 5
    assert len(blocks("text")) == 1


@pytest.mark.timeout(900)
def test_the_install_commands_give_a_project_the_plugin(
    gateway: LiveGateway, project: Path
) -> None:
    """The page's install block, run as written in an empty project with this checkout as
    `/path/to/rosetta` and this interpreter as `python3`; then its example test, run with the
    project's own pytest, finds the plugin and passes."""
    [install] = blocks("console")
    install = install.replace("/path/to/rosetta", str(ROOT))
    install = re.sub(r"^python3 ", f"{sys.executable} ", install, flags=re.MULTILINE)
    done = run(install, gateway, project, own_environment=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    [command] = commands("test_library.py")
    done = run(command, gateway, project, own_environment=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout


def test_the_example_test_file_passes(gateway: LiveGateway, project: Path) -> None:
    books = catalogue_size(gateway)
    [command] = commands("test_library.py")
    done = run(command, gateway, project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 passed" in done.stdout  # as the page says
    assert catalogue_size(gateway) == books


def test_the_difference_fails_as_the_page_shows(gateway: LiveGateway, project: Path) -> None:
    books = catalogue_size(gateway)
    [command] = commands("test_difference.py")
    done = run(command, gateway, project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert catalogue_size(gateway) == books  # the failing test still removed its book
    printed = {normalised(line) for line in done.stdout.splitlines()}
    [shown] = blocks("text")
    for line in shown.splitlines():
        if line != "...":  # where the page trims the output
            assert normalised(line) in printed, line


def catalogue_size(gateway: LiveGateway) -> int:
    total: int = httpx.get(f"{gateway.rest_url}/books", params={"limit": 1}).json()["total"]
    return total


def normalised(line: str) -> str:
    """A line of pytest's report without its `E` marker and indentation."""
    return re.sub(r"^E(\s|$)", "", line).strip()


@pytest.mark.parametrize("command", commands("clients"))
def test_the_client_commands_run(gateway: LiveGateway, command: str) -> None:
    if command.startswith("clients/curl"):
        CURL.need()
    done = run(command, gateway, ROOT)
    assert done.returncode == 0, done.stderr
    assert "Clean Code" in done.stdout
