"""An in-memory Storage with the same rules as SqlStorage, for unit tests of the service."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from services.errors import Conflict, NotFound, VersionMismatch
from services.events import (
    BOOK_ADDED,
    BOOK_REMOVED,
    BOOK_UPDATED,
    LOAN_CLOSED,
    LOAN_OPENED,
    Event,
)
from services.models import (
    Book,
    BookQuery,
    Loan,
    LoanQuery,
    NewBook,
    Page,
    book_as_dict,
    loan_as_dict,
)


class FakeStorage:
    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.loans: dict[str, Loan] = {}
        self.events: list[Event] = []
        self.retired: dict[str, int] = {}
        self.epoch = "fake-epoch"
        self.pruned = 0  # the pruned-through mark
        self.head = 0  # the last seq drawn: pruning never lowers it

    def _record(self, event_type: str, at: datetime, data: dict[str, Any]) -> None:
        self.append(event_type, at, data)

    def append(self, event_type: str, at: datetime, data: dict[str, Any]) -> Event:
        """Records an event with the next seq, as a committed change would."""
        self.head = max(self.head, self.events[-1].seq if self.events else 0) + 1
        event = Event(self.head, event_type, at, data)
        self.events.append(event)
        return event

    def _book(self, isbn: str) -> Book:
        if isbn not in self.books:
            raise NotFound(f"no book with isbn {isbn}")
        return self.books[isbn]

    async def list_books(self, query: BookQuery) -> Page:
        def matches(book: Book) -> bool:
            authors = " ".join(book.authors).lower()
            return (
                (not query.q or query.q.lower() in book.title.lower() or query.q.lower() in authors)
                and (not query.author or query.author.lower() in authors)
                and (not query.tag or query.tag.lower() in {t.lower() for t in book.tags})
            )

        found = sorted(filter(matches, self.books.values()), key=lambda b: (b.title, b.isbn))
        items = tuple(found[query.offset : query.offset + query.limit])
        return Page(items=items, total=len(found), limit=query.limit, offset=query.offset)

    async def get_book(self, isbn: str) -> Book | None:
        return self.books.get(isbn)

    async def insert_book(self, book: NewBook, now: datetime) -> Book:
        if book.isbn in self.books:
            raise Conflict(f"a book with isbn {book.isbn} exists already")
        fields = {f.name: getattr(book, f.name) for f in dataclasses.fields(book)}
        version = self.retired.pop(book.isbn, 0) + 1
        added = Book(**fields, available=book.copies, version=version, updated_at=now)
        self.books[book.isbn] = added
        self._record(BOOK_ADDED, now, book_as_dict(added))
        return added

    async def update_book(
        self, isbn: str, changes: dict[str, Any], expected_version: int | None, now: datetime
    ) -> Book:
        book = self._book(isbn)
        if expected_version is not None and expected_version != book.version:
            raise VersionMismatch("stale version")
        on_loan = book.copies - book.available
        copies = changes.get("copies", book.copies)
        if copies < on_loan:
            raise Conflict("copies cannot go below the loans")
        if not changes:
            return book
        updated = dataclasses.replace(
            book,
            **changes,
            available=copies - on_loan,
            version=book.version + 1,
            updated_at=now,
        )
        self.books[isbn] = updated
        self._record(BOOK_UPDATED, now, book_as_dict(updated))
        return updated

    async def delete_book(self, isbn: str, expected_version: int | None, now: datetime) -> None:
        book = self._book(isbn)
        if expected_version is not None and expected_version != book.version:
            raise VersionMismatch("stale version")
        self.retired[isbn] = book.version
        if book.available < book.copies:
            raise Conflict("open loans")
        del self.books[isbn]
        self._record(BOOK_REMOVED, now, {"isbn": isbn})

    async def open_loan(
        self, loan_id: str, isbn: str, member: str, borrowed_at: datetime, due: date
    ) -> Loan:
        book = self._book(isbn)
        if book.available == 0:
            raise Conflict("no copy free")
        self.books[isbn] = dataclasses.replace(
            book, available=book.available - 1, version=book.version + 1, updated_at=borrowed_at
        )
        loan = Loan(loan_id, isbn, member, borrowed_at, due)
        self.loans[loan_id] = loan
        self._record(LOAN_OPENED, borrowed_at, loan_as_dict(loan))
        return loan

    async def close_loan(self, loan_id: str, now: datetime) -> Loan:
        if loan_id not in self.loans:
            raise NotFound("no loan")
        loan = self.loans[loan_id]
        if loan.returned_at is not None:
            raise Conflict("returned already")
        closed = dataclasses.replace(loan, returned_at=now)
        self.loans[loan_id] = closed
        book = self.books[loan.isbn]
        self.books[loan.isbn] = dataclasses.replace(
            book, available=book.available + 1, version=book.version + 1, updated_at=now
        )
        self._record(LOAN_CLOSED, now, loan_as_dict(closed))
        return closed

    async def get_loan(self, loan_id: str) -> Loan | None:
        return self.loans.get(loan_id)

    async def list_loans(self, query: LoanQuery) -> list[Loan]:
        return [
            loan
            for loan in self.loans.values()
            if (query.member is None or loan.member == query.member)
            and (query.isbn is None or loan.isbn == query.isbn)
            and (not query.open_only or loan.is_open)
        ]

    async def count_books(self) -> int:
        return len(self.books)

    async def last_event_seq(self) -> int:
        return max(self.head, self.events[-1].seq if self.events else 0)

    async def events_after(self, seq: int, limit: int) -> list[Event]:
        return [event for event in self.events if event.seq > seq][:limit]

    async def event_epoch(self) -> str:
        return self.epoch

    async def pruned_through(self) -> int:
        return self.pruned

    async def prune_events(self, through: int, limit: int) -> int:
        batch = [event.seq for event in self.events if event.seq <= through][:limit]
        if not batch:
            return 0
        self.events = [event for event in self.events if event.seq > batch[-1]]
        self.pruned = max(self.pruned, batch[-1])
        return len(batch)
