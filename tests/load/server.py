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
STOP_TIMEOUT = 30.0  # longer than the gateway's own graceful shutdown (10 s)


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
        # Only while the leader lives: once it is reaped, its group id may name someone else's.
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, as a supervisor stops it; SIGKILL if it has not gone within the bound."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

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
    try:
        wait_until_live(server)
    except BaseException:
        server.stop()  # also when the wait itself is interrupted: never leave a server behind
        raise
    return server


def wait_until_live(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.process.poll() is not None:
            raise RuntimeError(f"rosetta serve exited:\n{server.log()}")
        if time.monotonic() > deadline:
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
