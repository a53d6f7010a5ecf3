"""A lean HTTP/1.1 load driver on asyncio, for machines without wrk.

Each connection is a closed loop: send a request, read the whole response, send the next.
Responses are parsed only as far as their length (Content-Length or chunked), so the driver
spends its time on sockets rather than on parsing, and the server stays the bottleneck.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from bench.measure import LoadResult, latency_result

DRIVER = "python-http"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)


class ResponseParser:
    """Splits a byte stream into HTTP/1.1 responses; `feed` returns the complete ones."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes, bytes]]:
        """(status, head, body) of every response completed by `data`."""
        self._buffer += data
        done = []
        while (response := self._next()) is not None:
            done.append(response)
        return done

    def idle(self) -> bool:
        """No partial response is waiting: a close now was the server's choice, not a fault."""
        return not self._buffer

    def _next(self) -> tuple[int, bytes, bytes] | None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self._buffer[: end + 2])
        status = int(head[9:12])
        start = end + 4
        length = _CONTENT_LENGTH.search(head)
        if length is not None:
            stop = start + int(length[1])
            if len(self._buffer) < stop:
                return None
            body = bytes(self._buffer[start:stop])
        elif _CHUNKED.search(head):
            parsed = _dechunk(self._buffer, start)
            if parsed is None:
                return None
            body, stop = parsed
        elif status in {204, 304} or 100 <= status < 200:
            body, stop = b"", start
        else:
            raise ValueError("a response with neither Content-Length nor chunked encoding")
        del self._buffer[:stop]
        return status, head, body


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        chunk_start = line_end + 2
        if len(buffer) < chunk_start + size + 2:
            return None
        if size == 0:
            return bytes(body), chunk_start + 2
        body += buffer[chunk_start : chunk_start + size]
        position = chunk_start + size + 2


class _LoopConnection(asyncio.Protocol):
    def __init__(self, load: _Load) -> None:
        self.load = load
        self.parser = ResponseParser()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        if not self.load.go_on():
            self.transport.close()
            return
        self.sent_at = time.perf_counter()
        self.transport.write(self.load.next_request())

    def data_received(self, data: bytes) -> None:
        try:
            responses = self.parser.feed(data)
        except ValueError:
            self.load.unanswered += 1
            assert self.transport is not None
            self.transport.close()
            return
        for status, _head, _body in responses:
            self.load.done(time.perf_counter() - self.sent_at, ok=status < 400)
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.connection_closed(reopen=exc is None and self.parser.idle())


class _Load:
    def __init__(
        self,
        host: str,
        port: int,
        next_request: Callable[[], bytes],
        seconds: float,
        max_requests: int,
    ) -> None:
        self.host, self.port = host, port
        self.reopening: set[asyncio.Future[None]] = set()
        self.next_request = next_request
        self.deadline = time.perf_counter() + seconds
        self.max_requests = max_requests
        self.started = 0
        self.latencies: list[float] = []
        self.error_answers = 0  # HTTP status 400 and above
        self.unanswered = 0  # unreadable answers and connections that could not be opened
        self.open = 0
        self.finished = asyncio.get_running_loop().create_future()

    def go_on(self) -> bool:
        if self.started >= self.max_requests or time.perf_counter() >= self.deadline:
            return False
        self.started += 1
        return True

    def done(self, latency: float, ok: bool) -> None:
        self.latencies.append(latency)
        if not ok:
            self.error_answers += 1

    def connection_closed(self, reopen: bool) -> None:
        """A server without keep-alive (wsgiref) closes after each answer: open anew."""
        self.open -= 1
        if reopen and self.started < self.max_requests and time.perf_counter() < self.deadline:
            self.open += 1
            task = asyncio.ensure_future(self.reopen())
            self.reopening.add(task)
            task.add_done_callback(self.reopening.discard)
        elif self.open == 0 and not self.finished.done():
            self.finished.set_result(None)

    async def reopen(self) -> None:
        try:
            await asyncio.get_running_loop().create_connection(
                lambda: _LoopConnection(self), self.host, self.port
            )
        except OSError:
            self.unanswered += 1
            self.connection_closed(reopen=False)


async def run_load(
    host: str,
    port: int,
    next_request: Callable[[], bytes],
    connections: int,
    seconds: float,
    max_requests: int = 10_000_000,
) -> LoadResult:
    """Drives `connections` keep-alive connections for `seconds` (or `max_requests`)."""
    load = _Load(host, port, next_request, seconds, max_requests)
    loop = asyncio.get_running_loop()
    cpu, started = time.process_time(), time.perf_counter()
    for _ in range(connections):
        load.open += 1
        await loop.create_connection(lambda: _LoopConnection(load), host, port)
    # A server that stops answering must not hold the run: a grace period, then give up.
    await asyncio.wait_for(load.finished, seconds + 30)
    elapsed = time.perf_counter() - started
    return latency_result(
        load.latencies,
        load.error_answers,
        load.unanswered,
        elapsed,
        DRIVER,
        connections,
        (time.process_time() - cpu) / elapsed,
    )


async def exchange(host: str, port: int, request: bytes) -> tuple[int, int, bytes]:
    """One request on a fresh connection: (bytes sent, bytes received, response body)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        parser = ResponseParser()
        received = 0
        async with asyncio.timeout(10):
            while True:
                data = await reader.read(65536)
                if not data:
                    raise ConnectionError("the server closed the connection mid-response")
                received += len(data)
                responses = parser.feed(data)
                if responses:
                    return len(request), received, responses[0][2]
    finally:
        writer.close()
