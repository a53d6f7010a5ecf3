"""WebSocket with websockets: JSON-RPC 2.0 calls on one connection, plus pushed events.

python -m clients.ws get_book 9780132350884
python -m clients.ws watch 'book.*' 'loan.*'

`watch` follows events with clients/event_stream.py, which resumes across disconnects and
server restarts.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
from collections import deque
from collections.abc import Iterator
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from clients.interface import (
    RemoteError,
    book_from,
    json_ready,
    loan_from,
    page_from,
    without_none,
)
from services.models import Book, Loan, Page

# The JSON-RPC error codes the gateway uses for the domain's error kinds.
KINDS_BY_CODE = {
    -32602: "invalid_input",
    -32004: "not_found",
    -32009: "conflict",
    -32012: "version_mismatch",
    -32003: "not_allowed",
    -32010: "resync_required",
    -32053: "unavailable",
}


class WsClient:
    protocol = "websocket"

    def __init__(self, base_url: str = "http://127.0.0.1:8000", token: str | None = None) -> None:
        url = base_url.replace("http", "ws", 1) + "/ws"
        headers = {"Authorization": f"Bearer {token}"} if token else None
        # One connection for every call: the handshake is paid once, then each call is a frame.
        # websockets wants connect() used as a context manager; the client holds it open.
        self._stack = contextlib.ExitStack()
        self.connection: ClientConnection = self._stack.enter_context(
            connect(url, additional_headers=headers)
        )
        self._ids = itertools.count(1)
        self._events: deque[dict[str, Any]] = deque()

    def call(self, method: str, **params: Any) -> Any:
        request_id = next(self._ids)
        self.connection.send(
            json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self._receive())
            if message.get("method") == "event":
                self._events.append(message["params"])  # pushed while we waited for our answer
                continue
            if message.get("id") != request_id:
                continue
            if "error" in message:
                error = message["error"]
                data = error.get("data") or {}
                kind = data.get("kind") or KINDS_BY_CODE.get(error["code"], "server_fault")
                raise RemoteError(kind, error["message"], self.protocol, error)
            return message["result"]

    def list_books(
        self,
        q: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page:
        params = without_none(q=q, author=author, tag=tag, limit=limit, offset=offset)
        return page_from(self.call("list_books", **params))

    def get_book(self, isbn: str) -> Book:
        return book_from(self.call("get_book", isbn=isbn))

    def add_book(self, **fields: Any) -> Book:
        return book_from(self.call("add_book", **json_ready(fields)))

    def update_book(self, isbn: str, expected_version: int | None = None, **changes: Any) -> Book:
        params = without_none(expected_version=expected_version)
        return book_from(self.call("update_book", isbn=isbn, **params, **json_ready(changes)))

    def remove_book(self, isbn: str) -> None:
        self.call("remove_book", isbn=isbn)

    def borrow_book(self, isbn: str, member: str) -> Loan:
        return loan_from(self.call("borrow_book", isbn=isbn, member=member))

    def return_book(self, loan_id: str) -> Loan:
        return loan_from(self.call("return_book", loan_id=loan_id))

    def list_loans(
        self, member: str | None = None, open_only: bool | None = None, isbn: str | None = None
    ) -> list[Loan]:
        params = without_none(member=member, open_only=open_only, isbn=isbn)
        return [loan_from(item) for item in self.call("list_loans", **params)]

    def get_loan(self, loan_id: str) -> Loan:
        return loan_from(self.call("get_loan", loan_id=loan_id))

    def subscribe(
        self, *patterns: str, after: int | None = None, epoch: str | None = None
    ) -> dict[str, Any]:
        """Subscribes; the answer holds the patterns (`events`), the `epoch` and head `seq`."""
        params = without_none(after=after, epoch=epoch)
        subscribed: dict[str, Any] = self.call("subscribe", events=list(patterns), **params)
        return subscribed

    def events(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Pushed events, oldest first; stops after `timeout` seconds without one."""
        while True:
            while self._events:
                yield self._events.popleft()
            try:
                message = json.loads(self.connection.recv(timeout=timeout))
            except TimeoutError:
                return
            if message.get("method") == "event":
                yield message["params"]

    def close(self) -> None:
        self._stack.close()

    def _receive(self) -> str | bytes:
        try:
            return self.connection.recv()
        except ConnectionClosed as closed:
            # A message over the server's size limit gets no error object: it closes the
            # connection with 1009. That is still the caller's invalid input.
            if closed.rcvd is not None and closed.rcvd.code == 1009:
                raise RemoteError("invalid_input", closed.rcvd.reason, self.protocol) from None
            raise


if __name__ == "__main__":
    import os

    from clients.command_line import DEFAULT_URL, run_script

    if sys.argv[1:2] == ["watch"]:
        from clients.event_stream import watch

        raise SystemExit(watch(os.environ.get("ROSETTA_URL", DEFAULT_URL), sys.argv[2:]))
    raise SystemExit(run_script(WsClient, more_usage=["watch [PATTERN ...]"]))
