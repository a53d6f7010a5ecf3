"""`rosetta serve` in a child process, on a free port and its own database.

The soak run and the crash test use it: a separate process is what a user runs, what
`--workers` needs, and the only thing that can be killed with SIGKILL mid-write.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROSETTA = str(Path(sys.executable).parent / "rosetta")
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One running `rosetta serve`; its workers share its process group."""

    process: subprocess.Popen[bytes]
    url: str
    errors: IO[bytes]

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown code runs, as in a crash or an OOM kill."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)

    def log(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace")


def start(db: Path, port: int, errors: IO[bytes], args: Sequence[str] = ()) -> Server:
    """Starts the console script, its stderr into `errors`; returns once /healthz answers."""
    process = subprocess.Popen(
        [ROSETTA, "serve", "--port", str(port), "--db", str(db), "--log-level", "warning", *args],
        stdout=subprocess.DEVNULL,
        stderr=errors,
        start_new_session=True,  # a group of its own, so that kill() reaches every worker
    )
    server = Server(process, f"http://127.0.0.1:{port}", errors)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"rosetta serve exited:\n{server.log()}")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"rosetta serve did not start:\n{server.log()}")
        time.sleep(0.1)


@contextmanager
def running(db: Path, args: Sequence[str] = ()) -> Iterator[Server]:
    """A server for the length of the block, stopped (or found dead) at its end."""
    with tempfile.TemporaryFile() as errors:
        server = start(db, free_port(), errors, args)
        try:
            yield server
        finally:
            server.stop()
