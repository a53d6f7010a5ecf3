"""WebSocket measurements with the lean client: call load, fan-out, idle connections."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.measure import LoadResult, latency_result, percentile
from bench.wsclient import RawWebSocket, connect

DRIVER = "python-ws"
PATH = "/ws"
CONNECT_BATCH = 200  # handshakes in flight at once: well inside any listen backlog


async def run_load(
    host: str,
    port: int,
    next_frame: Callable[[int], str],
    connections: int,
    seconds: float,
    max_requests: int = 10_000_000,
) -> LoadResult:
    """`connections` closed loops of one JSON-RPC call at a time, for `seconds`."""
    deadline = 0.0
    started_count = 0
    ids = itertools.count(1)
    latencies: list[float] = []
    error_answers = 0
    sent_at: dict[RawWebSocket, float] = {}
    done = asyncio.get_running_loop().create_future()
    active = connections

    def send(ws: RawWebSocket) -> None:
        nonlocal started_count, active
        if started_count >= max_requests or time.perf_counter() >= deadline:
            ws.close()
            active -= 1
            if active == 0 and not done.done():
                done.set_result(None)
            return
        started_count += 1
        sent_at[ws] = time.perf_counter()
        ws.send_text(next_frame(next(ids)))

    def on_message(ws: RawWebSocket, _opcode: int, payload: bytes) -> None:
        nonlocal error_answers
        latencies.append(time.perf_counter() - sent_at[ws])
        if b'"error":' in payload:  # a member, not a value that says error
            error_answers += 1
        send(ws)

    sockets = await open_many(host, port, connections, on_message)
    cpu, started = time.process_time(), time.perf_counter()
    deadline = started + seconds
    for ws in sockets:
        send(ws)
    try:
        await asyncio.wait_for(done, seconds + 30)
    finally:
        for ws in sockets:
            ws.close()
    elapsed = time.perf_counter() - started
    # Every call sent before the deadline is answered or the run times out: none go missing.
    return latency_result(
        latencies,
        error_answers,
        0,
        elapsed,
        DRIVER,
        connections,
        (time.process_time() - cpu) / elapsed,
    )


async def open_many(
    host: str, port: int, count: int, on_message: Callable[[RawWebSocket, int, bytes], None]
) -> list[RawWebSocket]:
    sockets: list[RawWebSocket] = []
    for start in range(0, count, CONNECT_BATCH):
        batch = min(CONNECT_BATCH, count - start)
        sockets += await asyncio.gather(
            *(connect(host, port, PATH, on_message) for _ in range(batch))
        )
    return sockets


def close_all(sockets: list[RawWebSocket]) -> None:
    for ws in sockets:
        ws.close()


@dataclass
class FanOut:
    subscribers: int
    received: int
    first_ms: float  # change sent -> first subscriber has the event
    median_ms: float
    last_ms: float  # change sent -> every subscriber has it (or the timeout)


async def fan_out(
    host: str,
    port: int,
    subscribers: int,
    trigger: Callable[[], None],
    delivered: Callable[[], None] = lambda: None,
    patience: float = 30.0,
) -> FanOut:
    """Subscribes `subscribers` connections to book.added, then times one change's event.

    `trigger` sends the change (a call that adds a book) and returns at once; the clock starts
    just before it. `delivered` is called once every subscriber has the event (or time is up).
    """
    arrived: list[float] = []
    subscribed = asyncio.get_running_loop().create_future()
    everyone = asyncio.get_running_loop().create_future()
    confirmations = 0

    def on_message(_ws: RawWebSocket, _opcode: int, payload: bytes) -> None:
        nonlocal confirmations
        if b'"method":"event"' in payload:
            arrived.append(time.perf_counter())
            if len(arrived) == subscribers and not everyone.done():
                everyone.set_result(None)
        elif b'"result"' in payload:
            confirmations += 1
            if confirmations == subscribers and not subscribed.done():
                subscribed.set_result(None)

    sockets = await open_many(host, port, subscribers, on_message)
    try:
        frame = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"events": ["book.added"]}}
        )
        for ws in sockets:
            ws.send_text(frame)
        await asyncio.wait_for(subscribed, patience)
        started = time.perf_counter()
        trigger()
        with contextlib.suppress(TimeoutError):  # reported as fewer received than subscribed
            await asyncio.wait_for(everyone, patience)
        delivered()
        times = sorted((t - started) * 1000 for t in arrived)
        return FanOut(
            subscribers=subscribers,
            received=len(times),
            first_ms=percentile(times, 0.0),
            median_ms=percentile(times, 0.5),
            last_ms=times[-1] if times else float("nan"),
        )
    finally:
        close_all(sockets)
        await asyncio.sleep(0.2)  # let the server see the closes before the next measurement


async def ws_exchange(host: str, port: int, frame: str) -> tuple[int, int, bytes]:
    """One call on a fresh connection: (frame bytes sent, frame bytes received, payload)."""
    answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def on_message(_ws: RawWebSocket, _opcode: int, payload: bytes) -> None:
        if not answer.done():
            answer.set_result(payload)

    ws = await connect(host, port, PATH, on_message)
    try:
        sent = ws.send_text(frame)
        payload = await asyncio.wait_for(answer, 10)
        return sent, ws.received_bytes, payload
    finally:
        ws.close()
