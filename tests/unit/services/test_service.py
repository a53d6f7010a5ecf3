from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.errors import Conflict, InvalidInput, NotFound, VersionMismatch
from services.service import LibraryService
from tests.support import book_fields
from tests.unit.services.conftest import NOW
from tests.unit.services.fakes import FakeStorage

pytestmark = pytest.mark.anyio


def invalid_fields(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in error.value.errors}


async def test_add_book_normalises_and_returns_read_only_fields(service: LibraryService) -> None:
    book = await service.add_book(
        book_fields(isbn="978-0-13-235088-4", price="12.5", currency="usd", title="  Clean  ")
    )
    assert book.isbn == "9780132350884"
    assert book.price == Decimal("12.50")
    assert str(book.price) == "12.50"
    assert book.currency == "USD"
    assert book.title == "Clean"
    assert book.published == date(2024, 5, 17)
    assert (book.available, book.version, book.updated_at) == (2, 1, NOW)


async def test_currency_and_tags_have_defaults(service: LibraryService) -> None:
    fields = book_fields()
    del fields["currency"], fields["tags"]
    book = await service.add_book(fields)
    assert (book.currency, book.tags) == ("EUR", ())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("isbn", "9780132350885"),
        ("isbn", 9780132350884),
        ("title", ""),
        ("title", "x" * 301),
        ("authors", []),
        ("authors", ["a"] * 21),
        ("authors", ["x" * 201]),
        ("authors", "Ada"),
        ("published", "2024-13-01"),
        ("published", "17/05/2024"),
        ("price", "-1"),
        ("price", "1.234"),
        ("price", "twelve"),
        ("price", "NaN"),
        ("price", True),
        ("currency", "EUT"),
        ("tags", ["t"] * 21),
        ("tags", [""]),
        ("copies", -1),
        ("copies", 1.5),
        ("copies", True),
    ],
)
async def test_errors_for_invalid_book_fields(
    service: LibraryService, field: str, value: Any
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.add_book(book_fields(**{field: value}))
    assert invalid_fields(error) == {field}


async def test_every_broken_rule_is_reported_at_once(service: LibraryService) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.add_book({"isbn": "123", "title": "", "available": 3, "colour": "red"})
    assert invalid_fields(error) == {
        "isbn", "title", "authors", "published", "price", "copies", "available", "colour"
    }  # fmt: skip


async def test_a_price_with_trailing_zeros_is_not_extra_precision(service: LibraryService) -> None:
    book = await service.add_book(book_fields(price="7.500"))
    assert book.price == Decimal("7.50")


async def test_errors_for_duplicate_isbn(service: LibraryService) -> None:
    fields = book_fields()
    await service.add_book(fields)
    with pytest.raises(Conflict):
        await service.add_book(fields)


async def test_get_book_accepts_hyphens_and_reports_unknown_books(
    service: LibraryService,
) -> None:
    await service.add_book(book_fields(isbn="9780132350884"))
    assert (await service.get_book("978-0-13-235088-4")).isbn == "9780132350884"
    with pytest.raises(NotFound):
        await service.get_book("9780201633610")
    with pytest.raises(InvalidInput):
        await service.get_book("not an isbn")


async def test_borrowing_takes_a_copy_and_is_due_in_21_days(service: LibraryService) -> None:
    book = await service.add_book(book_fields(copies=1))
    loan = await service.borrow_book(book.isbn, " Grace Hopper ")
    assert (loan.member, loan.borrowed_at, loan.due) == ("Grace Hopper", NOW, date(2026, 3, 22))
    after = await service.get_book(book.isbn)
    assert (after.available, after.version) == (0, 2)
    with pytest.raises(Conflict):
        await service.borrow_book(book.isbn, "someone else")


async def test_returning_frees_the_copy_once(service: LibraryService) -> None:
    book = await service.add_book(book_fields(copies=1))
    loan = await service.borrow_book(book.isbn, "ada")
    returned = await service.return_book(loan.id)
    assert returned.returned_at == NOW
    assert (await service.get_book(book.isbn)).available == 1
    with pytest.raises(Conflict):
        await service.return_book(loan.id)
    with pytest.raises(NotFound):
        await service.return_book("no-such-loan")


async def test_errors_for_borrowing_unknown_book_or_without_member(
    service: LibraryService,
) -> None:
    with pytest.raises(NotFound):
        await service.borrow_book("9780201633610", "ada")
    book = await service.add_book(book_fields())
    with pytest.raises(InvalidInput):
        await service.borrow_book(book.isbn, " ")
    with pytest.raises(InvalidInput):
        await service.borrow_book(book.isbn, "m" * 101)


async def test_update_checks_the_expected_version(service: LibraryService) -> None:
    book = await service.add_book(book_fields())
    updated = await service.update_book(book.isbn, {"title": "New"}, expected_version=1)
    assert (updated.title, updated.version) == ("New", 2)
    with pytest.raises(VersionMismatch):
        await service.update_book(book.isbn, {"title": "Newer"}, expected_version=1)


async def test_update_refuses_read_only_fields_and_isbn(service: LibraryService) -> None:
    book = await service.add_book(book_fields())
    with pytest.raises(InvalidInput) as error:
        await service.update_book(book.isbn, {"available": 5, "isbn": "9780201633610"})
    assert invalid_fields(error) == {"available", "isbn"}


async def test_copies_cannot_drop_below_open_loans(service: LibraryService) -> None:
    book = await service.add_book(book_fields(copies=2))
    await service.borrow_book(book.isbn, "ada")
    await service.borrow_book(book.isbn, "bob")
    with pytest.raises(Conflict):
        await service.update_book(book.isbn, {"copies": 1})
    assert (await service.update_book(book.isbn, {"copies": 3})).available == 1


async def test_remove_refuses_while_loans_are_open(service: LibraryService) -> None:
    book = await service.add_book(book_fields())
    loan = await service.borrow_book(book.isbn, "ada")
    with pytest.raises(Conflict):
        await service.remove_book(book.isbn)
    await service.return_book(loan.id)
    await service.remove_book(book.isbn)
    with pytest.raises(NotFound):
        await service.remove_book(book.isbn)


async def test_list_books_filters_and_pages(service: LibraryService) -> None:
    await service.add_book(book_fields(title="Alpha", authors=["Kay"], tags=["x"]))
    await service.add_book(book_fields(title="Beta", authors=["Lee"], tags=["y"]))
    await service.add_book(book_fields(title="Gamma", authors=["Kay Lee"], tags=["X"]))
    assert [b.title for b in (await service.list_books(author="kay")).items] == ["Alpha", "Gamma"]
    assert [b.title for b in (await service.list_books(tag="x")).items] == ["Alpha", "Gamma"]
    assert [b.title for b in (await service.list_books(q="bet")).items] == ["Beta"]
    page = await service.list_books(limit=2, offset=1)
    assert ([b.title for b in page.items], page.total) == (["Beta", "Gamma"], 3)


@pytest.mark.parametrize(
    ("name", "value"), [("limit", 0), ("limit", 101), ("offset", -1), ("limit", "ten")]
)
async def test_errors_for_out_of_range_paging(
    service: LibraryService, name: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.list_books(**{name: value})
    assert invalid_fields(error) == {name}


async def test_list_loans_filters_by_member_isbn_and_openness(service: LibraryService) -> None:
    book = await service.add_book(book_fields(copies=3))
    first = await service.borrow_book(book.isbn, "ada")
    await service.borrow_book(book.isbn, "bob")
    await service.return_book(first.id)
    assert [x.member for x in await service.list_loans(member="ada")] == ["ada"]
    assert [x.member for x in await service.list_loans(open_only=True)] == ["bob"]
    assert len(await service.list_loans(isbn=book.isbn)) == 2


async def test_every_change_records_one_event_in_order(
    service: LibraryService, storage: FakeStorage
) -> None:
    book = await service.add_book(book_fields())
    loan = await service.borrow_book(book.isbn, "ada")
    await service.return_book(loan.id)
    await service.update_book(book.isbn, {"copies": 5})
    await service.remove_book(book.isbn)
    assert [e.type for e in storage.events] == [
        "book.added", "loan.opened", "loan.closed", "book.updated", "book.removed"
    ]  # fmt: skip
    assert [e.seq for e in storage.events] == [1, 2, 3, 4, 5]
    assert storage.events[-1].data == {"isbn": book.isbn}


async def test_changes_notify_and_reads_do_not(storage: FakeStorage) -> None:
    calls: list[None] = []
    service = LibraryService(storage, on_change=lambda: calls.append(None))
    book = await service.add_book(book_fields())
    await service.get_book(book.isbn)
    await service.list_books()
    assert len(calls) == 1


async def test_remove_checks_the_expected_version(service: LibraryService) -> None:
    book = await service.add_book(book_fields())
    await service.update_book(book.isbn, {"copies": 4})
    with pytest.raises(VersionMismatch):
        await service.remove_book(book.isbn, expected_version=1)
    await service.remove_book(book.isbn, expected_version=2)


async def test_a_book_added_again_continues_its_version(service: LibraryService) -> None:
    book = await service.add_book(book_fields())
    await service.update_book(book.isbn, {"copies": 4})
    await service.remove_book(book.isbn)
    again = await service.add_book(book_fields(isbn=book.isbn))
    assert again.version == 3


@pytest.mark.parametrize("text", ["Bell \x07 book", "nul\x00", "\ufffe", "half \ud800"])
async def test_errors_for_characters_xml_cannot_carry(service: LibraryService, text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.add_book(book_fields(title=text))
    assert invalid_fields(error) == {"title"}
