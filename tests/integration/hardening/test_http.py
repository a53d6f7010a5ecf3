"""HTTP bodies under the limits: size, time, media type, and requests that stop half-way.

Raw sockets send what no well-behaved client would: a body that never ends, or one cut off.
Each read has a timeout, so a server that hangs fails the test instead of the run.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import gateway_settings
from tests.integration.soap.test_transport import envelope, fault_in
from tests.live import LiveGateway, serve
from tests.support import book_fields

TIMEOUT = 10.0
SAMPLE_ISBN = "9780132350884"
GET_BOOK = envelope(f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn></l:GetBook>")
BODY_TIMEOUT = 0.5  # seconds; short, so that the tests that wait it out stay quick


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway that gives request bodies half a second to arrive."""
    settings = gateway_settings(tmp_path_factory.mktemp("impatient"), body_timeout=BODY_TIMEOUT)
    with serve(settings) as live:
        yield live


def exchange(gateway: LiveGateway, request: bytes, half_close: bool = False) -> bytes:
    """Sends raw bytes and reads until the server closes; what came back, maybe nothing."""
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as raw:
        raw.sendall(request)
        if half_close:
            raw.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
        return received


def head_of(path: str, content_type: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: rosetta.test\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


STALLED = {
    "rest": ("/rest/books", "application/json", b'{"isbn": '),
    "soap": ("/soap", "text/xml", GET_BOOK[:40]),
    "demo": ("/demo/api/run", "application/json", b'{"operation": '),
}
# How each path names a refused body: a problem type, or a SOAP fault code.
REFUSAL_MARKS = {
    "rest": {408: b"request_timeout", 413: b"content_too_large"},
    "soap": {408: b"Client.InvalidInput", 413: b"Client.InvalidInput"},
    "demo": {408: b"request_timeout", 413: b"content_too_large"},
}


@pytest.mark.parametrize("protocol", sorted(STALLED))
def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(
    impatient: LiveGateway, protocol: str
) -> None:
    path, content_type, start = STALLED[protocol]
    # The whole exchange ends only because the server closes the connection after its 408.
    answer = exchange(impatient, head_of(path, content_type, 1000) + start)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in head.lower()
    assert b"did not arrive within 0.5 seconds" in body
    assert REFUSAL_MARKS[protocol][408] in body


@pytest.mark.parametrize("protocol", sorted(STALLED))
def test_a_body_declared_over_the_limit_is_refused_413_before_it_is_sent(
    gateway: LiveGateway, protocol: str
) -> None:
    path, content_type, _ = STALLED[protocol]
    # Only the head goes out: an answer proves the server judged the Content-Length alone.
    head = head_of(path, content_type, gateway.settings.max_body + 1)
    status, body = first_answer(gateway, head)
    assert status == 413
    assert f"larger than the limit of {gateway.settings.max_body} bytes".encode() in body
    assert REFUSAL_MARKS[protocol][413] in body


def first_answer(gateway: LiveGateway, request: bytes) -> tuple[int, bytes]:
    """Sends raw bytes and reads the one answer that comes back: its status and body."""
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as raw:
        raw.sendall(request)
        with contextlib.closing(http.client.HTTPResponse(raw)) as answer:
            answer.begin()
            return answer.status, answer.read()


@pytest.mark.parametrize("protocol", ["rest", "soap"])
def test_a_body_cut_off_by_a_client_that_leaves_is_no_server_fault(
    gateway: LiveGateway, protocol: str
) -> None:
    path, content_type, start = STALLED[protocol]
    faults_before = server_faults(gateway, protocol)
    # The client sends half a body and closes its side: no answer can reach it any more.
    exchange(gateway, head_of(path, content_type, 1000) + start, half_close=True)
    assert httpx.get(f"{gateway.url}/healthz", timeout=TIMEOUT).status_code == 200
    assert server_faults(gateway, protocol) == faults_before


def server_faults(gateway: LiveGateway, protocol: str) -> float:
    metrics = httpx.get(f"{gateway.url}/metrics", timeout=TIMEOUT).text
    prefix = "rosetta_errors_total{"
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(prefix)
        and 'kind="server_fault"' in line
        and f'protocol="{protocol}"' in line
    )


def test_empty_posts_get_an_answer_on_rest(gateway: LiveGateway) -> None:
    url = f"{gateway.rest_url}/books"
    with httpx.Client(timeout=TIMEOUT) as client:
        as_json = client.post(url, content=b"", headers={"Content-Type": "application/json"})
        undeclared = client.post(url, content=b"")
    assert as_json.status_code == 422
    assert as_json.json()["kind"] == "invalid_input"
    assert undeclared.status_code == 415


def test_a_rest_body_at_the_limit_is_read(gateway: LiveGateway) -> None:
    body = httpx.Request("POST", "/", json=book_fields()).content
    padded = body + b" " * (gateway.settings.max_body - len(body))
    answer = httpx.post(
        f"{gateway.rest_url}/books",
        content=padded,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201


def test_a_soap_body_at_the_limit_is_read(gateway: LiveGateway) -> None:
    padded = GET_BOOK + b" " * (gateway.settings.max_body - len(GET_BOOK))
    answer = httpx.post(
        gateway.soap_url, content=padded, headers={"Content-Type": "text/xml"}, timeout=TIMEOUT
    )
    assert answer.status_code == 200
    assert SAMPLE_ISBN in answer.text


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/xml", ""],
)
def test_soap_refuses_a_media_type_other_than_text_xml_with_415(
    gateway: LiveGateway, content_type: str
) -> None:
    answer = httpx.post(
        gateway.soap_url, content=GET_BOOK, headers={"Content-Type": content_type}, timeout=TIMEOUT
    )
    assert answer.status_code == 415
    fault = fault_in(answer)
    assert fault.findtext("faultcode") == "soap11env:Client.InvalidInput"
    assert fault.findtext("detail/kind") == "invalid_input"
    assert "text/xml" in (fault.findtext("faultstring") or "")


def test_the_soap_12_media_type_is_a_version_mismatch(gateway: LiveGateway) -> None:
    soap12 = b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'
    answer = httpx.post(
        gateway.soap_url,
        content=soap12,
        headers={"Content-Type": 'application/soap+xml; charset=utf-8; action="GetBook"'},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 415
    fault = fault_in(answer)
    assert fault.findtext("faultcode") == "soap11env:VersionMismatch"
    assert "SOAP 1.1" in (fault.findtext("faultstring") or "")


@pytest.mark.parametrize("content_type", ["text/xml", "TEXT/XML; charset=UTF-8", "text/xml;"])
def test_text_xml_is_accepted_whatever_its_case_and_parameters(
    gateway: LiveGateway, content_type: str
) -> None:
    answer = httpx.post(
        gateway.soap_url, content=GET_BOOK, headers={"Content-Type": content_type}, timeout=TIMEOUT
    )
    assert answer.status_code == 200


HOSTILE_JSON = {
    "deep nesting": b"[" * 100_000,
    "a huge integer": b'{"copies": ' + b"9" * 5000 + b"}",
    "NaN": b'{"copies": NaN}',
    "not UTF-8": b'{"title": "\xff"}',
}


@pytest.mark.parametrize("body", HOSTILE_JSON.values(), ids=HOSTILE_JSON.keys())
def test_hostile_json_is_invalid_input_on_rest(gateway: LiveGateway, body: bytes) -> None:
    answer = httpx.post(
        f"{gateway.rest_url}/books",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 422
    assert answer.json()["kind"] == "invalid_input"
