"""/metrics with several worker processes: one scrape, whichever worker answers it, counts
what every worker served; a worker that dies keeps its counts and loses its open connections."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from clients.ws import WsClient
from tests.integration.test_serve import MAX_ADDS, rosetta_server
from tests.metrics import sample_sum

GET_BOOK = {"protocol": "rest", "operation": "get_book"}
DEADLINE = 60.0


def scrape(base: str) -> str:
    answer = httpx.get(f"{base}/metrics")
    assert answer.status_code == 200, answer.text
    return answer.text


def calls_over_both_workers(base: str) -> Counter[str]:
    """get_book on a new connection each time, which the kernel hands to either worker, until
    both have served some; the count of calls each worker served, by its Rosetta-Worker id."""
    served: Counter[str] = Counter()
    for _ in range(MAX_ADDS):
        with httpx.Client(base_url=base) as client:
            answer = client.get("/rest/books/9780132350884")
        served[answer.headers["Rosetta-Worker"]] += 1
        if len(served) == 2 and min(served.values()) >= 3:
            break
    assert len(served) == 2, f"one worker served all {served.total()} calls"
    return served


def one_socket_per_worker(base: str, stack: ExitStack) -> dict[str, WsClient]:
    sockets: dict[str, WsClient] = {}
    for _ in range(MAX_ADDS):
        client = WsClient(base)
        assert client.connection.response is not None
        worker = client.connection.response.headers["Rosetta-Worker"]
        if worker in sockets:
            client.close()
            continue
        sockets[worker] = client
        stack.callback(client.close)
        if len(sockets) == 2:
            return sockets
    raise AssertionError("every WebSocket went to the same worker")


def worker_pids(server_pid: int) -> list[int]:
    """The worker processes uvicorn spawned under `rosetta serve` (Linux's /proc)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()  # not a helper process
    ]


def scrapes_until(base: str, done: str) -> Iterator[str]:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        yield scrape(base)
        time.sleep(0.2)
    raise AssertionError(f"still not {done} after {DEADLINE} s")


def test_one_scrape_counts_every_worker_s_calls_and_connections(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    args = ["--db", str(tmp_path / "m.db"), "--workers", "2", "--instance", "books-a"]
    with rosetta_server(args, env={"TMPDIR": str(temporary)}) as (base, server):
        served = calls_over_both_workers(base)
        calls = served.total()
        with ExitStack() as stack:
            one_socket_per_worker(base, stack)
            # A socket closed on a worker that already had one may take a moment to be let go.
            for text in scrapes_until(base, "two open WebSockets"):
                if sample_sum(text, "rosetta_websocket_connections") == 2:
                    break
            # Two scrapes, which may reach either worker: each sees both workers' figures.
            for text in (scrape(base), scrape(base)):
                assert sample_sum(text, "rosetta_requests_total", **GET_BOOK) == calls
                durations = sample_sum(text, "rosetta_request_duration_seconds_count", **GET_BOOK)
                assert durations == calls
                assert sample_sum(text, "rosetta_websocket_connections") == 2
                assert sample_sum(text, "rosetta_instance_info", name="books-a") == 1
            # The values live in files under a folder of the server's own.
            (folder,) = temporary.iterdir()
            assert folder.name.startswith("rosetta-metrics-")
            assert any(folder.glob("counter_*.db"))

            # A worker killed outright: uvicorn starts another; the dead one's calls stay
            # counted, and its WebSocket, closed with it, no longer is.
            os.kill(worker_pids(server.pid)[0], signal.SIGKILL)
            for text in scrapes_until(base, "one open WebSocket"):
                if sample_sum(text, "rosetta_websocket_connections") == 1:
                    break
            assert sample_sum(text, "rosetta_requests_total", **GET_BOOK) == calls
    # The server removed its folder as it stopped.
    assert list(temporary.iterdir()) == []


def test_one_worker_keeps_its_metrics_in_memory(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with rosetta_server(["--db", str(tmp_path / "one.db")], env={"TMPDIR": str(temporary)}) as (
        base,
        _server,
    ):
        httpx.get(f"{base}/rest/books/9780132350884")
        text = scrape(base)
        assert sample_sum(text, "rosetta_requests_total", **GET_BOOK) == 1
        # The default name: the address and port it listens on.
        (info,) = (
            s
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if s.name == "rosetta_instance_info"
        )
        assert info.labels["name"] == base.removeprefix("http://")
        assert list(temporary.iterdir()) == []
