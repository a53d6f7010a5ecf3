"""Every resource in every representation the course names: JSON, XML, HTML and plain text,
chosen by Accept or by `?format=`, each with its own ETag; and the entry point at /rest."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import lxml.html
import pytest
from lxml import etree

from gateway.rest.formats import MEDIA_TYPES, Format
from tests.integration.rest.support import SAMPLE_ISBN, add_book, borrow, problem, rest_client
from tests.live import LiveGateway

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ENTRY_LINKS = {"self", "books", "loans", "docs", "openapi", "wsdl", "asyncapi", "demo", "home"}


@pytest.fixture
def client(gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(gateway) as client:
        yield client


def media_type(answer: httpx.Response) -> str:
    return answer.headers["content-type"].partition(";")[0]


@pytest.mark.parametrize("fmt", list(Format), ids=[f.value for f in Format])
def test_a_book_comes_in_each_format_by_accept_and_by_query(
    client: httpx.Client, fmt: Format
) -> None:
    by_accept = client.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": fmt.media_type})
    by_query = client.get(f"/books/{SAMPLE_ISBN}", params={"format": fmt.value})
    for answer in (by_accept, by_query):
        assert answer.status_code == 200
        assert media_type(answer) == fmt.media_type
        assert answer.headers["vary"] == "Accept"
        assert answer.headers["etag"] == f'"1{fmt.etag_suffix}"'
    assert by_accept.content == by_query.content
    assert "Clean Code" in by_accept.text


def test_the_query_wins_over_accept(client: httpx.Client) -> None:
    answer = client.get(
        f"/books/{SAMPLE_ISBN}", params={"format": "text"}, headers={"Accept": "application/xml"}
    )
    assert media_type(answer) == "text/plain"


def test_a_browser_gets_html(client: httpx.Client) -> None:
    answer = client.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": BROWSER_ACCEPT})
    assert answer.headers["content-type"] == "text/html; charset=utf-8"


def test_the_html_links_are_the_json_links_and_lead_somewhere(client: httpx.Client) -> None:
    book = client.get(f"/books/{SAMPLE_ISBN}").json()
    page = lxml.html.fromstring(client.get(f"/books/{SAMPLE_ISBN}?format=html").content)
    anchors = {a.get("rel"): a.get("href") for a in page.iter("a")}
    assert anchors == {rel: link["href"] for rel, link in book["_links"].items()}
    assert page.findtext(".//h1") == "book: Clean Code"
    names = [element.text or "" for element in page.iter("dt")]
    values = [element.text or "" for element in page.iter("dd")]
    fields = dict(zip(names, values, strict=True))
    assert fields["price"] == "37.99"
    assert fields["authors"] == "Robert C. Martin"
    for href in anchors.values():
        followed = client.get(f"{client.base_url.scheme}://{client.base_url.netloc.decode()}{href}")
        assert followed.status_code == 200, href


def test_html_escapes_what_the_data_holds(client: httpx.Client) -> None:
    isbn = add_book(client, title="<script>alert(1)</script> & more")["isbn"]
    answer = client.get(f"/books/{isbn}", params={"format": "html"})
    assert "<script>" not in answer.text
    assert "&lt;script&gt;" in answer.text


def test_plain_text_is_a_readable_summary(client: httpx.Client) -> None:
    text = client.get(f"/books/{SAMPLE_ISBN}", params={"format": "text"}).text
    lines = text.splitlines()
    assert lines[0] == "book: Clean Code"
    assert "authors: Robert C. Martin" in lines
    assert "price: 37.99" in lines
    assert f"  self: /rest/books/{SAMPLE_ISBN}" in lines


@pytest.mark.parametrize("fmt", [Format.HTML, Format.TEXT], ids=["html", "text"])
def test_pages_loans_and_lists_come_in_the_readable_formats_too(
    client: httpx.Client, fmt: Format
) -> None:
    loan = borrow(client, add_book(client)["isbn"])
    paths = ["/books?limit=2", f"/loans/{loan['id']}", f"/loans?isbn={loan['isbn']}"]
    for path in paths:
        answer = client.get(path, headers={"Accept": fmt.media_type})
        assert answer.status_code == 200, path
        assert media_type(answer) == fmt.media_type
    listed = client.get(f"/loans?isbn={loan['isbn']}", headers={"Accept": fmt.media_type})
    assert loan["id"] in listed.text
    assert f"/rest/loans/{loan['id']}" in listed.text


def test_each_format_has_its_own_etag_and_revalidates_alone(client: httpx.Client) -> None:
    tags = {
        fmt: client.get(f"/books/{SAMPLE_ISBN}", params={"format": fmt.value}).headers["etag"]
        for fmt in Format
    }
    assert len(set(tags.values())) == len(Format)
    html = {"Accept": "text/html"}
    kept = client.get(f"/books/{SAMPLE_ISBN}", headers={**html, "If-None-Match": tags[Format.HTML]})
    assert kept.status_code == 304
    other = client.get(
        f"/books/{SAMPLE_ISBN}", headers={**html, "If-None-Match": tags[Format.JSON]}
    )
    assert other.status_code == 200


def test_if_match_takes_the_tag_of_any_format(client: httpx.Client) -> None:
    isbn = add_book(client)["isbn"]
    tag = client.get(f"/books/{isbn}", params={"format": "text"}).headers["etag"]
    assert tag == '"1-text"'
    changed = client.patch(f"/books/{isbn}", json={"copies": 5}, headers={"If-Match": tag})
    assert changed.status_code == 200
    stale = client.patch(f"/books/{isbn}", json={"copies": 6}, headers={"If-Match": tag})
    problem(stale, 412, "version_mismatch")


def test_an_unknown_format_is_invalid_input_naming_the_choices(client: httpx.Client) -> None:
    body = problem(
        client.get(f"/books/{SAMPLE_ISBN}", params={"format": "csv"}), 422, "invalid_input"
    )
    assert body["errors"][0]["field"] == "format"
    assert all(f"'{fmt.value}'" in body["errors"][0]["message"] for fmt in Format)


def test_406_lists_the_available_types(client: httpx.Client) -> None:
    body = problem(
        client.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": "text/csv"}), 406, "invalid_input"
    )
    assert all(media in body["detail"] for media in MEDIA_TYPES)


@pytest.mark.parametrize("path", ["/rest", "/rest/"])
@pytest.mark.parametrize("fmt", list(Format), ids=[f.value for f in Format])
def test_the_entry_point_answers_in_every_format(
    gateway: LiveGateway, path: str, fmt: Format
) -> None:
    answer = httpx.get(f"{gateway.url}{path}", params={"format": fmt.value})
    assert answer.status_code == 200
    assert media_type(answer) == fmt.media_type
    for href in ("/rest/books", "/rest/loans", "/rest/docs", "/soap?wsdl", "/ws/asyncapi.json"):
        assert href in answer.text


def test_every_link_of_the_entry_point_leads_somewhere(gateway: LiveGateway) -> None:
    entry = httpx.get(f"{gateway.url}/rest").json()
    assert set(entry["_links"]) == ENTRY_LINKS
    for link in entry["_links"].values():
        assert httpx.get(f"{gateway.url}{link['href']}").status_code == 200, link


def test_the_xml_entry_point_carries_its_links_as_elements(gateway: LiveGateway) -> None:
    answer = httpx.get(f"{gateway.url}/rest", headers={"Accept": "application/xml"})
    root = etree.fromstring(answer.content)
    assert root.tag == "api"
    assert {link.get("rel") for link in root.findall("link")} == ENTRY_LINKS
