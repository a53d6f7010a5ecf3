"""Servers started for a comparison or a test: `rosetta serve` in a child process, port 0.

The child picks a free port itself and prints the URL it listens on (uvicorn, waitress and
Tornado each do); reading it back leaves no window in which another process could take it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 120.0  # a bound against a server that never starts, not a wait
STOP_TIMEOUT = 15.0
_LISTENING = re.compile(rb"http://[0-9.]+:([0-9]+)")


class ServerError(Exception):
    """A server did not start, or said nowhere which port it took."""


def rosetta_command(*arguments: str) -> list[str]:
    """The `rosetta` command installed beside this interpreter."""
    return [str(Path(sys.executable).with_name("rosetta")), *arguments]


def serve_command(framework: str, db: Path) -> list[str]:
    return rosetta_command(
        "serve", "--framework", framework, "--host", "127.0.0.1", "--port", "0", "--db", str(db)
    )


@contextmanager
def running(command: Sequence[str], log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Starts `command`, yields the http:// URL it announces, and stops it on the way out."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("ROSETTA_")}
    child_env.update(env or {})
    with log.open("wb") as out:
        # The command is this project's own server, never user input.
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=child_env)  # noqa: S603
    try:
        yield f"http://127.0.0.1:{_announced_port(process, log)}"
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def framework_server(framework: str, folder: Path | None = None) -> Iterator[str]:
    """`rosetta serve --framework NAME` on a fresh database with the sample books."""
    with tempfile.TemporaryDirectory(prefix=f"rosetta-{framework}-") as scratch:
        where = folder or Path(scratch)
        command = serve_command(framework, where / f"{framework}.db")
        with running(command, where / f"{framework}.log") as url:
            yield url


def _announced_port(process: subprocess.Popen[bytes], log: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = _LISTENING.search(log.read_bytes())
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            raise ServerError(f"{process.args!r} ended ({process.returncode}): {log.read_text()}")
        time.sleep(0.05)
    raise ServerError(f"{process.args!r} did not announce a port: {log.read_text()}")
