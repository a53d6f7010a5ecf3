"""Every WebSocket method against the live gateway, and each domain error's code and kind."""

from __future__ import annotations

from typing import Any

from tests.integration.ws.support import SAMPLE_ISBN, Rpc, rpc
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn


def add(ws: Rpc, **overrides: Any) -> dict[str, Any]:
    book: dict[str, Any] = ws.call("add_book", book_fields(**overrides))
    return book


def test_get_book_returns_the_contracts_json_shape(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        book = ws.call("get_book", {"isbn": "978-0-13-235088-4"})
    assert book["isbn"] == SAMPLE_ISBN
    assert set(book) == {
        "isbn",
        "title",
        "authors",
        "published",
        "price",
        "currency",
        "tags",
        "copies",
        "available",
        "version",
        "updated_at",
    }
    assert isinstance(book["price"], str)
    assert book["updated_at"].endswith("Z")


def test_list_books_pages_and_filters(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        first = ws.call("list_books", {"limit": 2})
        second = ws.call("list_books", {"limit": 2, "offset": 2})
        found = ws.call("list_books", {"q": "clean code"})
        default = ws.call("list_books")
    assert first["limit"] == 2
    assert first["offset"] == 0
    assert len(first["items"]) == 2
    assert first["total"] >= 4
    assert {b["isbn"] for b in first["items"]}.isdisjoint(b["isbn"] for b in second["items"])
    assert SAMPLE_ISBN in [b["isbn"] for b in found["items"]]
    assert (default["limit"], default["offset"]) == (20, 0)


def test_add_book_takes_the_fields_as_params_and_returns_the_book(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        added = add(ws, isbn=isbn, price="9.5")
        again = ws.call("get_book", {"isbn": isbn})
    assert added == again
    assert added["price"] == "9.50"
    assert (added["version"], added["available"]) == (1, 2)


def test_update_book_changes_fields_and_counts_versions(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        isbn = add(ws)["isbn"]
        renamed = ws.call("update_book", {"isbn": isbn, "title": "Renamed", "expected_version": 1})
        retagged = ws.call("update_book", {"isbn": isbn, "tags": ["new"]})
    assert (renamed["title"], renamed["version"]) == ("Renamed", 2)
    assert (retagged["title"], retagged["tags"], retagged["version"]) == ("Renamed", ["new"], 3)


def test_remove_book_answers_null_and_the_book_is_gone(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        isbn = add(ws)["isbn"]
        reply = ws.request("remove_book", {"isbn": isbn})
        error = ws.error("get_book", {"isbn": isbn})
    assert "result" in reply
    assert reply["result"] is None
    assert error["code"] == -32004


def test_borrow_return_and_read_loans(gateway: LiveGateway) -> None:
    member = f"member-{fresh_isbn()}"
    with rpc(gateway) as ws:
        isbn = add(ws, copies=1)["isbn"]
        loan = ws.call("borrow_book", {"isbn": isbn, "member": member})
        book_while_lent = ws.call("get_book", {"isbn": isbn})
        open_loans = ws.call("list_loans", {"member": member, "open_only": True})
        by_book = ws.call("list_loans", {"isbn": isbn})
        fetched = ws.call("get_loan", {"loan_id": loan["id"]})
        returned = ws.call("return_book", {"loan_id": loan["id"]})
        open_after = ws.call("list_loans", {"member": member, "open_only": True})
        all_after = ws.call("list_loans", {"member": member})
    assert (loan["isbn"], loan["member"], loan["returned_at"]) == (isbn, member, None)
    assert book_while_lent["available"] == 0
    assert open_loans == [loan]
    assert by_book == [loan]
    assert fetched == loan
    assert returned["id"] == loan["id"]
    assert returned["returned_at"].endswith("Z")
    assert open_after == []
    assert all_after == [returned]


def test_subscribe_and_unsubscribe_answer_the_subscription(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        subscribed = ws.call("subscribe", {"events": ["book.*", "loan.opened"]})
        assert subscribed["events"] == ["book.*", "loan.opened"]
        assert isinstance(subscribed["epoch"], str)
        assert isinstance(subscribed["seq"], int)
        assert ws.call("unsubscribe", {"events": ["book.*"]}) == ["loan.opened"]
        assert ws.call("unsubscribe") == []
        assert ws.call("unsubscribe", {}) == []


def test_not_found_is_32004(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        book_error = ws.error("get_book", {"isbn": isbn})
        loan_error = ws.error("return_book", {"loan_id": "no-such-loan"})
    assert book_error["code"] == -32004
    assert book_error["data"] == {"kind": "not_found", "isbn": isbn}
    assert loan_error["code"] == -32004
    assert loan_error["data"]["kind"] == "not_found"


def test_conflicts_are_32009(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        book = add(ws, copies=1)
        duplicate = ws.error("add_book", book_fields(isbn=book["isbn"]))
        loan = ws.call("borrow_book", {"isbn": book["isbn"], "member": "ann"})
        no_copy = ws.error("borrow_book", {"isbn": book["isbn"], "member": "bob"})
        open_loans = ws.error("remove_book", {"isbn": book["isbn"]})
        ws.call("return_book", {"loan_id": loan["id"]})
        returned_twice = ws.error("return_book", {"loan_id": loan["id"]})
    for error in (duplicate, no_copy, open_loans, returned_twice):
        assert error["code"] == -32009
        assert error["data"]["kind"] == "conflict"


def test_version_mismatch_is_32012_with_the_current_version(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        isbn = add(ws)["isbn"]
        error = ws.error("update_book", {"isbn": isbn, "title": "Late", "expected_version": 7})
        unchanged = ws.call("get_book", {"isbn": isbn})
    assert error["code"] == -32012
    assert error["data"] == {"kind": "version_mismatch", "isbn": isbn, "current_version": 1}
    assert unchanged["title"] == book_fields()["title"]


def test_invalid_input_is_32602_with_every_field_error(gateway: LiveGateway) -> None:
    fields = book_fields(price="-1", copies=-2)
    del fields["title"]
    with rpc(gateway) as ws:
        error = ws.error("add_book", fields)
    assert error["code"] == -32602
    assert error["data"]["kind"] == "invalid_input"
    assert {e["field"] for e in error["data"]["errors"]} == {"title", "price", "copies"}
    assert all(e["message"] for e in error["data"]["errors"])


def test_read_only_fields_are_refused_as_params(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        error = ws.error("add_book", book_fields(version=3))
    assert error["code"] == -32602
    assert [e["field"] for e in error["data"]["errors"]] == ["version"]
