"""`rosetta call`: one real call through one protocol, and with --wire the bytes as they crossed."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from clients.compare.call import run_call
from tests.live import LiveGateway

ISBN = "9780132350884"
ROSETTA = str(Path(sys.executable).parent / "rosetta")


def call(gateway: LiveGateway, *words: str, **options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    protocol, operation, *rest = words
    status = run_call(gateway.url, protocol, operation, list(rest), out=out, err=err, **options)  # type: ignore[arg-type]
    return status, out.getvalue(), err.getvalue()


def blocks(wire: str) -> list[tuple[str, str]]:
    """The printed conversation as (direction, text) blocks."""
    found = re.split(r"^(>>> client to server|<<< server to client), [^\n]*\n", wire, flags=re.M)
    return list(zip(found[1::2], found[2::2], strict=True))


@pytest.mark.parametrize("protocol", ["rest", "soap", "websocket", "ws"])
def test_a_call_prints_the_answer_as_json(gateway: LiveGateway, protocol: str) -> None:
    status, out, err = call(gateway, protocol, "get_book", f"isbn={ISBN}")

    assert (status, err) == (0, "")
    assert json.loads(out)["title"] == "Clean Code"


def test_the_soap_wire_shows_the_envelope_and_the_answer_as_they_crossed(
    gateway: LiveGateway,
) -> None:
    status, out, _ = call(gateway, "soap", "get_book", f"isbn={ISBN}", wire=True, wire_max=0)

    assert status == 0
    answer, wire = out.split("--- on the wire ---")
    assert json.loads(answer)["isbn"] == ISBN
    shown = blocks(wire)
    assert [direction[:3] for direction, _ in shown] == [">>>", "<<<", ">>>", "<<<"]
    wsdl_request, wsdl, request, response = (text for _, text in shown)
    assert wsdl_request.startswith("GET /soap?wsdl HTTP/1.1\r\n")
    assert "<wsdl:definitions" in wsdl
    assert request.startswith("POST /soap HTTP/1.1\r\n")
    assert 'SOAPAction: "GetBook"\r\n' in request
    head, envelope = request.split("\r\n\r\n", 1)
    envelope = envelope.rstrip("\n")
    length = re.search(r"Content-Length: (\d+)", head)
    assert length is not None
    assert int(length.group(1)) == len(envelope.encode())
    # Sent again, the printed envelope gets the printed answer: it is what crossed.
    again = httpx.post(
        gateway.soap_url,
        content=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetBook"'},
    )
    assert response.startswith("HTTP/1.1 200 OK\r\n")
    assert response.split("\r\n\r\n", 1)[1].rstrip("\n") == again.text


def test_the_websocket_wire_shows_the_handshake_and_each_frame(gateway: LiveGateway) -> None:
    status, out, _ = call(gateway, "ws", "get_book", ISBN, wire=True)

    assert status == 0
    shown = blocks(out.split("--- on the wire ---")[1])
    texts = [text for _, text in shown]
    assert texts[0].startswith("GET /ws HTTP/1.1\r\n")
    assert "Upgrade: websocket" in texts[0]
    assert texts[1].startswith("HTTP/1.1 101 Switching Protocols\r\n")
    call_frame, answer_frame = texts[2], texts[3]
    assert "TEXT, FIN, masked with" in call_frame
    request = json.loads(call_frame.split("\n", 1)[1])
    assert request["method"] == "get_book"
    assert json.loads(answer_frame.split("\n", 1)[1])["result"]["title"] == "Clean Code"
    assert "close code 1000" in texts[-1]


def test_a_long_body_is_cut_unless_asked_for_all(gateway: LiveGateway) -> None:
    _, cut, _ = call(gateway, "soap", "get_book", ISBN, wire=True)
    _, whole, _ = call(gateway, "soap", "get_book", ISBN, wire=True, wire_max=0)

    assert "more bytes of this body not shown; --wire-max 0 shows all" in cut
    assert "not shown" not in whole
    assert "</wsdl:definitions>" in whole


def test_an_error_answer_is_named_by_its_kind(gateway: LiveGateway) -> None:
    status, out, err = call(gateway, "rest", "get_book", "isbn=9780000000002", wire=True)

    assert status == 1
    assert "rest error, kind not_found" in err
    assert "HTTP/1.1 404 Not Found" in out


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["smtp", "get_book", ISBN], "unknown protocol 'smtp'"),
        (["rest", "get_bok", ISBN], "unknown operation 'get_bok'"),
        (["rest", "get_book", "isbn=1", "colour=red"], "get_book takes no 'colour'"),
        (["rest", "list_books", "limit=many"], "limit must be a whole number"),
        (["rest", "get_book", ISBN, "extra"], "unexpected argument 'extra'"),
        (["rest", "get_book"], "get_book needs isbn; usage: get_book isbn=..."),
        (["ws", "get_loan"], "get_loan needs loan_id; usage: get_loan loan_id=..."),
    ],
)
def test_a_wrong_command_line_is_refused_before_any_call(
    gateway: LiveGateway, words: list[str], message: str
) -> None:
    status, out, err = call(gateway, *words)

    assert status == 2
    assert message in err
    assert out == ""


def test_a_gateway_that_is_not_there_is_named_without_a_traceback() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [ROSETTA, "call", "soap", "get_book", ISBN, "--url", f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert f"cannot reach a Rosetta gateway at http://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
