"""A lean client end of a WebSocket, on a bare asyncio Protocol.

The load and fan-out measurements need a client that costs far less per frame than the server
it measures, on one core, for up to ten thousand connections: a handshake, masked text frames
out, unmasked frames in, pings answered, nothing else (no extensions, so no compression).
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable

try:
    from websockets.speedups import apply_mask
except ImportError:  # websockets built without its C extension
    from websockets.utils import apply_mask

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
HANDSHAKE_TIMEOUT = 30.0

OnMessage = Callable[["RawWebSocket", int, bytes], None]


def client_frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One final, masked frame, as RFC 6455 requires of a client."""
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    return header + mask + apply_mask(payload, mask)


class RawWebSocket(asyncio.Protocol):
    """Calls `on_message(self, opcode, payload)` for every data frame the server sends."""

    def __init__(self, host: str, path: str, on_message: OnMessage) -> None:
        self.host = host
        self.path = path
        self.on_message = on_message
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self.received_bytes = 0  # wire bytes after the handshake

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def send_text(self, text: str | bytes) -> int:
        """Sends one text frame; returns its size on the wire."""
        frame = client_frame(text.encode() if isinstance(text, str) else text)
        assert self.transport is not None
        self.transport.write(frame)
        return len(frame)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(b"\x03\xe8", CLOSE))
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[9:12])
            del self._buffer[: end + 4]
            if status != b"101":
                self._fail(ConnectionError(f"the handshake answered {status.decode()}"))
                return
            self._upgraded = True
            if not self.opened.done():
                self.opened.set_result(None)
            self.received_bytes += len(self._buffer)
        else:
            self.received_bytes += len(data)
        self._read_frames()

    def _read_frames(self) -> None:
        buffer = self._buffer
        position = 0
        while len(buffer) - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            size = second & 0x7F
            header = 2
            if size == 126:
                header = 4
                if len(buffer) - position < header:
                    break
                size = int.from_bytes(buffer[position + 2 : position + 4], "big")
            elif size == 127:
                header = 10
                if len(buffer) - position < header:
                    break
                size = int.from_bytes(buffer[position + 2 : position + 10], "big")
            if second & 0x80:  # servers must not mask; tolerated all the same
                header += 4
            end = position + header + size
            if len(buffer) < end:
                break
            payload = bytes(buffer[position + header : end])
            if second & 0x80:
                payload = apply_mask(payload, bytes(buffer[end - size - 4 : end - size]))
            position = end
            self._on_frame(first & 0x0F, payload)
        del buffer[:position]

    def _on_frame(self, opcode: int, payload: bytes) -> None:
        if opcode == PING:
            assert self.transport is not None
            self.transport.write(client_frame(payload, PONG))
        elif opcode == CLOSE:
            self.close()
        elif opcode != PONG:
            self.on_message(self, opcode, payload)

    def _fail(self, error: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(error)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)


async def connect(host: str, port: int, path: str, on_message: OnMessage) -> RawWebSocket:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        lambda: RawWebSocket(f"{host}:{port}", path, on_message), host, port
    )
    await asyncio.wait_for(protocol.opened, HANDSHAKE_TIMEOUT)
    return protocol
