"""Events that survive disconnects: a WebSocket subscription that resumes by itself.

The gateway's `subscribe` takes `after` (the last seq seen) and `epoch`, and replays what a
client missed before going on live; this follows a stream that way, reconnecting with backoff.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect

from clients.interface import RemoteError, without_none
from clients.ws import KINDS_BY_CODE

RESYNC_REQUIRED = "resync_required"
FIRST_RETRY = 0.1  # seconds before the first reconnection; doubled each time, up to LAST_RETRY
LAST_RETRY = 5.0


class ResyncRequired(RemoteError):
    """The server cannot resume the stream where it stood: the events since were pruned, or the
    database was created anew (another epoch). They are lost to this stream: re-read the state
    you keep, then follow a new EventStream from now. `details["data"]` holds the server's
    `epoch`, head `seq` and `pruned_through`."""


class EventStream:
    """The events matching `patterns`, each once, in seq order, across disconnects, 1008 closes
    and server restarts: it reconnects with backoff and resumes after the last seq it met.

    `epoch` and `seq` say where it stands (seq: the last event yielded, or the head a position
    notification or a subscribe answered); keep them to resume another EventStream later, as
    `EventStream(url, patterns, epoch=..., seq=...)`. Iterating raises ResyncRequired when the
    server cannot resume, and after `give_up_after` seconds of failed reconnections (None:
    never gives up) the last connection error. `on_subscribed` gets each subscribe's answer.
    """

    def __init__(
        self,
        base_url: str,
        patterns: list[str],
        *,
        epoch: str | None = None,
        seq: int | None = None,
        token: str | None = None,
        give_up_after: float | None = None,
        on_subscribed: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.url = base_url.replace("http", "ws", 1) + "/ws"
        self.patterns = patterns
        self.epoch = epoch
        self.seq = seq
        self.connections = 0  # opened so far: more than one means it resumed
        self._headers = {"Authorization": f"Bearer {token}"} if token else None
        self._give_up_after = give_up_after
        self._on_subscribed = on_subscribed
        self._connection: ClientConnection | None = None
        self._stack = contextlib.ExitStack()
        self._early: deque[dict[str, Any]] = deque()  # frames met before the subscribe answer

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.events()

    def events(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Events as they come; stops after `timeout` seconds without a frame (None: never)."""
        while True:
            connection = self._connection or self._resume()
            if self._early:
                message = self._early.popleft()
            else:
                try:
                    message = json.loads(connection.recv(timeout=timeout))
                except TimeoutError:
                    return
                except ConnectionClosed:
                    self._drop()
                    continue
            event = self._take(message)
            if event is not None:
                yield event

    def close(self) -> None:
        self._drop()

    def _take(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The event a frame carries, unless already met; a position moves `seq` on."""
        params = message.get("params") or {}
        if message.get("method") == "position":
            self.seq = max(self.seq or 0, params["seq"])
        elif message.get("method") == "event" and (self.seq is None or params["seq"] > self.seq):
            self.seq = params["seq"]
            return params
        return None

    def connect(self) -> None:
        """Connects and subscribes now, once, raising what fails (iterating retries instead)."""
        if self._connection is None:
            self._open()

    def _resume(self) -> ClientConnection:
        started, wait = time.monotonic(), FIRST_RETRY
        while True:
            try:
                return self._open()
            except (OSError, WebSocketException, TimeoutError):
                given_up = self._give_up_after is not None and (
                    time.monotonic() - started > self._give_up_after
                )
                if given_up:
                    raise
                time.sleep(wait)
                wait = min(wait * 2, LAST_RETRY)

    def _open(self) -> ClientConnection:
        # websockets wants connect() used as a context manager; the stream holds it open.
        stack = contextlib.ExitStack()
        connection = stack.enter_context(connect(self.url, additional_headers=self._headers))
        try:
            position = without_none(after=self.seq, epoch=self.epoch)
            request = {"events": self.patterns, **position}
            connection.send(
                json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": request})
            )
            while True:
                message = json.loads(connection.recv())
                if message.get("id") == 1:
                    break
                self._early.append(message)  # replayed events may come before the answer
        except BaseException:
            stack.close()
            self._early.clear()
            raise
        if "error" in message:
            stack.close()
            self._early.clear()
            error = message["error"]
            kind = (error.get("data") or {}).get("kind") or KINDS_BY_CODE.get(error["code"])
            raised = ResyncRequired if kind == RESYNC_REQUIRED else RemoteError
            raise raised(kind or "server_fault", error["message"], "websocket", error)
        result = message["result"]
        self.epoch = result["epoch"]
        if self.seq is None:
            self.seq = result["seq"]  # from now: the events after the head
        self.connections += 1
        self._connection, self._stack = connection, stack
        if self._on_subscribed is not None:
            self._on_subscribed(result)
        return connection

    def _drop(self) -> None:
        self._stack.close()
        self._connection = None


def watch(url: str, patterns: list[str]) -> int:
    """Prints every event matching the patterns as it is pushed, until interrupted; resumes by
    itself across disconnects and restarts, and exits with 3 when the server cannot resume."""
    # Stop on Ctrl-C or a polite kill alike, even when started by a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    def subscribed(result: dict[str, Any]) -> None:
        if stream.connections == 1:
            print("subscribed to", result["events"], flush=True)
        else:
            print(f"resumed after seq {stream.seq}", file=sys.stderr, flush=True)

    stream = EventStream(url, patterns or ["*"], on_subscribed=subscribed)
    try:
        stream.connect()  # once: a wrong URL is told at once rather than retried
        for event in stream:
            print(json.dumps(event), flush=True)
    except (OSError, WebSocketException, TimeoutError) as error:
        print(f"cannot reach the gateway at {url}: {error}", file=sys.stderr)
        return 1
    except ResyncRequired as error:
        print(
            f"cannot resume: {error.message}. Events were lost; watch again to follow from now.",
            file=sys.stderr,
        )
        return 3
    except RemoteError as error:
        print(f"websocket error, kind {error.kind}: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
    return 0
