"""HTTP around the REST resources: content negotiation, body rules, routing errors, faults."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.conftest import gateway_settings
from tests.integration.rest.support import (
    PROBLEM_JSON,
    SAMPLE_ISBN,
    add_book,
    borrow,
    field_names,
    problem,
    rest_client,
)
from tests.live import LiveGateway, serve
from tests.support import book_fields

PROBLEM_NS = "{urn:ietf:rfc:7807}"


@pytest.fixture
def client(gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(gateway) as client:
        yield client


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/json",
        "application/*",
        "application/xml;q=0.5, */*",
        "text/csv, application/json;q=0.1",
    ],
)
def test_json_is_the_default_and_the_tie_breaker(client: httpx.Client, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("Accept", None)
    answer = client.get(f"/books/{SAMPLE_ISBN}", headers=headers)
    assert answer.request.headers.get("accept") == accept
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "accept",
    [
        "application/xml",
        "application/json;q=0.4, application/xml;q=0.9",
        "application/json;q=0, */*",
    ],
)
def test_xml_when_the_client_prefers_it(client: httpx.Client, accept: str) -> None:
    answer = client.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": accept})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/xml"
    assert answer.headers["vary"] == "Accept"
    book = etree.fromstring(answer.content)
    assert book.tag == "book"
    assert book.findtext("isbn") == SAMPLE_ISBN
    assert book.findtext("price") == "37.99"
    assert [a.text for a in book.findall("authors/author")] == ["Robert C. Martin"]
    links = {link.get("rel"): link.get("href") for link in book.findall("link")}
    assert links["self"] == f"/rest/books/{SAMPLE_ISBN}"
    assert links["loans"] == f"/rest/loans?isbn={SAMPLE_ISBN}"


def test_xml_pages_and_loans_mirror_the_json(client: httpx.Client) -> None:
    xml = {"Accept": "application/xml"}
    page = etree.fromstring(client.get("/books", params={"limit": 2}, headers=xml).content)
    assert page.tag == "books"
    assert page.findtext("limit") == "2"
    assert len(page.findall("items/book")) == 2
    assert {link.get("rel") for link in page.findall("link")} >= {"self", "first", "next"}

    loan = borrow(client, add_book(client)["isbn"])
    one = etree.fromstring(client.get(f"/loans/{loan['id']}", headers=xml).content)
    assert one.tag == "loan"
    assert one.findtext("id") == loan["id"]
    assert one.find("returned_at") is None  # null fields are left out
    listed = etree.fromstring(
        client.get("/loans", params={"isbn": loan["isbn"]}, headers=xml).content
    )
    assert [item.findtext("id") for item in listed.findall("items/loan")] == [loan["id"]]


def test_characters_xml_cannot_carry_are_refused_and_never_break_an_xml_problem(
    client: httpx.Client,
) -> None:
    refused = client.post("/books", json=book_fields(title="Bell \x07 book"))
    assert problem(refused, 422, "invalid_input")["errors"][0]["field"] == "title"
    # The problem about an ISBN holding one is still well-formed XML.
    answer = client.get("/books/978%07", headers={"Accept": "application/xml"})
    assert answer.status_code == 422
    assert etree.fromstring(answer.content).findtext("{urn:ietf:rfc:7807}status") == "422"


def test_changes_answer_in_the_negotiated_format_too(client: httpx.Client) -> None:
    answer = client.post("/books", json=book_fields(), headers={"Accept": "application/xml"})
    assert answer.status_code == 201
    assert answer.headers["etag"] == '"1-xml"'
    assert etree.fromstring(answer.content).findtext("version") == "1"


@pytest.mark.parametrize(
    "accept", ["text/csv", "application/json;q=0, application/xml;q=0, text/*;q=0", "image/*"]
)
def test_unacceptable_formats_are_a_406_problem_in_json(client: httpx.Client, accept: str) -> None:
    answer = client.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": accept})
    body = problem(answer, 406, "invalid_input")
    assert body["type"] == "urn:rosetta:problem:not_acceptable"


def test_no_change_happens_when_the_answer_is_not_acceptable(client: httpx.Client) -> None:
    fields = book_fields()
    answer = client.post("/books", json=fields, headers={"Accept": "text/csv"})
    problem(answer, 406, "invalid_input")
    problem(client.get(f"/books/{fields['isbn']}"), 404, "not_found")


def test_errors_come_as_problem_xml_to_clients_that_prefer_xml(client: httpx.Client) -> None:
    answer = client.get("/books/123", headers={"Accept": "application/xml"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+xml"
    body = etree.fromstring(answer.content)
    assert body.tag == f"{PROBLEM_NS}problem"
    assert body.findtext(f"{PROBLEM_NS}kind") == "invalid_input"
    assert body.findtext(f"{PROBLEM_NS}status") == "422"
    fields = body.findall(f"{PROBLEM_NS}errors/{PROBLEM_NS}i/{PROBLEM_NS}field")
    assert [field.text for field in fields] == ["isbn"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_bodies_that_are_not_json_are_415(client: httpx.Client, content_type: str) -> None:
    answer = client.post("/books", content=b'{"a": 1}', headers={"Content-Type": content_type})
    body = problem(answer, 415, "invalid_input")
    assert body["type"] == "urn:rosetta:problem:unsupported_media_type"
    assert answer.headers["accept-post"] == "application/json"


def test_a_patch_without_content_type_is_415_naming_accept_patch(client: httpx.Client) -> None:
    answer = client.patch(f"/books/{SAMPLE_ISBN}", content=b'{"copies": 1}')
    problem(answer, 415, "invalid_input")
    assert "application/merge-patch+json" in answer.headers["accept-patch"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_json_is_invalid_input(
    client: httpx.Client, content: bytes, message: str
) -> None:
    answer = client.post("/books", content=content, headers={"Content-Type": "application/json"})
    body = problem(answer, 422, "invalid_input")
    assert field_names(body) == {"body"}
    assert message in body["errors"][0]["message"]


def too_large(gateway: LiveGateway) -> bytes:
    padding = "x" * (gateway.settings.max_body + 1)
    return f'{{"title": "{padding}"}}'.encode()


def test_a_body_over_the_limit_is_413(gateway: LiveGateway, client: httpx.Client) -> None:
    answer = client.post(
        "/books", content=too_large(gateway), headers={"Content-Type": "application/json"}
    )
    body = problem(answer, 413, "invalid_input")
    assert body["type"] == "urn:rosetta:problem:content_too_large"


def test_a_chunked_body_over_the_limit_is_413(gateway: LiveGateway, client: httpx.Client) -> None:
    content = too_large(gateway)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    answer = client.post("/books", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in answer.request.headers
    problem(answer, 413, "invalid_input")


def test_a_chunked_body_within_the_limit_is_read(client: httpx.Client) -> None:
    fields = book_fields()
    encoded = httpx.Request("POST", "http://x", json=fields).content
    answer = client.post(
        "/books",
        content=iter([encoded[:10], encoded[10:]]),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201
    assert answer.json()["isbn"] == fields["isbn"]


def test_unknown_paths_are_a_404_problem(client: httpx.Client) -> None:
    body = problem(client.get("/shelves"), 404, "not_found")
    assert body["type"] == "urn:rosetta:problem:not_found"


def test_unknown_methods_are_a_405_problem_with_allow(client: httpx.Client) -> None:
    answer = client.put(f"/books/{SAMPLE_ISBN}", json={})
    body = problem(answer, 405, "invalid_input")
    assert body["type"] == "urn:rosetta:problem:method_not_allowed"
    allowed = set(answer.headers["allow"].replace(" ", "").split(","))
    assert allowed == {"GET", "HEAD", "PATCH", "DELETE"}


def test_head_answers_the_headers_of_get_without_a_body(client: httpx.Client) -> None:
    get = client.get(f"/books/{SAMPLE_ISBN}")
    head = client.head(f"/books/{SAMPLE_ISBN}")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]
    revalidated = client.head(
        f"/books/{SAMPLE_ISBN}", headers={"If-None-Match": get.headers["etag"]}
    )
    assert revalidated.status_code == 304
    problem_head = client.head("/books/123")
    assert problem_head.status_code == 422
    assert problem_head.content == b""


def test_metrics_name_each_rest_operation_and_error_kind(
    gateway: LiveGateway, client: httpx.Client
) -> None:
    client.get(f"/books/{SAMPLE_ISBN}").raise_for_status()
    client.get("/books/9790000000001")
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'rosetta_requests_total{operation="get_book",protocol="rest"}' in metrics
    assert 'rosetta_errors_total{kind="not_found",operation="get_book",protocol="rest"}' in metrics


@pytest.fixture(scope="module")
def broken_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveGateway, Path]]:
    """A gateway of its own, so a test can break its database without harming the others."""
    directory = tmp_path_factory.mktemp("broken-rest")
    with serve(gateway_settings(directory)) as live:
        yield live, directory / "rosetta.db"


def test_a_server_fault_is_a_500_problem_without_a_trace_and_is_logged(
    broken_gateway: tuple[LiveGateway, Path], caplog: pytest.LogCaptureFixture
) -> None:
    live, database = broken_gateway
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("DROP TABLE loans")
    with caplog.at_level(logging.ERROR, logger="gateway.rest.api"), rest_client(live) as client:
        answer = client.get("/loans")
    body = problem(answer, 500, "server_fault")
    assert body["type"] == "urn:rosetta:problem:server_fault"
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert "Traceback" not in answer.text
    assert "no such table" not in answer.text
    faults = [record for record in caplog.records if record.name == "gateway.rest.api"]
    assert faults
    assert faults[0].exc_info is not None
