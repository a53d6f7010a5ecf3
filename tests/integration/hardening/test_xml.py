"""Hostile XML at /soap: DTDs, entity bombs, external entities, and what faults and logs say.

Every request carries a timeout, so a parser that hangs or expands a bomb fails the test rather
than the run.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from gateway.settings import Settings
from tests.integration.soap.test_transport import ENV, SAMPLE_ISBN, TIMEOUT, TNS, client_fault
from tests.live import LiveGateway
from tests.load.server import running

GET_BOOK = f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn></l:GetBook>"
DTD_FAULT = "must not contain a DTD"
# Fragments of libxml2's own messages: parser internals that a faultstring must not echo.
LIBXML2_WORDING = (
    "XML_PARSE_HUGE",
    "xmlCtxt",
    "xmlParse",
    "amplification",
    "Entity '",
    "PCDATA",
    "AttValue",
    "StartTag",
    "Opening and ending tag mismatch",
    "Premature end of data",
    "<string>",
)


def envelope(body: str, prolog: str = "") -> bytes:
    return (
        f'{prolog}<s:Envelope xmlns:s="{ENV}" xmlns:l="{TNS}"><s:Body>{body}</s:Body></s:Envelope>'
    ).encode()


def post(gateway: LiveGateway, content: bytes) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    return httpx.post(gateway.soap_url, content=content, headers=headers, timeout=TIMEOUT)


def faultstring(answer: httpx.Response) -> str:
    return client_fault(answer).findtext("faultstring") or ""


BILLION_LAUGHS = "".join(
    [
        '<!DOCTYPE s:Envelope [<!ENTITY a "lollollollollollollollollollol">',
        *(f'<!ENTITY {chr(98 + i)} "{f"&{chr(97 + i)};" * 10}">' for i in range(9)),
        "]>",
    ]
)
QUADRATIC = f'<!DOCTYPE s:Envelope [<!ENTITY a "{"a" * 50_000}">]>'

DTD_DOCUMENTS = {
    "a bare DOCTYPE": envelope(GET_BOOK, "<!DOCTYPE s:Envelope>"),
    "an internal entity": envelope(
        "<l:GetBook><l:isbn>&x;</l:isbn></l:GetBook>",
        '<!DOCTYPE s:Envelope [<!ENTITY x "9780132350884">]>',
    ),
    "a file entity": envelope(
        "<l:GetBook><l:isbn>&x;</l:isbn></l:GetBook>",
        '<!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ),
    "billion laughs": envelope("<l:GetBook><l:isbn>&j;</l:isbn></l:GetBook>", BILLION_LAUGHS),
    "quadratic blow-up": envelope(
        f"<l:GetBook><l:isbn>{'&a;' * 20_000}</l:isbn></l:GetBook>", QUADRATIC
    ),
    "a DOCTYPE after a declaration and a comment": envelope(
        GET_BOOK, '<?xml version="1.0"?>\n<!-- hello -->\n<!DOCTYPE s:Envelope>'
    ),
    "a DOCTYPE in UTF-16": envelope(GET_BOOK, "<!DOCTYPE s:Envelope>").decode().encode("utf-16"),
}


@pytest.mark.parametrize("document", DTD_DOCUMENTS.values(), ids=DTD_DOCUMENTS.keys())
def test_any_dtd_is_a_client_fault_that_says_so(gateway: LiveGateway, document: bytes) -> None:
    assert DTD_FAULT in faultstring(post(gateway, document))


def test_entity_bombs_are_refused_within_bounded_memory(tmp_path: Path) -> None:
    # A gateway in a process of its own (one worker serves in the process `rosetta serve`
    # starts), whose peak resident size the kernel keeps: this one's tests cannot move it.
    # Either bomb, expanded, would need gigabytes; unexpanded, the peak barely moves.
    with running(tmp_path / "bombs.db") as server:
        target = LiveGateway(server.url, Settings(db=str(tmp_path / "bombs.db")))
        assert DTD_FAULT in faultstring(post(target, DTD_DOCUMENTS["billion laughs"]))  # warm
        before = peak_resident_kib(server.process.pid)
        for bomb in ("billion laughs", "quadratic blow-up"):
            for _ in range(20):
                assert DTD_FAULT in faultstring(post(target, DTD_DOCUMENTS[bomb]))
        grown_mib = (peak_resident_kib(server.process.pid) - before) / 1024
    assert grown_mib < 50


def peak_resident_kib(pid: int) -> int:
    """The process's peak resident set size so far (VmHWM in /proc/PID/status), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.MULTILINE)
    assert found is not None, status
    return int(found[1])


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback TCP server that records whatever connects to it: the proof of a fetch."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                received.append(connection.recv(1024))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", received
    stop.set()
    thread.join()
    server.close()


def test_external_entities_and_dtds_are_never_fetched(
    gateway: LiveGateway, listener: tuple[str, list[bytes]]
) -> None:
    url, received = listener
    documents = [
        envelope("<l:GetBook><l:isbn>&x;</l:isbn></l:GetBook>", f'<!DOCTYPE x SYSTEM "{url}/a">'),
        envelope(
            "<l:GetBook><l:isbn>&x;</l:isbn></l:GetBook>",
            f'<!DOCTYPE x [<!ENTITY x SYSTEM "{url}/b">]>',
        ),
        envelope(GET_BOOK, f'<!DOCTYPE x [<!ENTITY % p SYSTEM "{url}/c"> %p;]>'),
        envelope(
            f'<l:GetBook><l:isbn><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
            f'href="{url}/d" parse="text"/></l:isbn></l:GetBook>'
        ),
    ]
    for document in documents:
        client_fault(post(gateway, document))
    # A fetch would have connected before the fault came back; a last request makes sure.
    with httpx.Client(timeout=TIMEOUT) as probe:
        probe.get(f"{gateway.url}/healthz")
    assert received == []


MALFORMED = {
    "an undeclared entity": envelope("<l:GetBook><l:isbn>&x;</l:isbn></l:GetBook>"),
    "nesting deeper than 256": envelope(f"<l:GetBook>{'<a>' * 5000}{'</a>' * 5000}</l:GetBook>"),
    "mismatched tags": f'<s:Envelope xmlns:s="{ENV}"><s:Body></s:Envelop>'.encode(),
    "a cut-off tag": envelope(GET_BOOK)[:60],
    "bytes that are not UTF-8": envelope(GET_BOOK).replace(SAMPLE_ISBN.encode(), b"\xff\xfe"),
    "an unknown encoding": b'<?xml version="1.0" encoding="bogus"?>' + envelope(GET_BOOK),
    "a bare ampersand": envelope("<l:GetBook><l:isbn>fish & chips</l:isbn></l:GetBook>"),
    "a control character": envelope("<l:GetBook><l:isbn>\x01</l:isbn></l:GetBook>"),
    "an undeclared prefix": b"<x:Envelope/>",
    "content after the root": envelope(GET_BOOK) + b"<more/>",
    "a JSON body": b'{"isbn": "9780132350884"}',
}


@pytest.mark.parametrize("document", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_xml_is_explained_in_plain_words(gateway: LiveGateway, document: bytes) -> None:
    said = faultstring(post(gateway, document))
    assert said.startswith("the request is not well-formed XML: ")
    assert "(line 1, column " in said
    assert not [fragment for fragment in LIBXML2_WORDING if fragment in said]


def test_a_document_at_the_depth_limit_is_read(gateway: LiveGateway) -> None:
    # Envelope, Body and GetBook are three levels; an unknown parameter nests the rest.
    deep = f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn>{'<a>' * 250}{'</a>' * 250}</l:GetBook>"
    fault = client_fault(post(gateway, envelope(deep)))
    assert fault.findtext("detail/errors/error/field") == "a"  # refused by the contract only


def test_comments_and_processing_instructions_before_the_envelope_are_fine(
    gateway: LiveGateway,
) -> None:
    prolog = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment --><?pi data?>\n'
    answer = post(gateway, envelope(GET_BOOK, prolog))
    assert answer.status_code == 200
    assert SAMPLE_ISBN in answer.text


def test_a_utf16_envelope_is_read(gateway: LiveGateway) -> None:
    answer = post(gateway, envelope(GET_BOOK).decode().encode("utf-16"))
    assert answer.status_code == 200
    assert SAMPLE_ISBN in answer.text


def test_logs_of_refused_payloads_are_capped(
    gateway: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "QQQQ"
    payloads = [
        envelope(f"<l:GetBook><l:isbn>{marker * 100_000}</l:GetBook>"),  # malformed
        envelope(f"<l:GetBook><l:isbn>{marker * 100_000}</l:isbn></l:GetBook>"),  # invalid
        envelope(GET_BOOK, f"<!DOCTYPE s:Envelope [<!ENTITY x '{marker * 100_000}'>]>"),
    ]
    with caplog.at_level(logging.DEBUG):
        for payload in payloads:
            client_fault(post(gateway, payload))
    logged = [r.getMessage() for r in caplog.records]
    assert any(marker in message for message in logged)  # what was refused is told, but
    assert max(message.count(marker) for message in logged) <= 1024 // len(marker)


def test_the_fault_for_a_refused_dtd_is_a_soap_envelope(gateway: LiveGateway) -> None:
    answer = post(gateway, DTD_DOCUMENTS["billion laughs"])
    assert answer.headers["content-type"].startswith("text/xml")
    assert etree.fromstring(answer.content).tag == f"{{{ENV}}}Envelope"
