"""A recorded conversation printed as it crossed: HTTP messages verbatim, frames decoded.

HTTP bytes are written as they were, CRLFs included (a byte that is not UTF-8 shows as
a backslash escape). A body longer than the limit is cut,
and the cut says how many bytes it left out. A WebSocket frame shows its header bytes (the
mask key included), what they say, and its payload as the application saw it.
"""

from __future__ import annotations

from clients.wire.conversation import Message, messages
from clients.wire.frames import WsFrame
from clients.wire.proxy import Connection

ARROWS = {True: ">>> client to server", False: "<<< server to client"}


def conversation(connections: list[Connection], body_limit: int) -> str:
    parts: list[str] = []
    for connection in connections:
        sent, received = len(connection.sent), len(connection.received)
        parts.append(
            f"=== TCP connection {connection.number}: {sent} bytes sent, {received} received\n"
        )
        for message in messages(connection):
            parts.append(f"{ARROWS[message.sent]}, {_what(message)}\n")
            if message.frame is not None:
                parts.append(_frame_text(message.frame))
            else:
                parts.append(_http_text(message, body_limit))
            parts.append("\n")
    return "".join(parts)


def _what(message: Message) -> str:
    if message.frame is not None:
        return f"WebSocket frame, {message.size} bytes"
    return f"HTTP, {message.size} bytes"


def _http_text(message: Message, limit: int) -> str:
    assert message.http is not None
    http = message.http
    body = http.body
    if limit <= 0 or len(body) <= limit:
        return _text(http.raw) + ("" if http.raw.endswith(b"\n") else "\n")
    left_out = len(body) - limit
    note = f"\n[... {left_out} more bytes of this body not shown; --wire-max 0 shows all]\n"
    return _text(http.raw[: http.head_size] + body[:limit]) + note


def _frame_text(frame: WsFrame) -> str:
    flags = [frame.opcode.name, "FIN" if frame.fin else "not FIN"]
    if len(frame.header) > 2 and frame.header[1] & 0b10000000:
        flags.append(f"masked with {frame.header[-4:].hex(' ')}")
    if frame.compressed:
        flags.append(f"permessage-deflate: {frame.payload} bytes on the wire")
    header = (
        f"header {frame.header.hex(' ')} ({len(frame.header)} bytes: {', '.join(flags)}), "
        f"payload {frame.payload} bytes\n"
    )
    data = frame.data
    if frame.opcode.name == "CLOSE" and len(data) >= 2:
        shown = f"close code {int.from_bytes(data[:2], 'big')} {data[2:].decode(errors='replace')}"
        return header + shown.rstrip() + "\n"
    return header + _text(data) + "\n"


def _text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")
