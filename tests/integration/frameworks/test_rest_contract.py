"""The REST contract, run unchanged against FastAPI, Flask, Django and Tornado."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.rest.support import (
    SAMPLE_HYPHENATED,
    SAMPLE_ISBN,
    add_book,
    borrow,
    field_names,
    problem,
)
from tests.support import book_fields, fresh_isbn


def media_type(answer: httpx.Response) -> str:
    return answer.headers["content-type"].partition(";")[0].strip()


def test_get_book_answers_json_with_links_and_a_version_etag(rest: httpx.Client) -> None:
    answer = rest.get(f"/books/{SAMPLE_ISBN}")
    assert answer.status_code == 200
    assert media_type(answer) == "application/json"
    book = answer.json()
    assert (book["isbn"], book["title"], book["price"]) == (SAMPLE_ISBN, "Clean Code", "37.99")
    assert answer.headers["etag"] == f'"{book["version"]}"'
    assert "no-cache" in answer.headers["cache-control"]
    assert book["_links"] == {
        "self": {"href": f"/rest/books/{SAMPLE_ISBN}"},
        "collection": {"href": "/rest/books"},
        "loans": {"href": f"/rest/loans?isbn={SAMPLE_ISBN}"},
    }
    assert "content-location" not in answer.headers


def test_book_links_lead_to_the_book_and_its_loans(rest: httpx.Client) -> None:
    links = rest.get(f"/books/{SAMPLE_ISBN}").json()["_links"]
    root = rest.base_url.copy_with(path="/")
    assert httpx.get(root.join(links["self"]["href"])).json()["isbn"] == SAMPLE_ISBN
    assert httpx.get(root.join(links["loans"]["href"])).status_code == 200
    assert httpx.get(root.join(links["collection"]["href"])).json()["total"] >= 1


def test_hyphenated_isbn_names_the_canonical_url(rest: httpx.Client) -> None:
    answer = rest.get(f"/books/{SAMPLE_HYPHENATED}")
    assert answer.json()["isbn"] == SAMPLE_ISBN
    assert answer.headers["content-location"] == f"/rest/books/{SAMPLE_ISBN}"


def test_unknown_and_malformed_books_are_problems_of_their_kind(rest: httpx.Client) -> None:
    body = problem(rest.get(f"/books/{fresh_isbn()}"), 404, "not_found")
    assert body["type"] == "urn:rosetta:problem:not_found"
    assert field_names(problem(rest.get("/books/978-0-13-235088-5"), 422, "invalid_input")) == {
        "isbn"
    }


def test_add_book_answers_201_with_location_and_etag(rest: httpx.Client) -> None:
    isbn = fresh_isbn()
    hyphenated = f"{isbn[:3]}-{isbn[3:4]}-{isbn[4:12]}-{isbn[12]}"
    answer = rest.post("/books", json=book_fields(isbn=hyphenated, price="9.5"))
    assert answer.status_code == 201
    assert answer.headers["location"] == f"/rest/books/{isbn}"
    assert answer.headers["content-location"] == answer.headers["location"]
    assert answer.headers["etag"] == '"1"'
    book = answer.json()
    assert (book["isbn"], book["price"], book["version"]) == (isbn, "9.50", 1)
    assert book["available"] == book["copies"] == 2
    assert rest.get(f"/books/{isbn}").json() == book


def test_add_book_twice_is_a_conflict(rest: httpx.Client) -> None:
    book = add_book(rest)
    problem(rest.post("/books", json=book_fields(isbn=book["isbn"])), 409, "conflict")


def test_add_book_reports_every_broken_rule(rest: httpx.Client) -> None:
    fields = book_fields(title="", price="-1", copies="many", version=3)
    body = problem(rest.post("/books", json=fields), 422, "invalid_input")
    assert field_names(body) == {"title", "price", "copies", "version"}
    assert all(error["message"] for error in body["errors"])


def test_update_with_if_match_changes_that_version_only(rest: httpx.Client) -> None:
    book = add_book(rest)
    path = f"/books/{book['isbn']}"
    changed = rest.patch(
        path,
        json={"title": "Second Edition", "tags": []},
        headers={"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["tags"]) == ("Second Edition", [])
    assert changed.json()["authors"] == book["authors"]
    assert changed.json()["version"] == 2
    assert changed.headers["etag"] == '"2"'
    stale = rest.patch(path, json={"copies": 9}, headers={"If-Match": '"1"'})
    assert problem(stale, 412, "version_mismatch")["current_version"] == 2
    assert rest.get(path).json()["copies"] == book["copies"]
    listed = rest.patch(path, json={"copies": 5}, headers={"If-Match": '"1", "2", W/"3"'})
    assert listed.json()["version"] == 3
    assert rest.patch(path, json={"copies": 4}, headers={"If-Match": "*"}).status_code == 200
    # A weak tag never matches If-Match: changes need the strong comparison.
    weak_only = rest.patch(path, json={"copies": 6}, headers={"If-Match": 'W/"4"'})
    problem(weak_only, 412, "version_mismatch")


def test_if_match_that_is_no_entity_tag_is_invalid_input(rest: httpx.Client) -> None:
    book = add_book(rest)
    answer = rest.patch(f"/books/{book['isbn']}", json={"copies": 3}, headers={"If-Match": "1"})
    assert field_names(problem(answer, 422, "invalid_input")) == {"If-Match"}


def test_update_of_an_unknown_book_is_not_found_whatever_if_match_says(
    rest: httpx.Client,
) -> None:
    for if_match in ('"1"', "*", '"1", "2"'):
        answer = rest.patch(
            f"/books/{fresh_isbn()}", json={"copies": 1}, headers={"If-Match": if_match}
        )
        problem(answer, 404, "not_found")


def test_update_book_refuses_read_only_and_unknown_fields(rest: httpx.Client) -> None:
    book = add_book(rest)
    answer = rest.patch(f"/books/{book['isbn']}", json={"version": 7, "colour": "red"})
    assert field_names(problem(answer, 422, "invalid_input")) == {"version", "colour"}


def test_copies_cannot_drop_below_the_loans(rest: httpx.Client) -> None:
    book = add_book(rest, copies=1)
    borrow(rest, book["isbn"])
    problem(rest.patch(f"/books/{book['isbn']}", json={"copies": 0}), 409, "conflict")


def test_if_none_match_answers_304_without_a_body(rest: httpx.Client) -> None:
    first = rest.get(f"/books/{SAMPLE_ISBN}")
    again = rest.get(f"/books/{SAMPLE_ISBN}", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    weak = rest.get(
        f"/books/{SAMPLE_ISBN}", headers={"If-None-Match": f"W/{first.headers['etag']}"}
    )
    assert weak.status_code == 304


def test_a_changed_book_is_sent_again_despite_if_none_match(rest: httpx.Client) -> None:
    book = add_book(rest)
    path = f"/books/{book['isbn']}"
    etag = rest.get(path).headers["etag"]
    rest.patch(path, json={"copies": 7}).raise_for_status()
    answer = rest.get(path, headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert answer.json()["copies"] == 7
    assert answer.headers["etag"] != etag


def test_remove_book_answers_204_then_not_found(rest: httpx.Client) -> None:
    book = add_book(rest)
    answer = rest.delete(f"/books/{book['isbn']}")
    assert answer.status_code == 204
    assert answer.content == b""
    problem(rest.get(f"/books/{book['isbn']}"), 404, "not_found")
    problem(rest.delete(f"/books/{book['isbn']}"), 404, "not_found")


def test_remove_book_honours_if_match_and_open_loans(rest: httpx.Client) -> None:
    book = add_book(rest)
    path = f"/books/{book['isbn']}"
    rest.patch(path, json={"copies": 3}).raise_for_status()
    problem(rest.delete(path, headers={"If-Match": '"1"'}), 412, "version_mismatch")
    loan = borrow(rest, book["isbn"])
    problem(rest.delete(path), 409, "conflict")
    rest.patch(f"/loans/{loan['id']}", json={"returned": True}).raise_for_status()
    current = rest.get(path).headers["etag"]  # loans change the book's version too
    assert rest.delete(path, headers={"If-Match": current}).status_code == 204


def test_list_books_pages_with_links_and_an_etag(rest: httpx.Client) -> None:
    tag = f"paging-{fresh_isbn()}"
    isbns = sorted(add_book(rest, tags=[tag], title="Paged")["isbn"] for _ in range(5))
    first = rest.get("/books", params={"tag": tag, "limit": 2})
    page = first.json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 0)
    assert [book["isbn"] for book in page["items"]] == isbns[:2]
    links = page["_links"]
    assert "prev" not in links
    assert links["self"]["href"] == f"/rest/books?tag={tag}&limit=2&offset=0"
    assert links["first"]["href"] == links["self"]["href"]
    assert links["last"]["href"] == f"/rest/books?tag={tag}&limit=2&offset=4"
    second = rest.get(links["next"]["href"].removeprefix("/rest")).json()
    assert [book["isbn"] for book in second["items"]] == isbns[2:4]
    assert second["_links"]["prev"]["href"] == links["self"]["href"]
    last = rest.get(second["_links"]["next"]["href"].removeprefix("/rest")).json()
    assert [book["isbn"] for book in last["items"]] == isbns[4:]
    assert "next" not in last["_links"]
    assert last["items"][0]["_links"]["self"]["href"] == f"/rest/books/{isbns[4]}"
    assert "no-cache" in first.headers["cache-control"]
    again = rest.get(
        "/books", params={"tag": tag, "limit": 2}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_list_books_filters_by_query_and_author(rest: httpx.Client) -> None:
    by_author = rest.get("/books", params={"author": "Robert C. Martin"}).json()
    assert SAMPLE_ISBN in {book["isbn"] for book in by_author["items"]}
    by_words = rest.get("/books", params={"q": "clean code"}).json()
    assert SAMPLE_ISBN in {book["isbn"] for book in by_words["items"]}


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
    rest: httpx.Client, params: dict[str, int | str], field: str
) -> None:
    assert field_names(problem(rest.get("/books", params=params), 422, "invalid_input")) == {field}


def test_borrow_answers_201_with_location_and_links(rest: httpx.Client) -> None:
    book = add_book(rest)
    answer = rest.post("/loans", json={"isbn": book["isbn"], "member": "ada"})
    assert answer.status_code == 201
    loan = answer.json()
    assert answer.headers["location"] == f"/rest/loans/{loan['id']}"
    assert (loan["isbn"], loan["member"], loan["returned_at"]) == (book["isbn"], "ada", None)
    assert loan["_links"] == {
        "self": {"href": f"/rest/loans/{loan['id']}"},
        "collection": {"href": "/rest/loans"},
        "book": {"href": f"/rest/books/{book['isbn']}"},
        "return": {"href": f"/rest/loans/{loan['id']}"},
    }
    assert rest.get(f"/books/{book['isbn']}").json()["available"] == 1
    got = rest.get(f"/loans/{loan['id']}")
    assert got.json() == loan
    again = rest.get(f"/loans/{loan['id']}", headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
    problem(rest.get("/loans/no-such-loan"), 404, "not_found")


def test_return_is_a_patch_and_a_second_one_conflicts(rest: httpx.Client) -> None:
    book = add_book(rest, copies=1)
    loan = borrow(rest, book["isbn"])
    answer = rest.patch(
        loan["_links"]["return"]["href"].removeprefix("/rest"), json={"returned": True}
    )
    assert answer.status_code == 200
    assert answer.json()["returned_at"] is not None
    assert "return" not in answer.json()["_links"]
    assert rest.get(f"/books/{book['isbn']}").json()["available"] == 1
    problem(rest.patch(f"/loans/{loan['id']}", json={"returned": True}), 409, "conflict")
    problem(rest.patch("/loans/no-such-loan", json={"returned": True}), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"returned": False}, {"returned"}),
        ({}, {"returned"}),
        ({"returned": "yes"}, {"returned"}),
        ({"returned": True, "member": "bob"}, {"member"}),
        ({"returned": False, "member": "bob"}, {"member"}),
    ],
)
def test_a_loan_takes_no_change_but_its_return(
    rest: httpx.Client, body: dict[str, object], fields: set[str]
) -> None:
    loan = borrow(rest, add_book(rest)["isbn"])
    answer = rest.patch(f"/loans/{loan['id']}", json=body)
    assert field_names(problem(answer, 422, "invalid_input")) == fields
    assert rest.get(f"/loans/{loan['id']}").json()["returned_at"] is None


def test_borrowing_refusals_name_their_kind(rest: httpx.Client) -> None:
    book = add_book(rest, copies=1)
    borrow(rest, book["isbn"])
    problem(rest.post("/loans", json={"isbn": book["isbn"], "member": "bob"}), 409, "conflict")
    problem(rest.post("/loans", json={"isbn": fresh_isbn(), "member": "ada"}), 404, "not_found")
    unknown = rest.post("/loans", json={"isbn": "123", "member": "", "days": 7})
    assert field_names(problem(unknown, 422, "invalid_input")) == {"days"}
    malformed = rest.post("/loans", json={"isbn": "123", "member": "ada"})
    assert field_names(problem(malformed, 422, "invalid_input")) == {"isbn"}


def test_list_loans_filters_by_member_book_and_openness(rest: httpx.Client) -> None:
    book = add_book(rest, copies=3)
    member = f"member-{fresh_isbn()}"
    kept, gone = borrow(rest, book["isbn"], member), borrow(rest, book["isbn"], member)
    borrow(rest, book["isbn"], "someone else")
    rest.patch(f"/loans/{gone['id']}", json={"returned": True}).raise_for_status()
    mine = rest.get("/loans", params={"member": member}).json()
    assert {loan["id"] for loan in mine["items"]} == {kept["id"], gone["id"]}
    assert mine["_links"]["self"]["href"] == f"/rest/loans?member={member}"
    still_open = rest.get("/loans", params={"member": member, "open_only": "true"}).json()
    assert [loan["id"] for loan in still_open["items"]] == [kept["id"]]
    of_book = rest.get(f"/books/{book['isbn']}").json()["_links"]["loans"]["href"]
    assert len(rest.get(of_book.removeprefix("/rest")).json()["items"]) == 3
    problem(rest.get("/loans", params={"open_only": "maybe"}), 422, "invalid_input")
    problem(rest.get("/loans", params={"isbn": "42"}), 422, "invalid_input")


def test_list_loans_answers_304_until_a_loan_changes(rest: httpx.Client) -> None:
    book = add_book(rest)
    borrow(rest, book["isbn"])
    params = {"isbn": book["isbn"]}
    etag = rest.get("/loans", params=params).headers["etag"]
    assert rest.get("/loans", params=params, headers={"If-None-Match": etag}).status_code == 304
    borrow(rest, book["isbn"])
    assert rest.get("/loans", params=params, headers={"If-None-Match": etag}).status_code == 200


def test_bodies_must_be_json_objects(rest: httpx.Client) -> None:
    answer = rest.post("/books", content=b"isbn=1", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json()["kind"] == "invalid_input"
    not_json = rest.post("/books", content=b"{", headers={"Content-Type": "application/json"})
    assert field_names(problem(not_json, 422, "invalid_input")) == {"body"}
    a_list = rest.post("/books", json=[1, 2])
    assert field_names(problem(a_list, 422, "invalid_input")) == {"body"}


def test_unknown_paths_and_methods_are_problems(rest: httpx.Client) -> None:
    problem(rest.get("/nothing/here"), 404, "not_found")
    wrong = rest.put("/books")
    assert wrong.status_code == 405
    assert wrong.json()["kind"] == "invalid_input"
    assert {"GET", "POST"} <= {m.strip() for m in wrong.headers["allow"].split(",")}


def test_a_body_past_the_limit_is_refused_with_413(rest: httpx.Client) -> None:
    oversized = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    answer = rest.post("/books", content=oversized, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["kind"] == "invalid_input"


def test_xml_is_negotiated_by_accept(rest: httpx.Client) -> None:
    answer = rest.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": "application/xml"})
    assert media_type(answer) == "application/xml"
    assert answer.headers["etag"] == f'"{answer.text.split("<version>")[1].split("<")[0]}-xml"'
    assert "Accept" in answer.headers["vary"]
    refused = rest.get(f"/books/{SAMPLE_ISBN}", headers={"Accept": "text/csv"})
    assert refused.status_code == 406
