"""WebSocket frames read back from a recorded byte stream with websockets' sans-I/O parser.

The record holds the frames as they crossed: a 2 to 14 byte header, a mask on frames the
client sent, a payload that permessage-deflate may have compressed. Each frame is returned
with its size on the wire and its payload decoded, so both can be shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from websockets.exceptions import ProtocolError
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

# Frames a client sends and a server must answer: a call, a ping, a close.
ANSWERED = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.CLOSE})


@dataclass(frozen=True)
class WsFrame:
    start: int  # offset of the first byte in the stream it was read from
    size: int  # bytes on the wire, header included
    header: bytes  # the frame header as it crossed, mask key included
    opcode: Opcode
    fin: bool
    compressed: bool
    data: bytes  # the payload, unmasked and decompressed

    @property
    def framing(self) -> int:
        return len(self.header)

    @property
    def payload(self) -> int:
        """Payload bytes on the wire: compressed, if it was."""
        return self.size - len(self.header)

    @property
    def answered(self) -> bool:
        return self.opcode in ANSWERED


def deflate_negotiated(extensions_header: str | None) -> bool:
    """Whether the server's 101 answer agreed to compress messages."""
    offered = (extensions_header or "").split(",")
    return any(each.split(";")[0].strip() == "permessage-deflate" for each in offered)


def read_frames(stream: bytes, start: int, *, from_client: bool, deflate: bool) -> list[WsFrame]:
    """Every complete frame from `start` on; a frame cut short by the record's end is left out."""
    reader = StreamReader()
    reader.feed_data(stream[start:])
    reader.feed_eof()
    # A decoder that keeps its window decodes both context takeover and a sender that resets.
    extensions = [PerMessageDeflate(False, False, 15, 15)] if deflate else []
    frames: list[WsFrame] = []
    position = start
    while reader.buffer:
        before = len(reader.buffer)
        raw_header = bytes(reader.buffer[:14])
        parser = Frame.parse(reader.read_exact, mask=from_client, extensions=extensions)
        try:
            next(parser)
        except StopIteration as done:
            frame: Frame = done.value
        except (EOFError, ProtocolError):
            break
        else:
            break  # the parser wants bytes the record does not have
        size = before - len(reader.buffer)
        header = raw_header[: _header_size(raw_header)]
        compressed = bool(raw_header[0] & 0b01000000)
        frames.append(
            WsFrame(position, size, header, frame.opcode, frame.fin, compressed, bytes(frame.data))
        )
        position += size
    return frames


def _header_size(header: bytes) -> int:
    length = header[1] & 0b01111111
    extended = {126: 2, 127: 8}.get(length, 0)
    masked = 4 if header[1] & 0b10000000 else 0
    return 2 + extended + masked
