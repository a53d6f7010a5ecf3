"""A recorded connection read back as the conversation it was: HTTP messages, then frames.

`traffic(span)` sums what crossed between two moments: bytes each way (counted by the tap,
not re-derived), connections opened, round trips (messages the client sent that the server
answers: an HTTP request, a WebSocket call, ping or close), how much of it was framing
(HTTP start lines, headers and chunk sizes; WebSocket frame headers) and how much content
the messages carried once decompressed.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from clients.wire.frames import WsFrame, deflate_negotiated, read_frames
from clients.wire.http_messages import HttpMessage, read_message
from clients.wire.proxy import Connection, Span


@dataclass(frozen=True)
class Message:
    sent: bool  # True: client to server
    order: tuple[int, int]  # when it crossed, comparable across both directions
    start: int
    size: int
    framing: int
    content: int  # payload bytes once decompressed: what the application wrote
    answered: bool
    http: HttpMessage | None = None
    frame: WsFrame | None = None

    @property
    def is_handshake(self) -> bool:
        if self.http is None:
            return False
        return self.http.status == 101 or (self.http.header("upgrade") or "").lower() == "websocket"


@dataclass(frozen=True)
class Traffic:
    sent: int
    received: int
    connections: int
    round_trips: int
    framing_sent: int
    framing_received: int
    content: int
    messages: tuple[Message, ...]

    @property
    def framing(self) -> int:
        return self.framing_sent + self.framing_received


def messages(connection: Connection) -> list[Message]:
    """Every complete message of the connection, in the order they crossed."""
    sent, received = bytes(connection.sent), bytes(connection.received)
    ordered = _Orderer(connection)
    found: list[Message] = []

    def add(message: HttpMessage, is_sent: bool, answered: bool) -> None:
        found.append(
            Message(is_sent, ordered(is_sent, message.start), message.start, len(message.raw),
                    message.framing, message.payload, answered, http=message)
        )  # fmt: skip

    at_sent = at_received = 0
    upgraded: HttpMessage | None = None
    while upgraded is None and (request := read_message(sent, at_sent, response=False)):
        add(request, True, True)
        at_sent += len(request.raw)
        while response := read_message(
            received, at_received, response=True, bodiless=request.method == "HEAD"
        ):
            add(response, False, False)
            at_received += len(response.raw)
            status = response.status or 0
            if status == 101:
                upgraded = response
            if status >= 200 or status == 101:
                break
        if response is None:
            break
    if upgraded is not None:
        deflate = deflate_negotiated(upgraded.header("sec-websocket-extensions"))
        for stream, at, is_sent in ((sent, at_sent, True), (received, at_received, False)):
            for frame in read_frames(stream, at, from_client=is_sent, deflate=deflate):
                found.append(
                    Message(is_sent, ordered(is_sent, frame.start), frame.start, frame.size,
                            frame.framing, len(frame.data), is_sent and frame.answered,
                            frame=frame)
                )  # fmt: skip
    return sorted(found, key=lambda message: message.order)


def traffic(span: Span) -> Traffic:
    within: list[Message] = []
    for connection, sent_from, sent_to, received_from, received_to in span.parts:
        for message in messages(connection):
            low, high = (sent_from, sent_to) if message.sent else (received_from, received_to)
            if low <= message.start < high:
                within.append(message)
    return Traffic(
        sent=span.sent,
        received=span.received,
        connections=span.opened,
        round_trips=sum(1 for m in within if m.sent and m.answered),
        framing_sent=sum(m.framing for m in within if m.sent),
        framing_received=sum(m.framing for m in within if not m.sent),
        content=sum(m.content for m in within),
        messages=tuple(within),
    )


class _Orderer:
    """Places a byte offset of one direction on the connection's common timeline."""

    def __init__(self, connection: Connection) -> None:
        self._reads: dict[bool, tuple[list[int], list[int]]] = {True: ([], []), False: ([], [])}
        for index, (is_sent, offset) in enumerate(list(connection.chunks)):
            offsets, indexes = self._reads[is_sent]
            offsets.append(offset)
            indexes.append(index)

    def __call__(self, is_sent: bool, offset: int) -> tuple[int, int]:
        offsets, indexes = self._reads[is_sent]
        position = bisect.bisect_right(offsets, offset) - 1
        return (indexes[position] if position >= 0 else 0, offset)
