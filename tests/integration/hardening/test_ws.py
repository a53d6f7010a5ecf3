"""Limits at /ws: who may connect (Origin, connection cap), keepalive, batches, frames."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.sync.client import connect
from websockets.typing import Origin
from websockets.uri import parse_uri

from gateway.settings import Settings
from tests.conftest import gateway_settings
from tests.integration.ws.support import SAMPLE_ISBN, WAIT, rpc
from tests.live import LiveGateway, serve
from tests.support import book_fields

SETTLE = 10.0  # seconds to wait for the server to notice a change; a bound, never asserted


def refusal(gateway: LiveGateway, **options: Any) -> Response:
    """The HTTP answer to a handshake the server refuses."""
    with pytest.raises(InvalidStatus) as refused:
        connect(gateway.ws_url, proxy=None, open_timeout=WAIT, **options).close()
    return refused.value.response


def accepted(gateway: LiveGateway, **options: Any) -> bool:
    with connect(gateway.ws_url, proxy=None, open_timeout=WAIT, **options) as ws:
        request = {"jsonrpc": "2.0", "id": 1, "method": "get_book", "params": {"isbn": SAMPLE_ISBN}}
        ws.send(json.dumps(request))
        return bool(json.loads(ws.recv(WAIT))["result"]["isbn"] == SAMPLE_ISBN)


# --- Origin ---------------------------------------------------------------------------------


def test_clients_that_send_no_origin_are_accepted(gateway: LiveGateway) -> None:
    assert accepted(gateway)


def test_the_gateways_own_pages_are_accepted(gateway: LiveGateway) -> None:
    assert accepted(gateway, origin=Origin(gateway.url))


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "null", "https://127.0.0.1", "http://127.0.0.1:1"],
)
def test_other_origins_are_refused_with_403_by_default(gateway: LiveGateway, origin: str) -> None:
    answer = refusal(gateway, origin=Origin(origin))
    assert answer.status_code == 403
    assert b"not allowed" in answer.body


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    directory = tmp_path_factory.mktemp("origins")
    origins = "https://app.example, http://localhost:3000/"
    with serve(gateway_settings(directory, ws_allowed_origins=origins)) as live:
        yield live


def test_listed_origins_are_accepted_besides_the_gateways_own(listed: LiveGateway) -> None:
    for origin in ("https://app.example", "http://localhost:3000", listed.url):
        assert accepted(listed, origin=Origin(origin))
    assert refusal(listed, origin=Origin("https://app.example.evil")).status_code == 403


def test_a_star_accepts_any_origin(tmp_path: Path) -> None:
    with serve(gateway_settings(tmp_path, ws_allowed_origins="*")) as anyone:
        assert accepted(anyone, origin=Origin("http://evil.example"))


def test_an_origin_setting_that_is_no_origin_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match=r"app\.example"):
        Settings(ws_allowed_origins="https://fine.example,app.example")


# --- Connection cap -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    directory = tmp_path_factory.mktemp("capped")
    with serve(gateway_settings(directory, ws_max_connections=2)) as live:
        yield live


def test_past_the_cap_a_handshake_is_refused_with_503_until_one_closes(
    capped: LiveGateway,
) -> None:
    with rpc(capped) as first:
        with rpc(capped) as second:
            answer = refusal(capped)
            assert answer.status_code == 503
            assert answer.headers["Retry-After"].isdigit()
            first.still_answers()
            second.still_answers()
        deadline = time.monotonic() + SETTLE
        while not accepts_one_more(capped):  # the server frees the slot soon after the close
            assert time.monotonic() < deadline, "the closed connection's slot was never freed"
            time.sleep(0.05)


def accepts_one_more(gateway: LiveGateway) -> bool:
    """True once a handshake is accepted; False while the cap still refuses it."""
    try:
        return accepted(gateway)
    except InvalidStatus as refused:
        status = refused.response.status_code
    assert status == 503
    return False


# --- Keepalive ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keepalive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway that pings every 0.2 s and waits 0.3 s for the pong."""
    directory = tmp_path_factory.mktemp("keepalive")
    settings = gateway_settings(directory, ws_ping_interval=0.2, ws_ping_timeout=0.3)
    with serve(settings) as live:
        yield live


def silent_client(gateway: LiveGateway) -> Iterator[Frame]:
    """A client that shakes hands and never writes again, not even a pong.

    Yields the frames it receives, until the server closes the connection.
    """
    protocol = ClientProtocol(parse_uri(gateway.ws_url))
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=WAIT) as raw:
        protocol.send_request(protocol.connect())
        raw.sendall(b"".join(protocol.data_to_send()))
        while data := raw.recv(65536):
            protocol.receive_data(data)  # queues pongs in data_to_send(), which is never sent
            for event in protocol.events_received():
                if isinstance(event, Frame):
                    yield event


def test_a_client_that_does_not_answer_pings_is_closed_with_1011(keepalive: LiveGateway) -> None:
    frames = list(silent_client(keepalive))
    assert any(frame.opcode is Opcode.PING for frame in frames)
    assert frames[-1].opcode is Opcode.CLOSE
    assert Close.parse(frames[-1].data).code == 1011


def test_a_client_that_answers_pings_stays_connected(keepalive: LiveGateway) -> None:
    with rpc(keepalive) as ws:
        time.sleep(1.5)  # several ping intervals and timeouts go by
        ws.still_answers()


def test_a_peer_that_stops_reading_is_dropped_even_with_frames_unsent(
    keepalive: LiveGateway,
) -> None:
    # Big books make one answer of megabytes, more than the socket buffers hold: when the
    # client stops reading, most of it waits unsent on the server, and its close frame behind.
    with httpx.Client(base_url=keepalive.rest_url, timeout=WAIT) as rest:
        for _ in range(20):
            big = book_fields(title="T" * 300, authors=["A" * 200] * 20, tags=["t" * 50] * 20)
            assert rest.post("/books", json=big).status_code == 201
    calls = [
        {"jsonrpc": "2.0", "id": n, "method": "list_books", "params": {"limit": 100}}
        for n in range(100)
    ]
    protocol = ClientProtocol(parse_uri(keepalive.ws_url), max_size=None)
    host, port = keepalive.url.removeprefix("http://").split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    raw.settimeout(WAIT)
    with raw:
        raw.connect((host, int(port)))
        protocol.send_request(protocol.connect())
        raw.sendall(b"".join(protocol.data_to_send()))
        while protocol.state is not State.OPEN:
            protocol.receive_data(raw.recv(4096))
        protocol.send_text(json.dumps(calls).encode())
        raw.sendall(b"".join(protocol.data_to_send()))
        # Pings are answered until the answer starts to arrive (pings are a few bytes each):
        # from then on the client neither reads nor writes.
        received = 0
        while received < 10_000:
            data = raw.recv(4096)
            assert data, "the server closed before it answered"
            received += len(data)
            protocol.receive_data(data)
            raw.sendall(b"".join(protocol.data_to_send()))
        deadline = time.monotonic() + SETTLE
        while open_websockets(keepalive) > 0:
            assert time.monotonic() < deadline, "a peer that stopped reading was never dropped"
            time.sleep(0.05)


def open_websockets(gateway: LiveGateway) -> float:
    metrics = httpx.get(f"{gateway.url}/metrics", timeout=WAIT).text
    line = next(x for x in metrics.splitlines() if x.startswith("rosetta_websocket_connections "))
    return float(line.split()[1])


# --- Messages -------------------------------------------------------------------------------


def test_a_batch_over_the_limit_is_one_invalid_request(gateway: LiveGateway) -> None:
    most = gateway.settings.ws_max_batch
    call = {"jsonrpc": "2.0", "method": "get_book", "params": {"isbn": SAMPLE_ISBN}}
    with rpc(gateway) as ws:
        ws.send([call | {"id": n} for n in range(most + 1)])
        answer = ws.answer()
        assert answer["error"]["code"] == -32600
        assert answer["error"]["data"]["kind"] == "invalid_input"
        assert f"at most {most}" in answer["error"]["message"]
        ws.send([call | {"id": n} for n in range(most)])
        assert len(ws.answer()) == most
        ws.still_answers()


def test_a_message_over_the_limit_in_many_fragments_closes_with_1009(
    gateway: LiveGateway,
) -> None:
    fragment = " " * (64 * 1024)
    count = gateway.settings.max_body // len(fragment) + 1
    with rpc(gateway) as ws:

        def send_then_read() -> None:
            ws.connection.send([fragment] * count)
            ws.answer()

        # The server may close while the last fragments are still going out, or after: the
        # client learns it from its send in the first case, from its read in the second.
        with pytest.raises(ConnectionClosed) as closed:
            send_then_read()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


HOSTILE_FRAMES = {
    "deep nesting": "[" * 100_000,
    "a huge number": '{"jsonrpc": "2.0", "id": ' + "9" * 5000 + "}",
    "an empty frame": "",
    "a lone surrogate escape": '{"jsonrpc": "2.0", "id": "\\ud800", "method": 1}',
}


@pytest.mark.parametrize("frame", HOSTILE_FRAMES.values(), ids=HOSTILE_FRAMES.keys())
def test_hostile_frames_get_a_parse_error_and_the_connection_goes_on(
    gateway: LiveGateway, frame: str
) -> None:
    with rpc(gateway) as ws:
        ws.send(frame)
        error = ws.answer()["error"]
        assert error["code"] in {-32700, -32600}
        assert error["data"]["kind"] == "invalid_input"
        ws.still_answers()


def test_a_text_frame_that_is_not_utf8_fails_the_connection_with_1007(
    gateway: LiveGateway,
) -> None:
    # RFC 6455, 8.1: the one bad frame that must end the connection rather than be answered.
    with rpc(gateway) as ws:
        ws.connection.send(b'{"jsonrpc": "2.0", "id": 1, "method": "\xff"}', text=True)
        with pytest.raises(ConnectionClosed) as closed:
            ws.answer()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007
