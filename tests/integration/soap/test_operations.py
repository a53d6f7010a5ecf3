"""SOAP 1.1 through zeep, the way a SOAP client sees it: the WSDL, every operation, every fault."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import zeep
from zeep.exceptions import Fault

from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

SAMPLE_ISBN = "9780132350884"  # Clean Code, one of the sample books: read it, never change it
CONTRACT_OPERATIONS = {
    "ListBooks",
    "GetBook",
    "AddBook",
    "UpdateBook",
    "RemoveBook",
    "BorrowBook",
    "ReturnBook",
    "ListLoans",
    "GetLoan",
}


@pytest.fixture(scope="module")
def soap(gateway: LiveGateway) -> Iterator[Any]:
    with zeep.Client(gateway.wsdl_url) as client:
        yield client.service


def book_args(**overrides: Any) -> dict[str, Any]:
    """A complete new book as zeep takes it: typed values, wrapped arrays as {item: [...]}."""
    fields = book_fields(**overrides)
    return {
        **fields,
        "published": date.fromisoformat(fields["published"]),
        "price": Decimal(fields["price"]),
        "authors": {"author": fields["authors"]},
        "tags": {"tag": fields["tags"]},
    }


def items(wrapper: Any, name: str) -> list[Any]:
    """The items of a wrapped array; zeep reads an empty one as None."""
    return [] if wrapper is None else list(wrapper[name])


def loans(result: Any) -> list[Any]:
    """ListLoans' items: zeep unwraps a response holding one array into a list (or None)."""
    return [] if result is None else list(result)


def fault_of(call: Any, *args: Any, **kwargs: Any) -> Fault:
    with pytest.raises(Fault) as raised:
        call(*args, **kwargs)
    return raised.value


def detail(fault: Fault, name: str) -> str | None:
    element = fault.detail.find(name)
    return None if element is None else str(element.text)


def test_the_wsdl_offers_every_operation_of_the_contract(gateway: LiveGateway) -> None:
    with zeep.Client(gateway.wsdl_url) as client:
        binding = client.service._binding
        assert set(binding._operations) == CONTRACT_OPERATIONS
        assert client.wsdl.services["LibraryService"]


def test_get_book_returns_typed_values(soap: Any) -> None:
    book = soap.GetBook(SAMPLE_ISBN)
    assert book.isbn == SAMPLE_ISBN
    assert book.title == "Clean Code"
    assert items(book.authors, "author") == ["Robert C. Martin"]
    assert book.published == date(2008, 8, 1)
    assert book.price == Decimal("37.99")
    assert isinstance(book.updated_at, datetime)
    assert book.updated_at.utcoffset() == UTC.utcoffset(None)
    assert book.version >= 1


def test_get_book_accepts_an_isbn_with_hyphens(soap: Any) -> None:
    assert soap.GetBook("978-0-13-235088-4").isbn == SAMPLE_ISBN


def test_add_book_returns_the_stored_book(soap: Any) -> None:
    args = book_args(tags=["apis", "soap"])
    book = soap.AddBook(**args)
    assert book.isbn == args["isbn"]
    assert items(book.authors, "author") == ["Ada Lovelace", "Roy Fielding"]
    assert items(book.tags, "tag") == ["apis", "soap"]
    assert book.price == Decimal("12.50")
    assert book.published == date(2024, 5, 17)
    assert (book.copies, book.available, book.version) == (2, 2, 1)
    assert soap.GetBook(args["isbn"]).title == args["title"]


def test_add_book_without_currency_or_tags_takes_the_defaults(soap: Any) -> None:
    args = book_args()
    del args["currency"], args["tags"]
    book = soap.AddBook(**args)
    assert book.currency == "EUR"
    assert items(book.tags, "tag") == []


def test_update_book_changes_only_the_given_fields(soap: Any) -> None:
    added = soap.AddBook(**book_args())
    updated = soap.UpdateBook(isbn=added.isbn, title="Second Edition", price=Decimal("15"))
    assert (updated.title, updated.price) == ("Second Edition", Decimal("15.00"))
    assert items(updated.authors, "author") == items(added.authors, "author")
    assert updated.version == added.version + 1
    assert updated.updated_at >= added.updated_at


def test_update_book_with_an_empty_list_clears_it(soap: Any) -> None:
    added = soap.AddBook(**book_args(tags=["old"]))
    updated = soap.UpdateBook(isbn=added.isbn, tags={"tag": []})
    assert items(updated.tags, "tag") == []


def test_update_book_with_the_current_version_succeeds(soap: Any) -> None:
    added = soap.AddBook(**book_args())
    updated = soap.UpdateBook(isbn=added.isbn, copies=5, expected_version=added.version)
    assert (updated.copies, updated.available) == (5, 5)


def test_get_book_answers_the_book_as_it_is_after_each_change(soap: Any) -> None:
    # Answers are kept per state of the book (gateway/soap/answers.py): never a stale one.
    added = soap.AddBook(**book_args(copies=2))
    assert soap.GetBook(added.isbn).title == added.title
    soap.UpdateBook(isbn=added.isbn, title="Second Edition")
    changed = soap.GetBook(added.isbn)
    assert (changed.title, changed.version) == ("Second Edition", added.version + 1)
    loan = soap.BorrowBook(isbn=added.isbn, member="ada")
    assert soap.GetBook(added.isbn).available == 1
    soap.ReturnBook(loan_id=loan.id)
    assert soap.GetBook(added.isbn).available == 2
    assert soap.GetLoan(loan.id).returned_at is not None


def test_remove_book_answers_nothing_and_the_book_is_gone(soap: Any) -> None:
    added = soap.AddBook(**book_args())
    assert soap.RemoveBook(added.isbn) is None
    assert detail(fault_of(soap.GetBook, added.isbn), "kind") == "not_found"


def test_borrow_and_return_a_copy(soap: Any) -> None:
    added = soap.AddBook(**book_args(copies=1))
    loan = soap.BorrowBook(isbn=added.isbn, member="ada")
    assert (loan.isbn, loan.member, loan.returned_at) == (added.isbn, "ada", None)
    assert isinstance(loan.borrowed_at, datetime)
    assert loan.due == loan.borrowed_at.date() + timedelta(days=21)
    assert soap.GetBook(added.isbn).available == 0
    returned = soap.ReturnBook(loan_id=loan.id)
    assert returned.id == loan.id
    assert isinstance(returned.returned_at, datetime)
    assert soap.GetBook(added.isbn).available == 1


def test_list_books_pages_through_the_matches(soap: Any) -> None:
    first = soap.ListBooks(limit=2)
    assert (first.limit, first.offset) == (2, 0)
    assert len(items(first["items"], "book")) == 2
    second = soap.ListBooks(limit=2, offset=2)
    assert second.total == first.total
    first_isbns = {b.isbn for b in items(first["items"], "book")}
    assert first_isbns.isdisjoint(b.isbn for b in items(second["items"], "book"))


def test_list_books_filters_by_query_author_and_tag(soap: Any) -> None:
    title = f"Rare Title {fresh_isbn()}"
    added = soap.AddBook(**book_args(title=title, authors=["Zed Q. Writer"], tags=["rare-tag"]))
    for query in ({"q": title}, {"author": "Zed Q. Writer"}, {"tag": "rare-tag"}):
        page = soap.ListBooks(**query)
        assert [b.isbn for b in items(page["items"], "book")] == [added.isbn], query


def test_list_loans_filters_by_member_book_and_open_only(soap: Any) -> None:
    added = soap.AddBook(**book_args(copies=2))
    member = f"member-{added.isbn}"
    closed = soap.BorrowBook(isbn=added.isbn, member=member)
    soap.ReturnBook(loan_id=closed.id)
    still_open = soap.BorrowBook(isbn=added.isbn, member=member)
    all_loans = loans(soap.ListLoans(member=member))
    assert {loan.id for loan in all_loans} == {closed.id, still_open.id}
    open_loans = loans(soap.ListLoans(isbn=added.isbn, open_only=True))
    assert [loan.id for loan in open_loans] == [still_open.id]
    assert loans(soap.ListLoans(member=f"nobody-{added.isbn}")) == []


def test_invalid_input_lists_every_broken_field(soap: Any) -> None:
    args = book_args(isbn="9780000000000", title=" ", copies=-1)
    fault = fault_of(soap.AddBook, **args)
    assert fault.code.endswith("Client.InvalidInput")
    assert detail(fault, "kind") == "invalid_input"
    fields = {e.findtext("field") for e in fault.detail.iterfind("errors/error")}
    assert fields == {"isbn", "title", "copies"}


def test_a_value_that_is_not_of_its_xsd_type_is_invalid_input(soap: Any) -> None:
    # zeep passes a string through as the element's text, as a hand-written request would.
    fault = fault_of(soap.AddBook, **{**book_args(), "published": "yesterday"})
    assert fault.code.endswith("Client.InvalidInput")
    assert detail(fault, "kind") == "invalid_input"
    assert fault.detail.findtext("errors/error/field") == "published"
    assert "xs:date" in fault.message


def test_an_unknown_book_is_not_found(soap: Any) -> None:
    fault = fault_of(soap.GetBook, fresh_isbn())
    assert fault.code.endswith("Client.NotFound")
    assert detail(fault, "kind") == "not_found"


def test_an_unknown_loan_is_not_found(soap: Any) -> None:
    fault = fault_of(soap.ReturnBook, loan_id="no-such-loan")
    assert fault.code.endswith("Client.NotFound")
    assert detail(fault, "kind") == "not_found"


def test_get_loan_reads_a_loan_and_faults_on_an_unknown_one(soap: Any) -> None:
    added = soap.AddBook(**book_args())
    loan = soap.BorrowBook(isbn=added.isbn, member="ada")
    read = soap.GetLoan(loan_id=loan.id)
    assert (read.id, read.isbn, read.member, read.returned_at) == (loan.id, added.isbn, "ada", None)
    fault = fault_of(soap.GetLoan, loan_id="no-such-loan")
    assert fault.code.endswith("Client.NotFound")
    assert detail(fault, "kind") == "not_found"


def test_adding_an_isbn_twice_is_a_conflict(soap: Any) -> None:
    args = book_args()
    soap.AddBook(**args)
    fault = fault_of(soap.AddBook, **args)
    assert fault.code.endswith("Client.Conflict")
    assert detail(fault, "kind") == "conflict"


def test_returning_a_loan_twice_is_a_conflict(soap: Any) -> None:
    added = soap.AddBook(**book_args())
    loan = soap.BorrowBook(isbn=added.isbn, member="ada")
    soap.ReturnBook(loan_id=loan.id)
    assert detail(fault_of(soap.ReturnBook, loan_id=loan.id), "kind") == "conflict"


def test_a_stale_expected_version_is_a_version_mismatch(soap: Any) -> None:
    added = soap.AddBook(**book_args())
    soap.UpdateBook(isbn=added.isbn, title="Changed Meanwhile")
    fault = fault_of(soap.UpdateBook, isbn=added.isbn, copies=9, expected_version=added.version)
    assert fault.code.endswith("Client.VersionMismatch")
    assert detail(fault, "kind") == "version_mismatch"


def test_faults_are_counted_by_operation_and_kind(gateway: LiveGateway, soap: Any) -> None:
    fault_of(soap.GetBook, fresh_isbn())
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert 'rosetta_errors_total{kind="not_found",operation="get_book",protocol="soap"}' in metrics
    assert 'rosetta_requests_total{operation="get_book",protocol="soap"}' in metrics
