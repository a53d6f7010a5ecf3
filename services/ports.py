"""What the service needs from storage. Each method is one atomic transaction.

State changes that race (two borrows of the last copy, an update against a borrow) are decided
inside storage, by conditional writes, so no process-local lock is needed: the rule holds
across worker processes and on PostgreSQL as well as on SQLite.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from services.models import Book, BookQuery, Loan, LoanQuery, NewBook, Page
from services.retention import EventOutbox


class Storage(EventOutbox, Protocol):
    async def list_books(self, query: BookQuery) -> Page: ...

    async def get_book(self, isbn: str) -> Book | None: ...

    async def insert_book(self, book: NewBook, now: datetime) -> Book:
        """Raises Conflict if the isbn exists. Records `book.added`."""
        ...

    async def update_book(
        self, isbn: str, changes: dict[str, Any], expected_version: int | None, now: datetime
    ) -> Book:
        """Raises NotFound, VersionMismatch, or Conflict when copies would drop below loans.

        Records `book.updated`.
        """
        ...

    async def delete_book(self, isbn: str, expected_version: int | None, now: datetime) -> None:
        """Raises NotFound, VersionMismatch, or Conflict while loans are open.

        Records `book.removed`, and remembers the version so that a book added again under
        the same isbn continues from it (an old ETag never matches the new book).
        """
        ...

    async def open_loan(
        self, loan_id: str, isbn: str, member: str, borrowed_at: datetime, due: date
    ) -> Loan:
        """Raises NotFound, or Conflict when no copy is free. Records `loan.opened`."""
        ...

    async def close_loan(self, loan_id: str, now: datetime) -> Loan:
        """Raises NotFound, or Conflict when already returned. Records `loan.closed`."""
        ...

    async def get_loan(self, loan_id: str) -> Loan | None: ...

    async def list_loans(self, query: LoanQuery) -> list[Loan]: ...

    async def count_books(self) -> int: ...
