"""A graceful shutdown: calls in flight on every protocol finish, WebSockets hear 1001.

The gateway's storage holds reads of one book at a gate. Calls that reach the gate, and a
REST body still on its way, are in flight when the server is told to stop; the gate opens
only once an idle WebSocket has been told that the server is going away.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close
from websockets.sync.client import ClientConnection, connect

from gateway.settings import Settings
from services.catalogue import Catalogue, load_sample_books
from services.events import EventHub
from services.models import Book
from services.retention import Retention
from services.service import LibraryService
from services.storage.sqlite import SqliteStorage
from tests.conftest import gateway_settings
from tests.integration.hardening.test_ws import silent_client
from tests.integration.soap.test_transport import envelope
from tests.integration.test_serve import rosetta_serve
from tests.live import LiveGateway, serve
from tests.support import book_fields

WAIT = 20.0  # seconds any one step may take before the test fails; never asserted on
GATED_ISBN = "9780132350884"  # a sample book


class Gate:
    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Semaphore(0)

    def wait_for_entries(self, count: int) -> None:
        for _ in range(count):
            assert self.entered.acquire(timeout=WAIT), "a call never reached the gate"


class GatedStorage(SqliteStorage):
    """Storage whose reads of one book wait at the gate, as a slow database would."""

    gate: Gate

    async def get_book(self, isbn: str) -> Book | None:
        if isbn == GATED_ISBN:
            self.gate.entered.release()
            await anyio.to_thread.run_sync(self.gate.opened.wait, WAIT)
        return await super().get_book(isbn)


def gated_opener(gate: Gate) -> Callable[[Settings], Any]:
    async def open_gated(settings: Settings) -> Catalogue:
        storage = GatedStorage(settings.db)
        storage.gate = gate
        await storage.create_schema()
        hub = EventHub(storage, poll_interval=settings.event_poll_interval)
        service = LibraryService(storage, on_change=hub.notify)
        await load_sample_books(service)
        await hub.start()
        return Catalogue(service, hub, storage, Retention(storage, settings.event_retention))

    return open_gated


class InFlight:
    """Calls run in threads; each keeps what it got, or the exception it met."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, call: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                self.results[name] = call()
            except Exception as error:
                self.results[name] = error

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self) -> dict[str, Any]:
        for thread in self.threads:
            thread.join(WAIT)
            assert not thread.is_alive(), f"{thread.name} never finished"
        return self.results


def close_code(ws: ClientConnection) -> tuple[int | None, str]:
    """Reads until the server closes; its close code and reason."""
    try:
        while True:
            ws.recv(WAIT)
    except ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")


def test_calls_in_flight_finish_and_websockets_get_1001(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path)
    gate = Gate()
    calls = InFlight()
    body_started = threading.Event()
    new_book = book_fields()

    def slow_body() -> Iterator[bytes]:
        whole = json.dumps(new_book).encode()
        yield whole[:20]
        body_started.set()  # resumed only once the first part was written to the socket
        gate.opened.wait(WAIT)
        yield whole[20:]

    def ws_call(live: LiveGateway) -> tuple[Any, tuple[int | None, str]]:
        with connect(live.ws_url, proxy=None) as ws:
            request = {"jsonrpc": "2.0", "id": 1, "method": "get_book"}
            ws.send(json.dumps(request | {"params": {"isbn": GATED_ISBN}}))
            answer = json.loads(ws.recv(WAIT))
            return answer, close_code(ws)

    # The WebSockets outlive the block that serves: it is the server that closes them.
    with contextlib.ExitStack() as sockets, serve(settings, opener=gated_opener(gate)) as live:
        idle = sockets.enter_context(connect(live.ws_url, proxy=None))
        subscriber = sockets.enter_context(connect(live.ws_url, proxy=None))
        subscriber.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe"}))
        subscriber.recv(WAIT)

        calls.start(
            "rest post",
            lambda: httpx.post(
                f"{live.rest_url}/books",
                content=slow_body(),
                headers={"Content-Type": "application/json"},
                timeout=WAIT,
            ),
        )
        assert body_started.wait(WAIT)
        book_url = f"{live.rest_url}/books/{GATED_ISBN}"
        calls.start("rest get", lambda: httpx.get(book_url, timeout=WAIT))
        calls.start(
            "soap",
            lambda: httpx.post(
                live.soap_url,
                content=envelope(f"<l:GetBook><l:isbn>{GATED_ISBN}</l:isbn></l:GetBook>"),
                headers={"Content-Type": "text/xml"},
                timeout=WAIT,
            ),
        )
        calls.start("websocket", lambda: ws_call(live))
        gate.wait_for_entries(3)

        def open_when_told_to_go() -> tuple[int | None, str]:
            try:
                return close_code(idle)
            finally:
                gate.opened.set()

        calls.start("idle websocket", open_when_told_to_go)
        calls.start("subscriber", lambda: close_code(subscriber))
    # Leaving `serve` stopped the server, as a signal would: it returns once it has stopped.

    results = calls.finish()
    failed = {name: value for name, value in results.items() if isinstance(value, Exception)}
    assert not failed
    assert results["rest post"].status_code == 201
    assert results["rest get"].status_code == 200
    assert results["rest get"].json()["isbn"] == GATED_ISBN
    assert results["soap"].status_code == 200
    assert GATED_ISBN in results["soap"].text
    answer, closed = results["websocket"]
    assert answer["result"]["isbn"] == GATED_ISBN
    going_away = (1001, "the server is shutting down")
    assert closed == going_away
    assert results["idle websocket"] == going_away
    assert results["subscriber"] == going_away


def test_rosetta_serve_carries_the_websocket_settings_and_goes_away_with_1001(
    tmp_path: Path,
) -> None:
    """The same through the console script: its uvicorn gets the transport and its limits."""
    env = {"ROSETTA_WS_PING_INTERVAL": "0.2", "ROSETTA_WS_PING_TIMEOUT": "0.3"}
    args = ["--db", str(tmp_path / "serve.db")]
    with contextlib.ExitStack() as sockets, rosetta_serve(args, env=env) as base:
        live = LiveGateway(url=base, settings=Settings())
        last = list(silent_client(live))[-1]
        assert Close.parse(last.data).code == 1011  # the keepalive settings arrived
        ws = sockets.enter_context(connect(live.ws_url, proxy=None))
        ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "list_books"}))
        assert "result" in json.loads(ws.recv(WAIT))
    # Leaving `rosetta_serve` sent SIGTERM and waited for the process to end.
    assert close_code(ws) == (1001, "the server is shutting down")
