"""The README's commands and code, run against a live gateway, so they never rot."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live import LiveGateway
from tests.system_programs import CURL

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCUMENTED_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def localised(code: str, gateway: LiveGateway) -> str:
    return code.replace(DOCUMENTED_URL, gateway.url).replace(
        DOCUMENTED_URL.replace("http", "ws"), gateway.url.replace("http", "ws")
    )


def environment(gateway: LiveGateway) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return os.environ | {"ROSETTA_URL": gateway.url, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_the_readme_has_shell_and_python_examples() -> None:
    assert len(blocks("sh")) >= 3
    assert len(blocks("python")) >= 3


@pytest.mark.parametrize("index", range(len(blocks("sh"))))
def test_readme_shell_example_runs(gateway: LiveGateway, index: int) -> None:
    command = localised(blocks("sh")[index], gateway)
    if command.startswith("curl"):
        CURL.need()
    command = command.replace(".venv/bin/python", sys.executable)
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=environment(gateway),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Clean Code" in done.stdout


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_readme_python_example_runs(gateway: LiveGateway, index: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", localised(blocks("python")[index], gateway)],
        cwd=ROOT,
        env=environment(gateway),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Clean Code" in done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_make_run_serves_the_sample_books(tmp_path: Path) -> None:
    """`make run` as the README says, with its port and database moved out of the way."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed on this machine")
    port = free_port()
    env = os.environ | {"ROSETTA_PORT": str(port), "ROSETTA_DB": str(tmp_path / "run.db")}
    server = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "make run exited"
            assert time.monotonic() < deadline, "make run did not start in time"
            time.sleep(0.2)
        assert httpx.get(f"{base}/rest/books/9780132350884").json()["title"] == "Clean Code"
        assert httpx.get(f"{base}/rest/docs").status_code == 200
        assert "wsdl:definitions" in httpx.get(f"{base}/soap?wsdl").text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=30) is not None
