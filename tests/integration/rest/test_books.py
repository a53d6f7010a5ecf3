"""The books resource over REST: every operation, links, pages, ETags and preconditions."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.rest.support import (
    SAMPLE_HYPHENATED,
    SAMPLE_ISBN,
    add_book,
    borrow,
    field_names,
    problem,
    rest_client,
)
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn


@pytest.fixture
def client(gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(gateway) as client:
        yield client


def test_get_book_answers_json_with_links_etag_and_cache_headers(client: httpx.Client) -> None:
    answer = client.get(f"/books/{SAMPLE_ISBN}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    book = answer.json()
    assert book["isbn"] == SAMPLE_ISBN
    assert book["title"] == "Clean Code"
    assert book["price"] == "37.99"
    assert answer.headers["etag"] == f'"{book["version"]}"'
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["vary"] == "Accept"
    assert book["_links"] == {
        "self": {"href": f"/rest/books/{SAMPLE_ISBN}"},
        "collection": {"href": "/rest/books"},
        "loans": {"href": f"/rest/loans?isbn={SAMPLE_ISBN}"},
    }
    assert "content-location" not in answer.headers


def test_hyphenated_isbn_is_answered_directly_naming_the_canonical_url(
    client: httpx.Client,
) -> None:
    answer = client.get(f"/books/{SAMPLE_HYPHENATED}")
    assert answer.status_code == 200
    assert answer.json()["isbn"] == SAMPLE_ISBN
    assert answer.headers["content-location"] == f"/rest/books/{SAMPLE_ISBN}"


def test_book_links_lead_to_the_book_and_its_loans(client: httpx.Client) -> None:
    links = client.get(f"/books/{SAMPLE_ISBN}").json()["_links"]
    root = client.base_url.copy_with(path="/")
    assert httpx.get(root.join(links["self"]["href"])).json()["isbn"] == SAMPLE_ISBN
    assert httpx.get(root.join(links["loans"]["href"])).status_code == 200
    assert httpx.get(root.join(links["collection"]["href"])).json()["total"] >= 1


def test_unknown_book_is_a_not_found_problem(client: httpx.Client) -> None:
    body = problem(client.get(f"/books/{fresh_isbn()}"), 404, "not_found")
    assert body["type"] == "urn:rosetta:problem:not_found"


def test_malformed_isbn_is_an_invalid_input_problem(client: httpx.Client) -> None:
    body = problem(client.get("/books/978-0-13-235088-5"), 422, "invalid_input")
    assert field_names(body) == {"isbn"}


def test_add_book_answers_201_with_location_and_etag(client: httpx.Client) -> None:
    isbn = fresh_isbn()
    hyphenated = f"{isbn[:3]}-{isbn[3:4]}-{isbn[4:12]}-{isbn[12]}"
    answer = client.post("/books", json=book_fields(isbn=hyphenated, price="9.5"))
    assert answer.status_code == 201
    assert answer.headers["location"] == f"/rest/books/{isbn}"
    assert answer.headers["content-location"] == answer.headers["location"]
    assert answer.headers["etag"] == '"1"'
    book = answer.json()
    assert book["isbn"] == isbn
    assert book["price"] == "9.50"
    assert book["version"] == 1
    assert book["available"] == book["copies"] == 2
    assert client.get(answer.headers["location"].removeprefix("/rest")).json() == book


def test_add_book_twice_is_a_conflict(client: httpx.Client) -> None:
    book = add_book(client)
    problem(client.post("/books", json=book_fields(isbn=book["isbn"])), 409, "conflict")


def test_add_book_reports_every_broken_rule(client: httpx.Client) -> None:
    fields = book_fields(title="", price="-1", copies="many", version=3)
    body = problem(client.post("/books", json=fields), 422, "invalid_input")
    assert field_names(body) == {"title", "price", "copies", "version"}
    assert all(error["message"] for error in body["errors"])


def test_update_book_with_if_match_changes_that_version(client: httpx.Client) -> None:
    book = add_book(client)
    answer = client.patch(
        f"/books/{book['isbn']}",
        json={"title": "Second Edition", "tags": []},
        headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert answer.status_code == 200
    changed = answer.json()
    assert changed["title"] == "Second Edition"
    assert changed["tags"] == []
    assert changed["authors"] == book["authors"]
    assert changed["version"] == 2
    assert answer.headers["etag"] == '"2"'


def test_update_book_with_a_stale_etag_is_a_version_mismatch(client: httpx.Client) -> None:
    book = add_book(client)
    client.patch(f"/books/{book['isbn']}", json={"copies": 5}).raise_for_status()
    stale = client.patch(f"/books/{book['isbn']}", json={"copies": 9}, headers={"If-Match": '"1"'})
    body = problem(stale, 412, "version_mismatch")
    assert body["current_version"] == 2
    assert client.get(f"/books/{book['isbn']}").json()["copies"] == 5


def test_if_match_accepts_the_xml_etag_a_star_and_a_list(client: httpx.Client) -> None:
    book = add_book(client)
    path = f"/books/{book['isbn']}"
    xml_etag = client.get(path, headers={"Accept": "application/xml"}).headers["etag"]
    assert xml_etag == '"1-xml"'
    assert client.patch(path, json={"copies": 3}, headers={"If-Match": xml_etag}).is_success
    assert client.patch(path, json={"copies": 4}, headers={"If-Match": "*"}).is_success
    listed = client.patch(path, json={"copies": 5}, headers={"If-Match": '"1", "3", W/"4"'})
    assert listed.status_code == 200
    assert listed.json()["version"] == 4
    weak_only = client.patch(path, json={"copies": 6}, headers={"If-Match": 'W/"4"'})
    problem(weak_only, 412, "version_mismatch")


def test_if_match_that_is_no_entity_tag_is_invalid_input(client: httpx.Client) -> None:
    book = add_book(client)
    answer = client.patch(f"/books/{book['isbn']}", json={"copies": 3}, headers={"If-Match": "1"})
    assert field_names(problem(answer, 422, "invalid_input")) == {"If-Match"}


def test_update_of_an_unknown_book_is_not_found_whatever_if_match_says(
    client: httpx.Client,
) -> None:
    for if_match in ('"1"', "*", '"1", "2"'):
        answer = client.patch(
            f"/books/{fresh_isbn()}", json={"copies": 1}, headers={"If-Match": if_match}
        )
        problem(answer, 404, "not_found")


def test_update_book_refuses_read_only_and_unknown_fields(client: httpx.Client) -> None:
    book = add_book(client)
    answer = client.patch(f"/books/{book['isbn']}", json={"version": 7, "colour": "red"})
    assert field_names(problem(answer, 422, "invalid_input")) == {"version", "colour"}


def test_copies_cannot_drop_below_the_loans(client: httpx.Client) -> None:
    book = add_book(client, copies=1)
    borrow(client, book["isbn"])
    problem(client.patch(f"/books/{book['isbn']}", json={"copies": 0}), 409, "conflict")


def test_if_none_match_answers_304_without_a_body(client: httpx.Client) -> None:
    first = client.get(f"/books/{SAMPLE_ISBN}")
    again = client.get(f"/books/{SAMPLE_ISBN}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["vary"] == "Accept"
    weak = client.get(
        f"/books/{SAMPLE_ISBN}", headers={"If-None-Match": f"W/{first.headers['etag']}"}
    )
    assert weak.status_code == 304


def test_a_changed_book_is_sent_again_despite_if_none_match(client: httpx.Client) -> None:
    book = add_book(client)
    path = f"/books/{book['isbn']}"
    etag = client.get(path).headers["etag"]
    client.patch(path, json={"copies": 7}).raise_for_status()
    answer = client.get(path, headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert answer.json()["copies"] == 7
    assert answer.headers["etag"] != etag


def test_json_etag_does_not_revalidate_the_xml_representation(client: httpx.Client) -> None:
    json_etag = client.get(f"/books/{SAMPLE_ISBN}").headers["etag"]
    answer = client.get(
        f"/books/{SAMPLE_ISBN}",
        headers={"If-None-Match": json_etag, "Accept": "application/xml"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/xml"


def test_remove_book_answers_204_and_the_book_is_gone(client: httpx.Client) -> None:
    book = add_book(client)
    answer = client.delete(f"/books/{book['isbn']}")
    assert answer.status_code == 204
    assert answer.content == b""
    problem(client.get(f"/books/{book['isbn']}"), 404, "not_found")
    problem(client.delete(f"/books/{book['isbn']}"), 404, "not_found")


def test_remove_book_with_open_loans_is_a_conflict(client: httpx.Client) -> None:
    book = add_book(client)
    borrow(client, book["isbn"])
    problem(client.delete(f"/books/{book['isbn']}"), 409, "conflict")


def test_remove_book_honours_if_match(client: httpx.Client) -> None:
    book = add_book(client)
    path = f"/books/{book['isbn']}"
    client.patch(path, json={"copies": 3}).raise_for_status()
    problem(client.delete(path, headers={"If-Match": '"1"'}), 412, "version_mismatch")
    assert client.delete(path, headers={"If-Match": '"2"'}).status_code == 204


def test_list_books_pages_with_links(client: httpx.Client) -> None:
    tag = f"paging-{fresh_isbn()}"
    isbns = sorted(add_book(client, tags=[tag], title="Paged")["isbn"] for _ in range(5))
    first = client.get("/books", params={"tag": tag, "limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 0)
    assert [book["isbn"] for book in page["items"]] == isbns[:2]
    links = page["_links"]
    assert "prev" not in links
    assert links["self"]["href"] == f"/rest/books?tag={tag}&limit=2&offset=0"
    assert links["first"]["href"] == links["self"]["href"]
    assert links["last"]["href"] == f"/rest/books?tag={tag}&limit=2&offset=4"

    second = client.get(links["next"]["href"].removeprefix("/rest")).json()
    assert [book["isbn"] for book in second["items"]] == isbns[2:4]
    assert second["_links"]["prev"]["href"] == links["self"]["href"]

    last = client.get(second["_links"]["next"]["href"].removeprefix("/rest")).json()
    assert [book["isbn"] for book in last["items"]] == isbns[4:]
    assert "next" not in last["_links"]
    assert last["items"][0]["_links"]["self"]["href"] == f"/rest/books/{isbns[4]}"


def test_list_books_filters_by_query_and_author(client: httpx.Client) -> None:
    by_author = client.get("/books", params={"author": "Robert C. Martin"}).json()
    assert SAMPLE_ISBN in {book["isbn"] for book in by_author["items"]}
    by_words = client.get("/books", params={"q": "clean code"}).json()
    assert SAMPLE_ISBN in {book["isbn"] for book in by_words["items"]}


def test_list_books_has_an_etag_and_answers_304(client: httpx.Client) -> None:
    first = client.get("/books", params={"limit": 3})
    assert first.headers["cache-control"] == "no-cache"
    again = client.get(
        "/books", params={"limit": 3}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "x"}, "limit"),
    ],
)
def test_bad_paging_parameters_are_invalid_input(
    client: httpx.Client, params: dict[str, int | str], field: str
) -> None:
    body = problem(client.get("/books", params=params), 422, "invalid_input")
    assert field_names(body) == {field}
