"""Server processes under test: started on a free loopback port, pinned, watched, stopped.

Each server runs in its own process pinned to one core, the load generator on the other, so
the two never share a core. Every server opens its own fresh SQLite catalogue with the sample
books, through the same domain service the gateway uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: `argv` gets `--port N` appended, and `--db PATH` if it has
    storage (the limit servers answer captured bytes and have none)."""

    name: str
    label: str  # what the report calls it, such as "spyne on bjoern"
    argv: tuple[str, ...]
    ready_path: str  # a GET that answers 200 once the server is up
    has_storage: bool = True


@dataclass
class Running:
    spec: ServerSpec
    process: subprocess.Popen[bytes]
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User and system time of the server process so far, all its threads included."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc: memory cannot be measured here")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def cores() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def pin_plan() -> tuple[set[int] | None, set[int] | None]:
    """(server cores, load generator cores): the first core for servers, the rest for load."""
    available = cores()
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


@contextlib.contextmanager
def running(
    specs: Iterable[ServerSpec], db_dir: Path, server_cores: set[int] | None
) -> Iterator[dict[str, Running]]:
    """Every server started at once (their imports overlap), each ready before this yields."""
    servers: dict[str, Running] = {}
    logs: list[IO[bytes]] = []
    try:
        for spec in specs:
            port = free_port()
            argv = [sys.executable, *spec.argv, "--port", str(port)]
            if spec.has_storage:
                argv += ["--db", str(db_dir / f"{spec.name}.db")]
            logs.append((db_dir / f"{spec.name}.log").open("wb"))
            process = subprocess.Popen(argv, stdout=logs[-1], stderr=subprocess.STDOUT)  # noqa: S603
            servers[spec.name] = Running(spec, process, port)
            if server_cores:
                os.sched_setaffinity(process.pid, server_cores)
        for server in servers.values():
            _wait_ready(server, db_dir / f"{server.spec.name}.log")
        yield servers
    finally:
        _stop([server.process for server in servers.values()])
        for log in logs:
            log.close()


def service_floor(
    db_dir: Path, server_cores: set[int] | None, seconds: float
) -> dict[str, dict[str, float]]:
    """CPU microseconds per call of the service alone and of the bare driver (bench.floor), on
    SQLite (what the servers use), on the servers' core: {"service": {op: us}, "driver": ...}."""
    argv = [sys.executable, "-m", "bench.floor", "--db", str(db_dir / "floor.db")]
    argv += ["--postgres", "none", "--json"]
    process = subprocess.Popen(  # noqa: S603
        [*argv, "--seconds", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if server_cores:
        os.sched_setaffinity(process.pid, server_cores)
    out, err = process.communicate(timeout=START_TIMEOUT + 10 * seconds)
    if process.returncode != 0:
        raise RuntimeError(f"bench.floor failed: {err.decode()[-2000:]}")
    floor: dict[str, dict[str, float]] = json.loads(out)["sqlite"]
    return floor


def _wait_ready(server: Running, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    url = f"http://{HOST}:{server.port}{server.spec.ready_path}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.spec.label} exited at start:\n{log.read_text()[-2000:]}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as answer,  # a loopback URL of our own
        ):
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{server.spec.label} did not answer {url} within {START_TIMEOUT} s")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Asks every server to shut down at once, then waits; kills any that will not."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
