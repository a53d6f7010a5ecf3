"""What every client offers: the contract's operations, domain return types, one error type.

Each client file (rest.py, soap.py, ws.py, and raw_soap.py, SOAP without zeep) reads alone; this
module is only what they share, so that a test or a tool can run one scenario through all of them
and compare the answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx
from websockets.exceptions import WebSocketException

from services.models import Book, Loan, Page

# What each client's library raises when it cannot talk to the gateway at all: refused
# connections (and zeep's requests errors) are OSErrors; httpx and websockets have their own.
UNREACHABLE = (OSError, httpx.TransportError, WebSocketException)


class RemoteError(Exception):
    """An error answer, whatever the protocol, named by the contract's domain error kind.

    Not reaching the gateway at all is no answer: each client lets its library's own error
    through for that (UNREACHABLE lists them).
    """

    def __init__(self, kind: str, message: str, protocol: str, details: Any = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.protocol = protocol
        self.details = details


class LibraryClient(Protocol):
    protocol: str

    def list_books(
        self,
        q: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page: ...

    def get_book(self, isbn: str) -> Book: ...

    def add_book(self, **fields: Any) -> Book: ...

    def update_book(
        self, isbn: str, expected_version: int | None = None, **changes: Any
    ) -> Book: ...

    def remove_book(self, isbn: str) -> None: ...

    def borrow_book(self, isbn: str, member: str) -> Loan: ...

    def return_book(self, loan_id: str) -> Loan: ...

    def list_loans(
        self, member: str | None = None, open_only: bool | None = None, isbn: str | None = None
    ) -> list[Loan]: ...

    def get_loan(self, loan_id: str) -> Loan: ...

    def close(self) -> None: ...


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def book_from(data: Mapping[str, Any]) -> Book:
    """A Book from JSON-ish (strings) or XML-typed (Decimal, date) values."""
    return Book(
        isbn=data["isbn"],
        title=data["title"],
        authors=tuple(data["authors"]),
        published=_day(data["published"]),
        price=Decimal(str(data["price"])),
        currency=data["currency"],
        tags=tuple(data.get("tags") or ()),
        copies=int(data["copies"]),
        available=int(data["available"]),
        version=int(data["version"]),
        updated_at=_moment(data["updated_at"]),
    )


def loan_from(data: Mapping[str, Any]) -> Loan:
    returned = data.get("returned_at")
    return Loan(
        id=data["id"],
        isbn=data["isbn"],
        member=data["member"],
        borrowed_at=_moment(data["borrowed_at"]),
        due=_day(data["due"]),
        returned_at=None if returned is None else _moment(returned),
    )


def page_from(data: Mapping[str, Any]) -> Page:
    return Page(
        items=tuple(book_from(item) for item in data["items"]),
        total=int(data["total"]),
        limit=int(data["limit"]),
        offset=int(data["offset"]),
    )


def without_none(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def json_ready(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Domain-typed input as the contract's JSON: Decimal and dates as text, tuples as lists.

    So that `add_book(price=Decimal("12.50"))` works through every client, not only through
    the one whose library knows the type (zeep reads xs:decimal from the WSDL).
    """
    return {name: _json_value(value) for name, value in fields.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value
