"""The operations of the contract. Adapters call these and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from services import validation
from services.errors import NotFound
from services.models import Book, Loan, Page
from services.ports import Storage

LOAN_PERIOD = timedelta(days=21)


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_loan_id() -> str:
    return uuid.uuid4().hex


class LibraryService:
    """Validates input, applies the rules, and lets storage make each change atomically."""

    def __init__(
        self,
        storage: Storage,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        loan_ids: Callable[[], str] = new_loan_id,
    ) -> None:
        self._storage = storage
        self._on_change = on_change
        self._clock = clock
        self._loan_ids = loan_ids

    async def list_books(
        self,
        q: object = None,
        author: object = None,
        tag: object = None,
        limit: object = None,
        offset: object = None,
    ) -> Page:
        query = validation.book_query(q=q, author=author, tag=tag, limit=limit, offset=offset)
        return await self._storage.list_books(query)

    async def get_book(self, isbn: object) -> Book:
        digits = validation.isbn_argument(isbn)
        book = await self._storage.get_book(digits)
        if book is None:
            raise NotFound(f"no book with isbn {digits}", isbn=digits)
        return book

    async def add_book(self, fields: Mapping[str, object]) -> Book:
        book = validation.new_book(fields)
        added = await self._storage.insert_book(book, self._clock())
        self._on_change()
        return added

    async def update_book(
        self, isbn: object, changes: Mapping[str, object], expected_version: object = None
    ) -> Book:
        digits = validation.isbn_argument(isbn)
        valid_changes = validation.book_changes(changes)
        version = validation.expected_version_argument(expected_version)
        updated = await self._storage.update_book(digits, valid_changes, version, self._clock())
        self._on_change()
        return updated

    async def remove_book(self, isbn: object, expected_version: object = None) -> None:
        digits = validation.isbn_argument(isbn)
        version = validation.expected_version_argument(expected_version)
        await self._storage.delete_book(digits, version, self._clock())
        self._on_change()

    async def borrow_book(self, isbn: object, member: object) -> Loan:
        digits = validation.isbn_argument(isbn)
        who = validation.member_argument(member)
        now = self._clock()
        loan = await self._storage.open_loan(self._loan_ids(), digits, who, now, due_date(now))
        self._on_change()
        return loan

    async def return_book(self, loan_id: object) -> Loan:
        valid_id = validation.loan_id_argument(loan_id)
        loan = await self._storage.close_loan(valid_id, self._clock())
        self._on_change()
        return loan

    async def get_loan(self, loan_id: object) -> Loan:
        valid_id = validation.loan_id_argument(loan_id)
        loan = await self._storage.get_loan(valid_id)
        if loan is None:
            raise NotFound(f"no loan with id {valid_id}", loan_id=valid_id)
        return loan

    async def list_loans(
        self, member: object = None, open_only: object = None, isbn: object = None
    ) -> list[Loan]:
        query = validation.loan_query(member=member, open_only=open_only, isbn_filter=isbn)
        return await self._storage.list_loans(query)


def due_date(borrowed_at: datetime) -> date:
    return (borrowed_at + LOAN_PERIOD).date()
