"""Every client (REST, SOAP with zeep, SOAP by hand, WebSocket), for every operation.

The `client` fixture runs each test once per client against the live gateway. Each test makes
its own books, tagged and named with a random token, so other tests' data cannot interfere.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest

from clients.interface import LibraryClient, RemoteError
from services.models import Book
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

CLEAN_CODE = "9780132350884"  # a sample book: read it, never change it


def token() -> str:
    return secrets.token_hex(4)


def test_get_book_gives_typed_domain_values(client: LibraryClient) -> None:
    book = client.get_book("978-0-13-235088-4")  # hyphens are welcome, digits come back
    assert book.isbn == CLEAN_CODE
    assert (book.title, book.authors) == ("Clean Code", ("Robert C. Martin",))
    assert (book.published, book.price, book.currency) == (
        date(2008, 8, 1),
        Decimal("37.99"),
        "EUR",
    )
    assert book.updated_at.utcoffset() == timedelta(0)
    assert book.version >= 1


def test_list_books_filters_by_query_author_and_tag(client: LibraryClient) -> None:
    tag = f"tag-{token()}"
    author = f"Author {token()}"
    titles = [f"First {tag}", f"Second {tag}", f"Third {tag}"]
    for title in titles:
        client.add_book(**book_fields(title=title, tags=[tag], authors=[author, "Someone Else"]))

    assert [b.title for b in client.list_books(tag=tag).items] == sorted(titles)
    assert client.list_books(author=author).total == 3
    assert [b.title for b in client.list_books(q=f"second {tag}").items] == [titles[1]]
    assert client.list_books(q=tag, author="nobody at all").total == 0


def test_list_books_pages_with_limit_and_offset(client: LibraryClient) -> None:
    tag = f"tag-{token()}"
    for number in range(5):
        client.add_book(**book_fields(title=f"Volume {number}", tags=[tag]))

    first = client.list_books(tag=tag, limit=2)
    last = client.list_books(tag=tag, limit=2, offset=4)
    assert (first.total, first.limit, first.offset, len(first.items)) == (5, 2, 0, 2)
    assert (last.total, last.limit, last.offset, len(last.items)) == (5, 2, 4, 1)
    everything = client.list_books(tag=tag, limit=100)
    assert everything.items[:2] == first.items
    assert everything.items[4:] == last.items


def test_add_book_answers_the_stored_book(client: LibraryClient) -> None:
    fields = book_fields(copies=3)
    del fields["currency"], fields["tags"]  # optional: EUR and no tags
    book = client.add_book(**fields)
    assert book.isbn == fields["isbn"]
    assert (book.currency, book.tags, book.copies, book.available, book.version) == (
        "EUR",
        (),
        3,
        3,
        1,
    )
    assert client.get_book(book.isbn) == book


def test_add_book_takes_domain_typed_values(client: LibraryClient) -> None:
    """Decimal, date and tuples work through every client, not only through zeep."""
    book = client.add_book(
        **book_fields(price=Decimal("9.90"), published=date(2001, 2, 3), authors=("Ada", "Bob"))
    )
    assert (book.price, book.published, book.authors) == (
        Decimal("9.90"),
        date(2001, 2, 3),
        ("Ada", "Bob"),
    )


def test_update_book_changes_only_what_it_is_given(client: LibraryClient) -> None:
    added = client.add_book(**book_fields(tags=["kept", "also kept"]))
    changed = client.update_book(added.isbn, expected_version=1, price=Decimal("20.00"), copies=5)
    assert (changed.price, changed.copies, changed.available, changed.version) == (
        Decimal("20.00"),
        5,
        5,
        2,
    )
    assert (changed.title, changed.tags) == (added.title, added.tags)
    cleared = client.update_book(added.isbn, tags=[], authors=["Only One"])
    assert (cleared.tags, cleared.authors, cleared.version) == ((), ("Only One",), 3)


def test_remove_book_removes_it(client: LibraryClient) -> None:
    book = client.add_book(**book_fields())
    assert client.remove_book(book.isbn) is None  # type: ignore[func-returns-value]
    with pytest.raises(RemoteError) as gone:
        client.get_book(book.isbn)
    assert gone.value.kind == "not_found"


def test_borrow_and_return_book(client: LibraryClient) -> None:
    book = client.add_book(**book_fields(copies=1))
    loan = client.borrow_book(book.isbn, "Grace Hopper")
    assert (loan.isbn, loan.member, loan.returned_at, loan.is_open) == (
        book.isbn,
        "Grace Hopper",
        None,
        True,
    )
    assert loan.due == loan.borrowed_at.date() + timedelta(days=21)
    assert client.get_book(book.isbn).available == 0

    returned = client.return_book(loan.id)
    assert (returned.id, returned.is_open) == (loan.id, False)
    assert returned.returned_at is not None
    assert returned.returned_at >= loan.borrowed_at
    assert client.get_book(book.isbn).available == 1


def test_list_loans_filters_by_member_open_only_and_isbn(client: LibraryClient) -> None:
    member = f"Member {token()}"
    first = client.add_book(**book_fields())
    second = client.add_book(**book_fields())
    closed = client.borrow_book(first.isbn, member)
    still_open = client.borrow_book(second.isbn, member)
    client.borrow_book(second.isbn, f"Other {token()}")
    client.return_book(closed.id)

    assert {loan.id for loan in client.list_loans(member=member)} == {closed.id, still_open.id}
    assert [loan.id for loan in client.list_loans(member=member, open_only=True)] == [still_open.id]
    assert len(client.list_loans(member=member, open_only=False)) == 2
    assert [loan.member for loan in client.list_loans(isbn=first.isbn)] == [member]
    assert client.list_loans(isbn=second.isbn, member=member, open_only=True) == [
        client.list_loans(member=member, open_only=True)[0]
    ]
    assert client.list_loans(member=f"Nobody {token()}") == []


def test_clients_read_the_same_book_the_same_way(all_clients: dict[str, LibraryClient]) -> None:
    """Four parsers (httpx JSON, zeep, lxml by hand, websockets JSON), one domain value."""
    book = all_clients["rest"].add_book(**book_fields(tags=[]))
    answers: dict[str, Book] = {name: c.get_book(book.isbn) for name, c in all_clients.items()}
    assert set(answers.values()) == {book}
    assert all(a.updated_at.tzinfo is not None for a in answers.values())


def test_unknown_and_missing_fields_are_invalid_input(client: LibraryClient) -> None:
    """zeep refuses these before sending; the other clients hear it from the server."""
    book = client.add_book(**book_fields())
    with pytest.raises(RemoteError) as unknown:
        client.update_book(book.isbn, colour="red")
    with pytest.raises(RemoteError) as missing:
        client.add_book(isbn=fresh_isbn(), title="Only a title")
    assert (unknown.value.kind, missing.value.kind) == ("invalid_input", "invalid_input")
    assert unknown.value.protocol == missing.value.protocol == client.protocol


def test_text_that_xml_cannot_carry_is_invalid_input(client: LibraryClient) -> None:
    with pytest.raises(RemoteError) as error:
        client.add_book(**book_fields(title="bell \x07 character"))
    assert error.value.kind == "invalid_input"


def test_a_request_over_the_size_limit_is_invalid_input(
    client: LibraryClient, gateway: LiveGateway
) -> None:
    """REST answers 413, SOAP a fault, WebSocket closes with 1009: the same kind for the caller."""
    book = client.add_book(**book_fields())
    with pytest.raises(RemoteError) as error:
        client.update_book(book.isbn, title="x" * (gateway.settings.max_body + 1))
    assert error.value.kind == "invalid_input"
