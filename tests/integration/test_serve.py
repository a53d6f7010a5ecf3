"""`rosetta serve` as a user starts it: flags, environment, worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from clients.ws import WsClient
from gateway.taken_port import taken_port_refusal
from tests.integration.test_readme import free_port
from tests.support import book_fields

ROSETTA = str(Path(sys.executable).parent / "rosetta")


@contextmanager
def rosetta_serve(args: Sequence[str], env: dict[str, str] | None = None) -> Iterator[str]:
    """Runs the console script until the block ends; yields its base URL once it is live."""
    with rosetta_server(args, env) as (base, _process):
        yield base


@contextmanager
def rosetta_server(
    args: Sequence[str], env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `rosetta_serve`, with the server's process too; it has exited when the block ends."""
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [ROSETTA, "serve", "--port", str(port), "--log-level", "warning", *args],
            env=os.environ | (env or {}),
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_live(base, process, errors)
            yield base, process
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stops a server as an operator would, with SIGTERM to it and its workers; then waits."""
    with contextlib.suppress(ProcessLookupError):  # stopped already
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wait_until_live(base: str, process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            errors.seek(0)
            raise AssertionError(errors.read().decode())
        assert time.monotonic() < deadline, "rosetta serve did not start"
        time.sleep(0.1)


def test_flags_choose_the_database_and_seeding(tmp_path: Path) -> None:
    db = tmp_path / "flags.db"
    with rosetta_serve(["--db", str(db), "--no-seed"]) as base:
        assert httpx.get(f"{base}/rest/books").json()["total"] == 0
    assert db.exists()


def test_environment_variables_configure_the_same_settings(tmp_path: Path) -> None:
    env = {"ROSETTA_DB": f"sqlite:///{tmp_path / 'env.db'}", "ROSETTA_API_TOKEN": "from-env"}
    with rosetta_serve([], env=env) as base:
        assert httpx.get(f"{base}/rest/books").json()["total"] > 0
        refused = httpx.post(f"{base}/rest/books", json=book_fields())
        assert refused.status_code == 401
        allowed = httpx.post(
            f"{base}/rest/books", json=book_fields(), headers={"Authorization": "Bearer from-env"}
        )
        assert allowed.status_code == 201
    assert (tmp_path / "env.db").exists()


MAX_ADDS = 200


def test_each_worker_names_itself_on_every_answer(tmp_path: Path) -> None:
    with rosetta_serve(["--db", str(tmp_path / "ids.db"), "--workers", "2"]) as base:
        workers = set()
        for _ in range(MAX_ADDS):
            with httpx.Client(base_url=base) as client:
                workers.add(client.get("/healthz").headers["Rosetta-Worker"])
            if len(workers) == 2:
                break
        assert len(workers) == 2, workers
        assert all(len(worker) == 8 for worker in workers), workers


def test_two_workers_share_the_data_and_every_event(tmp_path: Path) -> None:
    """Changes land in whichever worker; the event outbox brings all of them to a subscriber,
    those made on the worker it is not connected to too (the Rosetta-Worker header says which
    worker served each connection)."""
    with rosetta_serve(["--db", str(tmp_path / "workers.db"), "--workers", "2"]) as base:
        watcher = WsClient(base)
        assert watcher.connection.response is not None  # the handshake's answer
        watched_worker = watcher.connection.response.headers["Rosetta-Worker"]
        watcher.subscribe("book.added")
        added, elsewhere = [], []
        # A new connection each time, which the kernel hands to either worker; until some
        # changes have landed on the other one, with a bound for a worker that never accepts.
        for _ in range(MAX_ADDS):
            with httpx.Client(base_url=base) as client:
                answer = client.post("/rest/books", json=book_fields())
            assert answer.status_code == 201, answer.text
            added.append(answer.json()["isbn"])
            if answer.headers["Rosetta-Worker"] != watched_worker:
                elsewhere.append(added[-1])
            if len(elsewhere) >= 3 and len(added) >= 8:
                break
        assert len(elsewhere) >= 3, f"all {len(added)} changes landed on the watcher's worker"
        seen = []
        for event in watcher.events(timeout=10):
            # The other worker may still be seeding the sample books: those events are real too.
            if event["data"]["isbn"] in added:
                seen.append(event)
            if len(seen) == len(added):
                break
        watcher.close()
        assert sorted(e["data"]["isbn"] for e in seen) == sorted(added)
        seqs = [e["seq"] for e in seen]
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == len(seqs)


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django", "tornado"])
def test_a_taken_port_is_refused_with_the_way_to_choose_another(
    tmp_path: Path, framework: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        refusal = taken_port_refusal("127.0.0.1", port)
        database = tmp_path / "never.db"
        done = subprocess.run(
            [
                ROSETTA,
                "serve",
                "--framework",
                framework,
                "--port",
                str(port),
                "--db",
                str(database),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert (done.returncode, done.stderr) == (1, f"{refusal}\n")
    assert f"--port {port + 1}" in done.stderr
    assert not database.exists()  # refused before the catalogue was opened
