"""The domain errors a storage raises, worded once for both databases."""

from __future__ import annotations

from services.errors import Conflict, NotFound, VersionMismatch


def no_book(isbn: str) -> NotFound:
    return NotFound(f"no book with isbn {isbn}", isbn=isbn)


def duplicate_book(isbn: str) -> Conflict:
    return Conflict(f"a book with isbn {isbn} exists already", isbn=isbn)


def check_version(isbn: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise VersionMismatch(
            f"book {isbn} is at version {current}, not {expected}",
            isbn=isbn,
            current_version=current,
        )


def copies_below_loans(isbn: str, on_loan: int) -> Conflict:
    return Conflict(
        f"book {isbn} has {on_loan} copies on loan; copies cannot go below that", isbn=isbn
    )


def open_loans(isbn: str, on_loan: int) -> Conflict:
    return Conflict(f"book {isbn} has {on_loan} open loans", isbn=isbn)


def no_copy_free(isbn: str) -> Conflict:
    return Conflict(f"no copy of {isbn} is free", isbn=isbn)


def no_loan(loan_id: str) -> NotFound:
    return NotFound(f"no loan with id {loan_id}", loan_id=loan_id)


def already_returned(loan_id: str) -> Conflict:
    return Conflict(f"loan {loan_id} was returned already", loan_id=loan_id)
