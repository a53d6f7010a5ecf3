"""HTTP/1.1 messages cut out of a recorded byte stream, verbatim, with where each one starts.

Only as much of RFC 9112 as framing needs: the head ends at the first empty line, and the body
is as long as Content-Length says, or chunked, or (for a response with neither) runs to the
end of the stream. A message cut short by the end of the record is not returned.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True)
class HttpMessage:
    start: int  # offset of the first byte in the stream it was cut from
    raw: bytes  # exactly as it crossed: start line, headers, body with its chunk framing
    head_size: int
    payload: int  # body bytes once chunk framing is taken away

    @property
    def start_line(self) -> str:
        return self.raw.split(b"\r\n", 1)[0].decode("latin-1")

    @property
    def headers(self) -> list[tuple[str, str]]:
        lines = self.raw[: self.head_size].decode("latin-1").split("\r\n")[1:]
        pairs = (line.partition(":") for line in lines if line)
        return [(name.strip().lower(), value.strip()) for name, _, value in pairs]

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    @property
    def body(self) -> bytes:
        return self.raw[self.head_size :]

    @property
    def content(self) -> bytes:
        """The body without its chunk framing; still compressed if it was sent so."""
        if not _is_chunked(self):
            return self.body
        framed = _chunked(self.raw, self.head_size)
        spans = framed[0] if framed is not None else []
        return b"".join(self.raw[start:end] for start, end in spans)

    @property
    def framing(self) -> int:
        """Bytes that are HTTP rather than content: start line, headers, chunk sizes."""
        return len(self.raw) - self.payload

    @property
    def status(self) -> int | None:
        parts = self.start_line.split(" ", 2)
        if parts[0].startswith("HTTP/") and len(parts) > 1 and parts[1].isdigit():
            return int(parts[1])
        return None

    @property
    def method(self) -> str | None:
        return None if self.status is not None else self.start_line.split(" ", 1)[0]


def read_message(
    stream: bytes, start: int, *, response: bool, bodiless: bool = False
) -> HttpMessage | None:
    """The message starting at `start`, or None if the stream ends before it does.

    `bodiless` says the request was HEAD, whose answer announces a body it does not send.
    """
    end_of_head = stream.find(HEAD_END, start)
    if end_of_head < 0:
        return None
    head_size = end_of_head + len(HEAD_END) - start
    head = HttpMessage(start, stream[start : start + head_size], head_size, 0)
    body_start = start + head_size
    length = _content_length(head)
    status = head.status
    if response and (bodiless or status in (204, 304) or (status is not None and status < 200)):
        end, payload = body_start, 0
    elif _is_chunked(head):
        framed = _chunked(stream, body_start)
        if framed is None:
            return None
        spans, end = framed
        payload = sum(stop - begin for begin, stop in spans)
    elif length is not None:
        end, payload = body_start + length, length
    elif response:
        end, payload = len(stream), len(stream) - body_start
    else:
        end, payload = body_start, 0
    if end > len(stream):
        return None
    return HttpMessage(start, stream[start:end], head_size, payload)


def _content_length(head: HttpMessage) -> int | None:
    value = head.header("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _is_chunked(head: HttpMessage) -> bool:
    return "chunked" in (head.header("transfer-encoding") or "").lower()


def _chunked(stream: bytes, position: int) -> tuple[list[tuple[int, int]], int] | None:
    """Where each chunk's content lies in a chunked body, and where the body ends."""
    spans: list[tuple[int, int]] = []
    while True:
        line_end = stream.find(b"\r\n", position)
        if line_end < 0:
            return None
        size_text = stream[position:line_end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        position = line_end + 2
        if size == 0:
            break
        spans.append((position, position + size))
        position += size + 2
    # Trailer fields, if any, end with an empty line like a head does.
    while True:
        line_end = stream.find(b"\r\n", position)
        if line_end < 0:
            return None
        empty = line_end == position
        position = line_end + 2
        if empty:
            return spans, position
