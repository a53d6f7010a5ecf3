"""The counting proxy and the readers of its record, against exchanges known byte by byte."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from clients.wire.conversation import messages, traffic
from clients.wire.frames import deflate_negotiated, read_frames
from clients.wire.http_messages import read_message
from clients.wire.printing import conversation
from clients.wire.proxy import Connection, Span, WireError, WireTap

REQUEST = b"POST /echo HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n\r\nhello"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n4;name=value\r\ndefg\r\n0\r\nTrailer: yes\r\n\r\n"
)
HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
SWITCHED = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
)
# A masked text frame "hi" from the client (2 + 4 + 2 bytes) and a text frame "ok" back.
CLIENT_HI = bytes([0x81, 0x82, 1, 2, 3, 4, ord("h") ^ 1, ord("i") ^ 2])
SERVER_OK = bytes([0x81, 0x02]) + b"ok"


def recorded(sent: bytes, received: bytes, chunks: list[tuple[bool, int]]) -> Connection:
    return Connection(1, bytearray(sent), bytearray(received), chunks)


@pytest.fixture
def fixed_server() -> Iterator[int]:
    """Answers every complete REQUEST on a connection with RESPONSE, until the client leaves."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            with conn:
                pending = b""
                while data := conn.recv(4096):
                    pending += data
                    while len(pending) >= len(REQUEST):
                        pending = pending[len(REQUEST) :]
                        conn.sendall(RESPONSE)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def exchange(port: int, times: int) -> bytes:
    answers = b""
    with socket.create_connection(("127.0.0.1", port)) as client:
        for done in range(1, times + 1):
            # In two writes, as a client may: the count must not care.
            client.sendall(REQUEST[:10])
            client.sendall(REQUEST[10:])
            while len(answers) < len(RESPONSE) * done:
                answers += client.recv(4096)
    return answers


def test_the_tap_counts_every_byte_and_connection_of_a_known_exchange(fixed_server: int) -> None:
    with WireTap(f"http://127.0.0.1:{fixed_server}") as tap:
        start = tap.position()
        port = int(tap.url.rsplit(":", 1)[1])
        answers = exchange(port, times=2)
        middle_done = tap.position()
        exchange(port, times=1)
        counted = traffic(tap.since(start, middle_done))
        everything = traffic(tap.since(start))

    assert answers == RESPONSE * 2
    assert (counted.sent, counted.received) == (len(REQUEST) * 2, len(RESPONSE) * 2)
    assert counted.connections == 1
    assert counted.round_trips == 2
    assert counted.framing_sent == 2 * (len(REQUEST) - 5)
    assert counted.framing_received == 2 * (len(RESPONSE) - 2)
    assert counted.content == 2 * (5 + 2)
    assert (everything.connections, everything.round_trips) == (2, 3)
    assert bytes(tap.connections[0].sent) == REQUEST * 2
    assert bytes(tap.connections[0].received) == RESPONSE * 2


def test_messages_come_back_in_the_order_they_crossed() -> None:
    connection = recorded(
        REQUEST * 2,
        RESPONSE * 2,
        [(True, 0), (False, 0), (True, len(REQUEST)), (False, len(RESPONSE))],
    )

    found = messages(connection)

    assert [m.sent for m in found] == [True, False, True, False]
    assert [m.http.raw for m in found if m.http] == [REQUEST, RESPONSE, REQUEST, RESPONSE]


def test_a_chunked_body_is_cut_at_its_last_chunk_and_trailer() -> None:
    message = read_message(CHUNKED + RESPONSE, 0, response=True)

    assert message is not None
    assert message.raw == CHUNKED
    assert message.payload == len(b"abcdefg")
    assert message.framing == len(CHUNKED) - len(b"abcdefg")
    assert message.content == b"abcdefg"


def test_an_answer_to_head_has_no_body_though_it_announces_one() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n"

    message = read_message(head + RESPONSE, 0, response=True, bodiless=True)

    assert message is not None
    assert message.raw == head


def test_a_message_cut_short_by_the_record_is_not_returned() -> None:
    assert read_message(REQUEST[:-1], 0, response=False) is None
    assert read_message(CHUNKED[:-2], 0, response=True) is None


def test_after_a_101_the_stream_is_read_as_websocket_frames() -> None:
    connection = recorded(
        HANDSHAKE + CLIENT_HI,
        SWITCHED + SERVER_OK,
        [(True, 0), (False, 0), (True, len(HANDSHAKE)), (False, len(SWITCHED))],
    )

    found = messages(connection)

    assert [m.is_handshake for m in found] == [True, True, False, False]
    hi, ok = found[2].frame, found[3].frame
    assert hi is not None
    assert ok is not None
    assert (hi.size, hi.framing, hi.data, hi.opcode) == (8, 6, b"hi", Opcode.TEXT)
    assert (ok.size, ok.framing, ok.data) == (4, 2, b"ok")
    counted = traffic(_whole(connection))
    assert counted.round_trips == 2  # the upgrade request, and the frame the server answers
    assert counted.content == 4


def test_compressed_frames_are_inflated_with_the_negotiated_extension() -> None:
    text = b'{"jsonrpc": "2.0", "method": "get_book", "params": {"isbn": "9780132350884"}}'
    encoder = PerMessageDeflate(False, False, 15, 15)
    wire = b"".join(
        Frame(Opcode.TEXT, text).serialize(mask=True, extensions=[encoder]) for _ in range(2)
    )

    frames = read_frames(wire, 0, from_client=True, deflate=True)

    assert [f.data for f in frames] == [text, text]
    assert all(f.compressed for f in frames)
    # The second copy costs less: the compressor remembers the first.
    assert frames[1].payload < frames[0].payload < len(text)
    assert sum(f.size for f in frames) == len(wire)


def test_deflate_is_read_from_the_servers_answer() -> None:
    assert deflate_negotiated("permessage-deflate; server_max_window_bits=12")
    assert not deflate_negotiated(None)
    assert not deflate_negotiated("x-webkit-deflate-frame")


def test_the_printed_conversation_holds_the_http_bytes_verbatim() -> None:
    connection = recorded(REQUEST, RESPONSE, [(True, 0), (False, 0)])

    shown = conversation([connection], body_limit=0)

    assert REQUEST.decode() in shown
    assert RESPONSE.decode() in shown
    assert shown.index("POST /echo") < shown.index("HTTP/1.1 200 OK")


def test_a_long_body_is_cut_and_the_cut_is_announced() -> None:
    connection = recorded(REQUEST, RESPONSE, [(True, 0), (False, 0)])

    shown = conversation([connection], body_limit=2)

    assert "hello" not in shown
    assert "he\n[... 3 more bytes of this body not shown" in shown


def test_only_plain_http_gateways_can_be_tapped() -> None:
    with pytest.raises(WireError, match="http://"):
        WireTap("https://127.0.0.1:8443")


def _whole(connection: Connection) -> Span:
    return Span(((connection, 0, len(connection.sent), 0, len(connection.received)),), opened=1)
