"""The contract's operations, declared once.

Each adapter's registration (the SOAP service, the WebSocket methods, the REST token rule),
each self-description (WSDL, OpenAPI, AsyncAPI), the demo form and the command-line tools
derive what they say about an operation from this table, and tests hold the rest to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.events import BOOK_ADDED, BOOK_REMOVED, BOOK_UPDATED, LOAN_CLOSED, LOAN_OPENED


class ValueType(StrEnum):
    """What a parameter holds, as the contract types it."""

    TEXT = "text"
    WHOLE_NUMBER = "whole number"
    FLAG = "flag"
    TEXT_LIST = "list of text"
    DATE = "date"
    DECIMAL = "decimal"


class ResultKind(StrEnum):
    """What an operation answers with."""

    BOOK = "a book"
    PAGE_OF_BOOKS = "a page of books"
    LOAN = "a loan"
    LIST_OF_LOANS = "a list of loans"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: ValueType
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    name: str  # the WebSocket method, the metrics label, the client method
    soap_name: str
    summary: str
    parameters: tuple[Parameter, ...]  # in the order a positional argument fills them
    result: ResultKind
    changes: bool = False  # needs the API token when the server runs with one
    events: tuple[str, ...] = ()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters if p.required)

    def parameter(self, name: str) -> Parameter:
        """The parameter called `name`; KeyError when the operation takes none of that name."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)


_ISBN = Parameter("isbn", ValueType.TEXT, required=True)
_LOAN_ID = Parameter("loan_id", ValueType.TEXT, required=True)
# The writable fields of a book, in the order the contract (and the WSDL) lists them.
_TITLE = Parameter("title", ValueType.TEXT)
_AUTHORS = Parameter("authors", ValueType.TEXT_LIST)
_PUBLISHED = Parameter("published", ValueType.DATE)
_PRICE = Parameter("price", ValueType.DECIMAL)
_CURRENCY = Parameter("currency", ValueType.TEXT)
_TAGS = Parameter("tags", ValueType.TEXT_LIST)
_COPIES = Parameter("copies", ValueType.WHOLE_NUMBER)
_BOOK_CHANGES = (_TITLE, _AUTHORS, _PUBLISHED, _PRICE, _CURRENCY, _TAGS, _COPIES)


def _needed(parameter: Parameter) -> Parameter:
    return Parameter(parameter.name, parameter.type, required=True)


OPERATIONS: dict[str, Operation] = {
    operation.name: operation
    for operation in (
        Operation(
            "list_books",
            "ListBooks",
            "A page of books, filtered by text, author or tag.",
            (
                Parameter("q", ValueType.TEXT),
                Parameter("author", ValueType.TEXT),
                Parameter("tag", ValueType.TEXT),
                Parameter("limit", ValueType.WHOLE_NUMBER),
                Parameter("offset", ValueType.WHOLE_NUMBER),
            ),
            ResultKind.PAGE_OF_BOOKS,
        ),
        Operation("get_book", "GetBook", "One book by ISBN.", (_ISBN,), ResultKind.BOOK),
        Operation(
            "add_book",
            "AddBook",
            "Adds a book; its parameters are the book's writable fields.",
            (
                _ISBN,
                _needed(_TITLE),
                _needed(_AUTHORS),
                _needed(_PUBLISHED),
                _needed(_PRICE),
                _CURRENCY,
                _TAGS,
                _needed(_COPIES),
            ),
            ResultKind.BOOK,
            changes=True,
            events=(BOOK_ADDED,),
        ),
        Operation(
            "update_book",
            "UpdateBook",
            "Changes some fields of a book, optionally only if it is at `expected_version`.",
            (_ISBN, *_BOOK_CHANGES, Parameter("expected_version", ValueType.WHOLE_NUMBER)),
            ResultKind.BOOK,
            changes=True,
            events=(BOOK_UPDATED,),
        ),
        Operation(
            "remove_book",
            "RemoveBook",
            "Removes a book that has no open loans.",
            (_ISBN,),
            ResultKind.NOTHING,
            changes=True,
            events=(BOOK_REMOVED,),
        ),
        Operation(
            "borrow_book",
            "BorrowBook",
            "Lends a free copy of a book to a member; due in 21 days.",
            (_ISBN, Parameter("member", ValueType.TEXT, required=True)),
            ResultKind.LOAN,
            changes=True,
            events=(LOAN_OPENED,),
        ),
        Operation(
            "return_book",
            "ReturnBook",
            "Closes an open loan.",
            (_LOAN_ID,),
            ResultKind.LOAN,
            changes=True,
            events=(LOAN_CLOSED,),
        ),
        Operation(
            "list_loans",
            "ListLoans",
            "Loans, filtered by member, by book, or to the open ones.",
            (
                Parameter("member", ValueType.TEXT),
                Parameter("open_only", ValueType.FLAG),
                Parameter("isbn", ValueType.TEXT),
            ),
            ResultKind.LIST_OF_LOANS,
        ),
        Operation("get_loan", "GetLoan", "One loan by id.", (_LOAN_ID,), ResultKind.LOAN),
    )
}
"""Every operation of the contract, by name, in the contract's order."""

CHANGES: frozenset[str] = frozenset(name for name, op in OPERATIONS.items() if op.changes)
"""The operations that change data: with an API token configured, each needs it."""
