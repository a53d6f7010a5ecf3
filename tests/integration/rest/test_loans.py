"""The loans resource over REST: borrowing, reading, listing and returning."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.rest.support import add_book, borrow, field_names, problem, rest_client
from tests.live import LiveGateway
from tests.support import fresh_isbn


@pytest.fixture
def client(gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(gateway) as client:
        yield client


def test_borrow_answers_201_with_location_and_links(client: httpx.Client) -> None:
    book = add_book(client)
    answer = client.post("/loans", json={"isbn": book["isbn"], "member": "ada"})
    assert answer.status_code == 201
    loan = answer.json()
    assert answer.headers["location"] == f"/rest/loans/{loan['id']}"
    assert loan["isbn"] == book["isbn"]
    assert loan["member"] == "ada"
    assert loan["returned_at"] is None
    assert loan["_links"] == {
        "self": {"href": f"/rest/loans/{loan['id']}"},
        "collection": {"href": "/rest/loans"},
        "book": {"href": f"/rest/books/{book['isbn']}"},
        "return": {"href": f"/rest/loans/{loan['id']}"},
    }
    assert client.get(f"/books/{book['isbn']}").json()["available"] == 1


def test_get_loan_answers_the_loan_with_an_etag(client: httpx.Client) -> None:
    loan = borrow(client, add_book(client)["isbn"])
    answer = client.get(f"/loans/{loan['id']}")
    assert answer.status_code == 200
    assert answer.json() == loan
    again = client.get(f"/loans/{loan['id']}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_unknown_loan_is_not_found(client: httpx.Client) -> None:
    problem(client.get("/loans/no-such-loan"), 404, "not_found")
    problem(client.patch("/loans/no-such-loan", json={"returned": True}), 404, "not_found")


def test_return_is_a_patch_of_the_loan_and_a_second_one_conflicts(
    client: httpx.Client,
) -> None:
    book = add_book(client, copies=1)
    loan = borrow(client, book["isbn"])
    answer = client.patch(
        loan["_links"]["return"]["href"].removeprefix("/rest"), json={"returned": True}
    )
    assert answer.status_code == 200
    returned = answer.json()
    assert returned["returned_at"] is not None
    assert "return" not in returned["_links"]
    assert client.get(f"/books/{book['isbn']}").json()["available"] == 1
    again = client.patch(f"/loans/{loan['id']}", json={"returned": True})
    problem(again, 409, "conflict")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"returned": False}, {"returned"}),
        ({}, {"returned"}),
        ({"returned": "yes"}, {"returned"}),
        ({"returned": True, "member": "bob"}, {"member"}),
    ],
)
def test_a_loan_takes_no_change_but_its_return(
    client: httpx.Client, body: dict[str, object], fields: set[str]
) -> None:
    loan = borrow(client, add_book(client)["isbn"])
    answer = client.patch(f"/loans/{loan['id']}", json=body)
    assert field_names(problem(answer, 422, "invalid_input")) == fields
    assert client.get(f"/loans/{loan['id']}").json()["returned_at"] is None


def test_borrowing_the_last_copy_twice_conflicts(client: httpx.Client) -> None:
    book = add_book(client, copies=1)
    borrow(client, book["isbn"])
    answer = client.post("/loans", json={"isbn": book["isbn"], "member": "bob"})
    problem(answer, 409, "conflict")


def test_borrowing_an_unknown_book_is_not_found(client: httpx.Client) -> None:
    answer = client.post("/loans", json={"isbn": fresh_isbn(), "member": "ada"})
    problem(answer, 404, "not_found")


def test_borrow_reports_bad_and_unknown_fields(client: httpx.Client) -> None:
    answer = client.post("/loans", json={"isbn": "123", "member": "", "days": 7})
    assert field_names(problem(answer, 422, "invalid_input")) == {"days"}
    answer = client.post("/loans", json={"isbn": "123", "member": "ada"})
    assert field_names(problem(answer, 422, "invalid_input")) == {"isbn"}


def test_list_loans_filters_by_member_book_and_openness(client: httpx.Client) -> None:
    book = add_book(client, copies=3)
    member = f"member-{fresh_isbn()}"
    kept = borrow(client, book["isbn"], member)
    gone = borrow(client, book["isbn"], member)
    borrow(client, book["isbn"], "someone else")
    client.patch(f"/loans/{gone['id']}", json={"returned": True}).raise_for_status()

    mine = client.get("/loans", params={"member": member})
    assert mine.status_code == 200
    assert {loan["id"] for loan in mine.json()["items"]} == {kept["id"], gone["id"]}
    assert mine.json()["_links"]["self"]["href"] == f"/rest/loans?member={member}"

    still_open = client.get("/loans", params={"member": member, "open_only": "true"}).json()
    assert [loan["id"] for loan in still_open["items"]] == [kept["id"]]

    of_book = client.get(f"/books/{book['isbn']}").json()["_links"]["loans"]["href"]
    assert len(client.get(of_book.removeprefix("/rest")).json()["items"]) == 3


def test_list_loans_answers_304_until_a_loan_changes(client: httpx.Client) -> None:
    book = add_book(client)
    borrow(client, book["isbn"])
    params = {"isbn": book["isbn"]}
    etag = client.get("/loans", params=params).headers["etag"]
    assert client.get("/loans", params=params, headers={"If-None-Match": etag}).status_code == 304
    borrow(client, book["isbn"])
    assert client.get("/loans", params=params, headers={"If-None-Match": etag}).status_code == 200


def test_list_loans_rejects_a_bad_filter(client: httpx.Client) -> None:
    problem(client.get("/loans", params={"open_only": "maybe"}), 422, "invalid_input")
    problem(client.get("/loans", params={"isbn": "42"}), 422, "invalid_input")
