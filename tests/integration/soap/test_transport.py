"""SOAP over raw HTTP: what a hand-written or broken request gets back, and the WSDL's address.

Every request here carries a timeout: an endpoint that hangs fails the test instead of the run.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault

from tests.conftest import gateway_settings
from tests.live import LiveGateway, serve

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:rosetta:library"
TIMEOUT = 10.0
SAMPLE_ISBN = "9780132350884"
# No book: should a check below fail, nothing shared changes. Fixed, not drawn: it appears in
# test ids, which must be the same in every pytest-xdist worker (`make test-stress`).
UNKNOWN_ISBN = "9798000000007"


def envelope(body: str, header: str = "") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:l="{TNS}">'
        f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def post(gateway: LiveGateway, content: bytes, **headers: str) -> httpx.Response:
    headers.setdefault("Content-Type", "text/xml; charset=utf-8")
    return httpx.post(gateway.soap_url, content=content, headers=headers, timeout=TIMEOUT)


def fault_in(answer: httpx.Response) -> etree._Element:
    assert answer.headers["content-type"].startswith("text/xml")
    root = etree.fromstring(answer.content)
    assert root.tag == f"{{{ENV}}}Envelope"
    fault = root.find(f"{{{ENV}}}Body/{{{ENV}}}Fault")
    assert fault is not None, answer.text
    return fault


def client_fault(answer: httpx.Response, code: str = "Client.InvalidInput") -> etree._Element:
    """The fault of an answer, checked to be the client's kind of fault with kind invalid_input."""
    assert answer.status_code == 500  # SOAP 1.1, 6.2: a fault travels with HTTP 500
    fault = fault_in(answer)
    assert fault.findtext("faultcode") == f"soap11env:{code}"
    assert fault.findtext("detail/kind") == "invalid_input"
    return fault


def test_an_empty_post_is_a_client_fault(gateway: LiveGateway) -> None:
    fault = client_fault(post(gateway, b""))
    assert "empty" in (fault.findtext("faultstring") or "")


def test_a_body_that_is_not_xml_is_a_client_fault(gateway: LiveGateway) -> None:
    fault = client_fault(post(gateway, b"this is not xml"))
    assert "not well-formed XML" in (fault.findtext("faultstring") or "")
    assert "<string>" not in (fault.findtext("faultstring") or "")


def test_a_truncated_envelope_is_a_client_fault(gateway: LiveGateway) -> None:
    whole = envelope(f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn></l:GetBook>")
    client_fault(post(gateway, whole[: len(whole) // 2]))


def test_xml_that_is_not_an_envelope_is_a_client_fault(gateway: LiveGateway) -> None:
    fault = client_fault(post(gateway, b"<order><item>1</item></order>"))
    assert "not a SOAP 1.1 envelope" in (fault.findtext("faultstring") or "")


def test_an_unknown_operation_is_a_client_fault(gateway: LiveGateway) -> None:
    fault = client_fault(post(gateway, envelope("<l:BurnBook/>")))
    assert f"{{{TNS}}}BurnBook" in (fault.findtext("faultstring") or "")


@pytest.mark.parametrize(
    "document",
    [envelope(""), f'<s:Envelope xmlns:s="{ENV}"><s:Header/></s:Envelope>'.encode()],
    ids=["empty Body", "no Body"],
)
def test_an_envelope_without_an_operation_is_a_client_fault(
    gateway: LiveGateway, document: bytes
) -> None:
    client_fault(post(gateway, document))


def test_a_soap_12_envelope_is_a_version_mismatch(gateway: LiveGateway) -> None:
    soap12 = b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'
    client_fault(post(gateway, soap12), code="VersionMismatch")


def test_a_document_type_declaration_is_refused(gateway: LiveGateway) -> None:
    body = envelope(f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn></l:GetBook>")
    client_fault(post(gateway, b'<!DOCTYPE s:Envelope [<!ENTITY x "y">]>' + body))


def test_a_header_that_must_be_understood_but_is_not_is_refused(gateway: LiveGateway) -> None:
    header = '<t:Transaction xmlns:t="urn:example" s:mustUnderstand="1">5</t:Transaction>'
    body = f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn></l:GetBook>"
    client_fault(post(gateway, envelope(body, header)), code="MustUnderstand")


def test_a_value_not_of_its_xsd_type_names_its_field(gateway: LiveGateway) -> None:
    fault = client_fault(
        post(gateway, envelope("<l:ListBooks><l:limit>ten</l:limit></l:ListBooks>"))
    )
    assert fault.findtext("detail/errors/error/field") == "limit"
    assert "xs:int" in (fault.findtext("detail/errors/error/message") or "")


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("<l:ListBooks><l:limit>1_0</l:limit></l:ListBooks>", "limit"),
        ("<l:ListBooks><l:offset>99999999999</l:offset></l:ListBooks>", "offset"),
        ("<l:ListLoans><l:open_only>maybe</l:open_only></l:ListLoans>", "open_only"),
        (
            f"<l:UpdateBook><l:isbn>{UNKNOWN_ISBN}</l:isbn><l:price>1e3</l:price></l:UpdateBook>",
            "price",
        ),
        (
            f"<l:UpdateBook><l:isbn>{UNKNOWN_ISBN}</l:isbn><l:published>2024-5-7</l:published></l:UpdateBook>",
            "published",
        ),
    ],
)
def test_values_must_have_the_lexical_form_of_their_xsd_type(
    gateway: LiveGateway, operation: str, field: str
) -> None:
    fault = client_fault(post(gateway, envelope(operation)))
    assert fault.findtext("detail/errors/error/field") == field


def test_an_unknown_parameter_is_refused(gateway: LiveGateway) -> None:
    body = f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn><l:version>3</l:version></l:GetBook>"
    fault = client_fault(post(gateway, envelope(body)))
    assert fault.findtext("detail/errors/error/field") == "version"


def test_a_missing_parameter_is_reported_by_the_domain(gateway: LiveGateway) -> None:
    fault = client_fault(post(gateway, envelope("<l:GetBook/>")))
    assert fault.findtext("detail/errors/error/field") == "isbn"


def test_a_request_without_content_type_is_still_served(gateway: LiveGateway) -> None:
    body = envelope(f"<l:GetBook><l:isbn>{SAMPLE_ISBN}</l:isbn></l:GetBook>")
    answer = httpx.post(gateway.soap_url, content=body, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert SAMPLE_ISBN in answer.text


def test_a_get_without_wsdl_is_a_fault_that_points_to_the_wsdl(gateway: LiveGateway) -> None:
    answer = httpx.get(gateway.soap_url, timeout=TIMEOUT)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    fault = fault_in(answer)
    assert fault.findtext("detail/kind") == "invalid_input"
    assert "?wsdl" in (fault.findtext("faultstring") or "")


def test_a_body_over_max_body_is_refused_with_a_fault(gateway: LiveGateway) -> None:
    too_big = b" " * (gateway.settings.max_body + 1)
    answer = post(gateway, too_big)
    assert answer.status_code == 413
    assert fault_in(answer).findtext("detail/kind") == "invalid_input"


def test_a_chunked_body_over_max_body_is_refused_with_a_fault(gateway: LiveGateway) -> None:
    chunk = b" " * 64 * 1024
    count = gateway.settings.max_body // len(chunk) + 1
    answer = post(gateway, iter([chunk] * count))  # type: ignore[arg-type]
    assert answer.status_code == 413
    assert fault_in(answer).findtext("detail/kind") == "invalid_input"


def wsdl_address(answer: httpx.Response) -> str | None:
    soap = "http://schemas.xmlsoap.org/wsdl/soap/"
    address = etree.fromstring(answer.content).find(f".//{{{soap}}}address")
    assert address is not None
    return address.get("location")


def test_the_wsdl_address_follows_the_host_header(gateway: LiveGateway) -> None:
    for host in ("library.example:8443", "127.0.0.1:9999"):
        answer = httpx.get(gateway.wsdl_url, headers={"Host": host}, timeout=TIMEOUT)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/xml")
        assert wsdl_address(answer) == f"http://{host}/soap"


def test_head_of_the_wsdl_has_its_headers_and_no_body(gateway: LiveGateway) -> None:
    answer = httpx.head(gateway.wsdl_url, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    assert int(answer.headers["content-length"]) > 0
    assert answer.content == b""


def test_the_wsdl_address_is_the_url_the_client_used(gateway: LiveGateway) -> None:
    assert wsdl_address(httpx.get(gateway.wsdl_url, timeout=TIMEOUT)) == gateway.soap_url


def test_malformed_requests_are_counted_as_invalid_input(gateway: LiveGateway) -> None:
    post(gateway, b"")
    metrics = httpx.get(f"{gateway.url}/metrics", timeout=TIMEOUT).text
    labels = 'kind="invalid_input",operation="unknown",protocol="soap"'
    assert f"rosetta_errors_total{{{labels}}}" in metrics


@pytest.fixture(scope="module")
def broken_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway whose database lost a table behind its back: every book read fails."""
    directory = tmp_path_factory.mktemp("broken")
    with serve(gateway_settings(directory)) as live:
        with closing(sqlite3.connect(Path(directory) / "rosetta.db")) as database, database:
            database.execute("DROP TABLE book_tags")
        yield live


def test_a_server_fault_hides_its_cause_and_logs_it(
    broken_gateway: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with zeep.Client(broken_gateway.wsdl_url) as client, pytest.raises(Fault) as raised:
        client.service.GetBook(SAMPLE_ISBN)
    fault = raised.value
    assert fault.code == "soap11env:Server"
    assert fault.detail.findtext("kind") == "server_fault"
    assert "book_tags" not in fault.message
    assert "Traceback" not in fault.message
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert any("book_tags" in str(r.exc_info[1]) for r in logged if r.exc_info)
