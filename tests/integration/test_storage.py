"""Storage for real, on SQLite and PostgreSQL: atomic races, durability across restarts, the
event outbox."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from services.catalogue import open_catalogue
from services.errors import Conflict, NotFound, VersionMismatch
from services.sample_data import SAMPLE_BOOKS
from tests.postgres import create_database
from tests.support import book_fields

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind the storage speaks."""
    if request.param == "sqlite":
        return str(tmp_path / "lib.db")
    server: str = request.getfixturevalue("postgres")
    return create_database(server)


async def test_first_start_loads_the_sample_books_once(db: str) -> None:
    catalogue = await open_catalogue(db)
    assert (await catalogue.service.list_books(limit=100)).total == len(SAMPLE_BOOKS)
    await catalogue.close()
    again = await open_catalogue(db)
    assert (await again.service.list_books(limit=100)).total == len(SAMPLE_BOOKS)
    await again.close()


async def test_the_database_is_a_wal_file_that_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "lib.db"
    catalogue = await open_catalogue(str(db), seed=False)
    book = await catalogue.service.add_book(book_fields(price="19.99", tags=["a", "b"]))
    loan = await catalogue.service.borrow_book(book.isbn, "ada")
    await catalogue.close()
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    reopened = await open_catalogue(str(db), seed=False)
    again = await reopened.service.get_book(book.isbn)
    assert (again.price, again.tags, again.available, again.version) == (
        book.price, ("a", "b"), book.copies - 1, 2
    )  # fmt: skip
    assert (await reopened.service.get_loan(loan.id)) == loan
    await reopened.close()


async def test_concurrent_borrows_of_the_last_copy_give_one_loan(db: str) -> None:
    catalogue = await open_catalogue(db, seed=False)
    service = catalogue.service
    book = await service.add_book(book_fields(copies=1))
    outcomes = await asyncio.gather(
        *(service.borrow_book(book.isbn, f"member {n}") for n in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert sum(isinstance(o, Conflict) for o in outcomes) == 7
    assert (await service.get_book(book.isbn)).available == 0
    await catalogue.close()


async def test_event_seq_keeps_increasing_across_restarts(db: str) -> None:
    first = await open_catalogue(db, seed=False)
    await first.service.add_book(book_fields())
    before = await first.storage.last_event_seq()
    await first.close()
    second = await open_catalogue(db, seed=False)
    book = await second.service.add_book(book_fields())
    await second.service.remove_book(book.isbn)
    events = await second.storage.events_after(before, 10)
    assert [e.type for e in events] == ["book.added", "book.removed"]
    assert [e.seq for e in events] == [before + 1, before + 2]
    await second.close()


async def test_search_treats_like_wildcards_as_text(db: str) -> None:
    catalogue = await open_catalogue(db, seed=False)
    await catalogue.service.add_book(book_fields(title="100% Pure"))
    await catalogue.service.add_book(book_fields(title="1000 Pages"))
    page = await catalogue.service.list_books(q="0%")
    assert [b.title for b in page.items] == ["100% Pure"]
    await catalogue.close()


async def test_removed_books_leave_their_returned_loans_readable(db: str) -> None:
    catalogue = await open_catalogue(db, seed=False)
    service = catalogue.service
    book = await service.add_book(book_fields())
    loan = await service.borrow_book(book.isbn, "ada")
    await service.return_book(loan.id)
    await service.remove_book(book.isbn)
    with pytest.raises(NotFound):
        await service.get_book(book.isbn)
    assert [x.id for x in await service.list_loans(isbn=book.isbn)] == [loan.id]
    await catalogue.close()


async def test_removal_checks_the_version_and_readding_continues_it(db: str) -> None:
    catalogue = await open_catalogue(db, seed=False)
    service = catalogue.service
    book = await service.add_book(book_fields())
    await service.borrow_book(book.isbn, "ada")
    loan = (await service.list_loans(isbn=book.isbn))[0]
    await service.return_book(loan.id)
    with pytest.raises(VersionMismatch):
        await service.remove_book(book.isbn, expected_version=1)
    await service.remove_book(book.isbn, expected_version=3)
    again = await service.add_book(book_fields(isbn=book.isbn))
    assert again.version == 4
    await catalogue.close()


async def test_authors_and_tags_come_back_in_order_with_their_text_intact(db: str) -> None:
    catalogue = await open_catalogue(db, seed=False)
    service = catalogue.service
    authors = ["Zoë O'Neil, Jr.", 'A "quoted" name', "100%_wild/card", "Åsa"]
    book = await service.add_book(book_fields(authors=authors, tags=["z", "a", "m"]))
    assert (book.authors, book.tags) == (tuple(authors), ("z", "a", "m"))
    assert await service.get_book(book.isbn) == book
    (listed,) = (await service.list_books(author="_wild/")).items
    assert listed == book
    changed = await service.update_book(book.isbn, {"authors": ["Åsa"], "tags": []})
    assert await service.get_book(book.isbn) == changed
    assert (changed.authors, changed.tags, changed.version) == (("Åsa",), (), 2)
    await catalogue.close()


async def test_a_page_past_the_end_is_empty_and_still_counts_every_book(db: str) -> None:
    catalogue = await open_catalogue(db)
    page = await catalogue.service.list_books(offset=1000)
    assert (page.items, page.total) == ((), len(SAMPLE_BOOKS))
    assert (await catalogue.service.list_books(q="no such book anywhere")).total == 0
    await catalogue.close()
