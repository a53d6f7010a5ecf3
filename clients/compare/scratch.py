"""Scratch books for write operations, so that comparing them leaves the catalogue as it was.

Every run of a write operation through every protocol gets its own book under a fresh ISBN
(and, for return_book, its own loan), made beforehand and removed afterwards through a helper
client that is not measured. An `isbn=` given on the command line names the book to copy.
get_loan without a `loan_id=` reads one scratch loan, opened the same way, in every run.
What the service keeps by design stays: the events, and the history of the scratch loans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from clients.compare.mistakes import token_mistake
from clients.interface import LibraryClient, RemoteError
from services.isbn import fresh_isbn
from services.models import WRITABLE_BOOK_FIELDS, book_as_dict
from services.operations import CHANGES, OPERATIONS

SCRATCH_MEMBER = "rosetta-compare"
SCRATCH_BOOK: dict[str, Any] = {
    "title": "Scratch Copy",
    "authors": ["Rosetta Compare"],
    "published": "2024-01-01",
    "price": "10.00",
    "currency": "EUR",
    "tags": ["scratch"],
    "copies": 2,
}

# What differs by nature between two protocols' answers: each wrote its own scratch book or
# loan, at its own moment.
MASKED: dict[str, tuple[str, ...]] = {
    "add_book": ("isbn", "updated_at"),
    "update_book": ("isbn", "updated_at"),
    "borrow_book": ("id", "isbn", "borrowed_at"),
    "return_book": ("id", "isbn", "borrowed_at", "returned_at"),
}
# The required keys a Scratchpad fills itself when the command line leaves them out.
SUPPLIED: dict[str, tuple[str, ...]] = {
    **{name: OPERATIONS[name].required for name in CHANGES},
    "get_loan": ("loan_id",),
}
T = TypeVar("T")


class ScratchError(Exception):
    """The scratch book could not be made: the book to copy is missing, or a change is refused."""


class Scratchpad:
    """Makes the arguments of each run of one operation, and cleans up after all of them."""

    def __init__(self, helper: LibraryClient, operation: str, arguments: dict[str, Any]) -> None:
        if operation == "return_book" and "loan_id" in arguments:
            raise ScratchError("compare returns a scratch loan it makes itself; give no loan_id")
        self.helper = helper
        self.operation = operation
        self.arguments = arguments
        self.books: list[str] = []
        self.template = self._template() if operation in CHANGES else {}
        if operation == "get_loan" and "loan_id" not in arguments:
            self.template = dict(SCRATCH_BOOK)
            self.arguments = {"loan_id": self._scratch_loan()}

    def next_arguments(self) -> dict[str, Any]:
        """The arguments of one more call: the given ones, or a new scratch target."""
        if self.operation not in CHANGES:
            return dict(self.arguments)
        if self.operation == "add_book":
            isbn = fresh_isbn()
            self.books.append(isbn)
            return {**self.template, "isbn": isbn}
        if self.operation == "return_book":
            return {"loan_id": self._scratch_loan()}
        isbn = self._scratch_book()
        if self.operation == "borrow_book":
            return {"isbn": isbn, "member": self.arguments.get("member", SCRATCH_MEMBER)}
        return {**self.arguments, "isbn": isbn}

    def clean(self) -> None:
        """Returns the scratch books' open loans and removes the books; gone ones are fine."""
        for isbn in self.books:
            try:
                for loan in self.helper.list_loans(isbn=isbn, open_only=True):
                    self.helper.return_book(loan.id)
                self.helper.remove_book(isbn)
            except RemoteError as error:
                if error.kind != "not_found":
                    raise
        self.books.clear()

    def _template(self) -> dict[str, Any]:
        if self.operation == "add_book":
            return {**SCRATCH_BOOK, **self.arguments}
        if "isbn" not in self.arguments:
            return dict(SCRATCH_BOOK)
        original = self._guarded(lambda: self.helper.get_book(self.arguments["isbn"]))
        shape = book_as_dict(original)
        return {name: shape[name] for name in WRITABLE_BOOK_FIELDS}

    def _scratch_book(self) -> str:
        isbn = fresh_isbn()
        self._guarded(lambda: self.helper.add_book(**{**self.template, "isbn": isbn}))
        self.books.append(isbn)
        return isbn

    def _scratch_loan(self) -> str:
        isbn = self._scratch_book()
        return self._guarded(lambda: self.helper.borrow_book(isbn, SCRATCH_MEMBER)).id

    def _guarded(self, make: Callable[[], T]) -> T:
        try:
            return make()
        except RemoteError as error:
            mistake = token_mistake(error)
            if mistake is not None:
                raise mistake from None
            raise ScratchError(f"cannot prepare the scratch book: {error}") from None
