"""A thin JSON-RPC 2.0 caller over a real websockets connection, for the WebSocket tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.live import LiveGateway

WAIT = 10.0  # seconds to wait for a frame before the test fails; never asserted on
SAMPLE_ISBN = "9780132350884"  # a sample book: read it, never change it


class Rpc:
    """Sends requests and reads answers; event notifications met on the way are kept aside."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def send(self, message: Any) -> None:
        self.connection.send(message if isinstance(message, str | bytes) else json.dumps(message))

    def answer(self) -> Any:
        """The next frame that is not an event or position notification."""
        while True:
            message = json.loads(self.connection.recv(WAIT))
            if not self._kept_aside(message):
                return message

    def _kept_aside(self, message: Any) -> bool:
        """Keeps pushed events; drops positions, which only a resuming client needs."""
        method = message.get("method") if isinstance(message, dict) else None
        if method == "event":
            self.events.append(message["params"])
        return method in {"event", "position"}

    def request(self, method: str, params: Any = None) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        reply: dict[str, Any] = self.answer()
        assert reply["id"] == ident, reply
        return reply

    def call(self, method: str, params: Any = None) -> Any:
        reply = self.request(method, params)
        assert "error" not in reply, reply
        return reply["result"]

    def error(self, method: str, params: Any = None) -> dict[str, Any]:
        reply = self.request(method, params)
        assert "result" not in reply, reply
        error: dict[str, Any] = reply["error"]
        return error

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def event(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first event, kept or still to come, that `wanted` accepts; others are dropped."""
        while True:
            while self.events:
                event = self.events.pop(0)
                if wanted(event):
                    return event
            message = json.loads(self.connection.recv(WAIT))
            assert self._kept_aside(message), f"an answer nobody asked for: {message}"

    def still_answers(self) -> None:
        """Proof that the connection is open and usable: a read call comes back."""
        assert self.call("get_book", {"isbn": SAMPLE_ISBN})["isbn"] == SAMPLE_ISBN


def rpc(gateway: LiveGateway, query: str = "", **options: Any) -> AbstractContextManager[Rpc]:
    return rpc_at(gateway.ws_url + query, **options)


@contextmanager
def rpc_at(url: str, **options: Any) -> Iterator[Rpc]:
    """A caller on any server's /ws, the gateway's or another framework's."""
    with connect(url, proxy=None, **options) as connection:
        yield Rpc(connection)


def about(isbn: str) -> Callable[[dict[str, Any]], bool]:
    """Events about one book: the shared gateway's other tests make changes too."""
    return lambda event: event["data"].get("isbn") == isbn
