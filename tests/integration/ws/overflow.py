"""A subscriber that reads nothing, overflowed until it is cut off, then resumed: the same
scenario for every server of /ws, the gateway's and Tornado's."""

from __future__ import annotations

import json
import random
import socket
import string
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.frames import Close
from websockets.sync.client import ClientConnection

from tests.integration.ws.support import WAIT, rpc_at
from tests.support import book_fields


def big_book() -> dict[str, Any]:
    """A book whose events are as large as the rules allow, and compress badly."""
    letters = random.Random(7)

    def noise(length: int) -> str:
        return "".join(letters.choices(string.ascii_letters, k=length))

    return book_fields(
        title=noise(300),
        authors=[noise(200) for _ in range(20)],
        tags=[noise(50) for _ in range(20)],
    )


def overflow(ws_url: str) -> tuple[list[int], Close | None, int, dict[str, Any]]:
    """Makes changes until a subscriber that reads nothing is cut off: the seqs it got, the
    close, how many changes, and its subscribe's answer.

    The server's queue must hold far fewer than the changes made here, and its keepalive pings
    must be off: the reader's pongs would queue behind the events it never reads."""
    # Batches small enough that each answer comes well within WAIT on a busy machine too: the
    # bound is per frame, and a batch's answer waits for every change in it.
    changes, batch = 1500, 25
    book = big_book()
    where = urlsplit(ws_url)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    slow.connect((where.hostname, where.port))
    # max_queue=1 makes the client stop reading the socket while one frame waits unread.
    with (
        rpc_at(ws_url, sock=slow, compression=None, max_queue=1, ping_interval=None) as reader,
        rpc_at(ws_url) as writer,
    ):
        subscribed = reader.call("subscribe", {"events": ["book.updated"]})
        writer.call("add_book", book)
        for start in range(0, changes, batch):
            writer.send(
                [
                    {
                        "jsonrpc": "2.0",
                        "id": n,
                        "method": "update_book",
                        "params": {"isbn": book["isbn"], "copies": n % 7},
                    }
                    for n in range(start, start + batch)
                ]
            )
            assert all("result" in a for a in writer.answer())
        received, close = read_until_closed(reader.connection)
    return received, close, changes, subscribed


def read_until_closed(connection: ClientConnection) -> tuple[list[int], Close | None]:
    """The seqs of the events that came before the server closed, and its close frame."""
    received: list[int] = []
    try:
        while True:
            message = json.loads(connection.recv(WAIT))
            if message["method"] == "event":
                received.append(message["params"]["seq"])
    except ConnectionClosed as closed:
        return received, closed.rcvd


def resume(ws_url: str, subscribed: dict[str, Any], after: int, last: int) -> list[int]:
    """Subscribes again after seq `after`, on the epoch first `subscribed` to, and reads events
    up to seq `last`: the seqs of the events replayed and pushed."""
    received: list[int] = []
    with rpc_at(ws_url) as again:
        again.call(
            "subscribe", {"events": ["book.updated"], "after": after, "epoch": subscribed["epoch"]}
        )
        while (received[-1] if received else after) < last:
            received.append(again.event(lambda _event: True)["seq"])
    return received
