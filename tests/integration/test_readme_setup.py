"""The README's set-up sections as a reader runs them: the PATH line, the configuration table
against `rosetta serve --help`, and the API token section against a gateway it starts itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.test_readme import DOCUMENTED_URL, README, ROOT, free_port

BIN = Path(sys.executable).parent


def section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.index("\n## ", start + 1)
    return README[start:end]


def test_the_path_line_puts_rosetta_on_the_path() -> None:
    line = next(line for line in README.splitlines() if "bin/activate" in line)
    command = line.partition("#")[0].strip()
    if not (ROOT / ".venv" / "bin" / "activate").exists():
        pytest.skip("no .venv in the project folder: the tests run from another environment")
    done = subprocess.run(
        ["bash", "-c", f"{command} && command -v rosetta"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(ROOT / ".venv" / "bin" / "rosetta")


def test_the_configuration_table_lists_every_option_of_serve() -> None:
    shown = subprocess.run(
        [str(BIN / "rosetta"), "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout
    options = set(re.findall(r"^\s+(--[a-z-]+)", shown, re.MULTILINE)) - {"--help"}
    variables = set(re.findall(r"\((ROSETTA_[A-Z_]+)", shown))
    table = section("## Configuration")
    rows = [line for line in table.splitlines() if line.startswith("| `--")]
    documented = {re.match(r"\| `(--[a-z-]+)`", row).group(1) for row in rows}  # type: ignore[union-attr]
    assert documented == options
    for variable in variables:
        assert f"`{variable}`" in table, variable


def test_the_token_section_runs_as_written(tmp_path: Path) -> None:
    text = section("### The API token")
    serve, export, *examples = re.findall(r"^```bash\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    token = re.fullmatch(r"export ROSETTA_API_TOKEN=(\S+)\n", export)
    assert token is not None, export
    assert f"--api-token {token.group(1)}" in serve
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = os.environ | {"ROSETTA_DB": str(tmp_path / "token.db"), "ROSETTA_URL": url}
    command = serve.strip().replace(".venv/bin/", f"{BIN}/") + f" --port {port}"
    server = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(url, server)
        for example in examples:
            script = export + example.replace(DOCUMENTED_URL, url).replace(".venv/bin/", f"{BIN}/")
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            assert "returned_at" in done.stdout, done.stdout
        # Every example gave back what it borrowed, and the token was needed for it.
        loans = httpx.get(f"{url}/rest/loans", params={"open_only": "true"}).json()
        assert loans["items"] == []
        refused = httpx.post(f"{url}/rest/loans", json={"isbn": "9780262033848", "member": "x"})
        assert refused.status_code == 401
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=30) is not None


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, "rosetta serve exited"
        assert time.monotonic() < deadline, "rosetta serve did not start"
        time.sleep(0.2)
