"""What the gateway's REST adds to the contract (tests/integration/frameworks/test_rest_contract.py,
run against FastAPI and the other frameworks): one ETag per representation, negotiated by Accept."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.rest.support import SAMPLE_ISBN, add_book, problem, rest_client
from tests.live import LiveGateway


@pytest.fixture
def client(gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(gateway) as client:
        yield client


def test_a_book_varies_by_accept_even_when_not_modified(client: httpx.Client) -> None:
    first = client.get(f"/books/{SAMPLE_ISBN}")
    assert first.headers["content-type"] == "application/json"
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["vary"] == "Accept"
    again = client.get(f"/books/{SAMPLE_ISBN}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["vary"] == "Accept"


def test_if_match_accepts_the_xml_etag(client: httpx.Client) -> None:
    book = add_book(client)
    path = f"/books/{book['isbn']}"
    xml_etag = client.get(path, headers={"Accept": "application/xml"}).headers["etag"]
    assert xml_etag == '"1-xml"'
    assert client.patch(path, json={"copies": 3}, headers={"If-Match": xml_etag}).is_success
    stale = client.patch(path, json={"copies": 4}, headers={"If-Match": xml_etag})
    problem(stale, 412, "version_mismatch")


def test_json_etag_does_not_revalidate_the_xml_representation(client: httpx.Client) -> None:
    json_etag = client.get(f"/books/{SAMPLE_ISBN}").headers["etag"]
    answer = client.get(
        f"/books/{SAMPLE_ISBN}",
        headers={"If-None-Match": json_etag, "Accept": "application/xml"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/xml"
