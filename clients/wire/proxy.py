"""A counting loopback proxy: every byte each way, every TCP connection, recorded verbatim.

A client pointed at `tap.url` talks to the gateway through this proxy, so what it measures is
what crossed the socket (HTTP headers, chunked framing, WebSocket frame headers and masks), not
an estimate from the payload. Bytes are recorded before they are forwarded: once a client has
its answer, the request and the answer are both in the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import urlsplit

CHUNK = 65536
START_TIMEOUT = 10.0


class WireError(Exception):
    """The proxy could not start, or the URL it should forward to is not one it can serve."""


@dataclass
class Connection:
    """One TCP connection a client opened, with everything it sent and received."""

    number: int
    sent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    # (sent?, offset) of every read, in the order they crossed: replays the conversation.
    chunks: list[tuple[bool, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Position:
    """How far every connection had got at one moment: (bytes sent, bytes received) each."""

    offsets: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Span:
    """What crossed between two positions, connection by connection."""

    parts: tuple[tuple[Connection, int, int, int, int], ...]  # conn, sent from/to, recv from/to
    opened: int

    @property
    def sent(self) -> int:
        return sum(to - start for _, start, to, _, _ in self.parts)

    @property
    def received(self) -> int:
        return sum(to - start for _, _, _, start, to in self.parts)


def upstream_of(url: str) -> tuple[str, int, str]:
    """Host, port and path prefix of an http:// gateway URL."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise WireError(f"{url!r} is not an http:// URL; the tap measures plain HTTP on the wire")
    try:
        port = parts.port or 80
    except ValueError as error:
        raise WireError(f"{url!r} has a bad port") from error
    return parts.hostname, port, parts.path.rstrip("/")


class WireTap:
    """The proxy, on a free 127.0.0.1 port, run by its own event loop in a background thread."""

    def __init__(self, gateway_url: str) -> None:
        self.host, self.port, self.prefix = upstream_of(gateway_url)
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wire-tap", daemon=True)
        self._server: asyncio.Server | None = None
        self._failure: BaseException | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.url = ""

    def __enter__(self) -> WireTap:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._server is None:
            raise WireError(f"the wire tap did not start: {self._failure}")
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{self.prefix}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._server is not None:
            closing = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            with contextlib.suppress(TimeoutError):
                closing.result(START_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)

    def position(self) -> Position:
        with self._lock:
            return Position(tuple((len(c.sent), len(c.received)) for c in self.connections))

    def since(self, start: Position, end: Position | None = None) -> Span:
        """What crossed from `start` to `end` (now, if not given)."""
        end = end or self.position()
        before = start.offsets + ((0, 0),) * (len(end.offsets) - len(start.offsets))
        parts = tuple(
            (self.connections[n], s0, s1, r0, r1)
            for n, ((s0, r0), (s1, r1)) in enumerate(zip(before, end.offsets, strict=True))
            if s1 > s0 or r1 > r0 or n >= len(start.offsets)
        )
        return Span(parts=parts, opened=len(end.offsets) - len(start.offsets))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._accept, "127.0.0.1", 0)
            )
        except OSError as error:
            self._failure = error
        self._ready.set()
        try:
            if self._server is not None:
                self._loop.run_forever()
        finally:
            self._loop.close()

    async def _shutdown(self) -> None:
        """Closes the listener and every forwarded connection, both ends, before the loop ends."""
        assert self._server is not None
        self._server.close()
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        with self._lock:
            connection = Connection(number=len(self.connections) + 1)
            self.connections.append(connection)
        writers = [writer]
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
            writers.append(up_writer)
            await asyncio.gather(
                self._pipe(reader, up_writer, connection, sent=True),
                self._pipe(up_reader, writer, connection, sent=False),
            )
        except OSError:
            pass  # the gateway refused or reset: the client sees its connection close
        except asyncio.CancelledError:
            pass  # the tap is closing: the connection ends here, not as an error
        finally:
            self._handlers.discard(task)
            for each in writers:
                each.close()
            for each in writers:
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await each.wait_closed()

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        connection: Connection,
        *,
        sent: bool,
    ) -> None:
        record = connection.sent if sent else connection.received
        try:
            while data := await source.read(CHUNK):
                with self._lock:
                    connection.chunks.append((sent, len(record)))
                    record.extend(data)
                sink.write(data)
                await sink.drain()
            if sink.can_write_eof():
                sink.write_eof()
        except (ConnectionError, OSError):
            sink.close()
