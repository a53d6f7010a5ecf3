"""A throwaway PostgreSQL server for the tests, when the machine has one installed.

The storage speaks PostgreSQL through asyncpg as well as SQLite; these tests keep that true.
The server runs from a temporary folder on a free port and is stopped after the session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.system_programs import SystemProgram


def postgres_bin() -> Path | None:
    # Debian keeps every tool of a version together; PATH may hold only some of them.
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    found = candidates[-1] if candidates else shutil.which("initdb")
    return Path(found).parent if found else None


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root: as root, use the `postgres` account."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "unavailable"
    return "postgres"


def why_unavailable() -> str | None:
    if postgres_bin() is None:
        return "PostgreSQL is not installed (initdb not found)"
    if _run_as() == "unavailable":
        return "running as root without a `postgres` account to start PostgreSQL"
    return None


POSTGRES = SystemProgram("postgres", "postgresql", why_unavailable)


def _command(user: str | None, *args: str) -> list[str]:
    if user is None:
        return list(args)
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in args)]


def _quietly(command: list[str]) -> None:
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class PostgresServer:
    """A throwaway server that a test may stop and start again, same data, same port."""

    url: str  # without a database name: `postgresql://rosetta@127.0.0.1:PORT`
    user: str | None  # the account it runs as, when not this process's
    pg_ctl: tuple[str, ...]  # pg_ctl with the data folder and the server's options
    data: Path  # the data folder, where postmaster.pid names the running server

    def stop(self) -> None:
        """Stops at once, as an operator's fast shutdown does: sessions are cut."""
        _quietly(_command(self.user, *self.pg_ctl, "-m", "fast", "stop"))

    def start(self) -> None:
        """Starts again and returns once the server accepts connections."""
        _quietly(_command(self.user, *self.pg_ctl, "-w", "start"))

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The server hung while inside: alive, its sockets open, answering nothing.

        Every process is stopped (SIGSTOP), the postmaster first so that it forks no new one,
        and continued on the way out whatever happened, so no test leaves a server hung.
        """
        postmaster = self._postmaster()
        try:
            os.kill(postmaster, signal.SIGSTOP)
            # Each child of the postmaster runs in a session of its own: no signal to a
            # process group reaches them all.
            for child in _children(postmaster):
                os.kill(child, signal.SIGSTOP)
            yield
        finally:
            for process in (*_children(postmaster), postmaster):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process, signal.SIGCONT)

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])


def _children(parent: int) -> list[int]:
    """The processes whose parent is `parent`, from /proc (Linux, as the server's tools are)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The parent's pid follows the command's name, which is in parentheses and may
            # itself hold spaces or parentheses.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(stat.parent.name))
    return children


@contextmanager
def restartable_postgres_server() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    assert bin_dir is not None
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="rosetta-pg-"))
    if user is not None:
        shutil.chown(folder, user)
    data = folder / "data"
    port = _free_port()
    _quietly(
        _command(user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "rosetta")
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = (str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"))
    server = PostgresServer(f"postgresql://rosetta@127.0.0.1:{port}", user, pg_ctl, data)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test already
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a server URL without a database name: `postgresql://rosetta@127.0.0.1:PORT`."""
    with restartable_postgres_server() as server:
        yield server.url


def create_database(server_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    host_port = server_url.rsplit("@", 1)[1]
    host, port = host_port.split(":")
    bin_dir = postgres_bin()
    assert bin_dir is not None
    _quietly([str(bin_dir / "createdb"), "-h", host, "-p", port, "-U", "rosetta", name])
    return f"{server_url}/{name}"
