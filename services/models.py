"""The catalogue's values. Read-only fields are computed by storage, never taken from input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

WRITABLE_BOOK_FIELDS: tuple[str, ...] = (
    "isbn",
    "title",
    "authors",
    "published",
    "price",
    "currency",
    "tags",
    "copies",
)
READ_ONLY_BOOK_FIELDS: tuple[str, ...] = ("available", "version", "updated_at")
UPDATABLE_BOOK_FIELDS: tuple[str, ...] = tuple(f for f in WRITABLE_BOOK_FIELDS if f != "isbn")


@dataclass(frozen=True, slots=True)
class NewBook:
    """The writable fields of a book, already validated and normalised."""

    isbn: str
    title: str
    authors: tuple[str, ...]
    published: date
    price: Decimal
    currency: str
    tags: tuple[str, ...]
    copies: int


@dataclass(frozen=True, slots=True)
class Book:
    isbn: str
    title: str
    authors: tuple[str, ...]
    published: date
    price: Decimal
    currency: str
    tags: tuple[str, ...]
    copies: int
    available: int
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Loan:
    id: str
    isbn: str
    member: str
    borrowed_at: datetime
    due: date
    returned_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


@dataclass(frozen=True, slots=True)
class BookQuery:
    """Filters of list_books: `q` searches title and authors, `author` authors, `tag` is exact."""

    q: str | None = None
    author: str | None = None
    tag: str | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class LoanQuery:
    member: str | None = None
    open_only: bool = False
    isbn: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Book, ...]
    total: int
    limit: int
    offset: int


def book_as_dict(book: Book) -> dict[str, Any]:
    """The JSON shape of a book as the contract writes it: price as a string, dates in ISO 8601."""
    return {
        "isbn": book.isbn,
        "title": book.title,
        "authors": list(book.authors),
        "published": book.published.isoformat(),
        "price": str(book.price),
        "currency": book.currency,
        "tags": list(book.tags),
        "copies": book.copies,
        "available": book.available,
        "version": book.version,
        "updated_at": iso_utc(book.updated_at),
    }


def loan_as_dict(loan: Loan) -> dict[str, Any]:
    return {
        "id": loan.id,
        "isbn": loan.isbn,
        "member": loan.member,
        "borrowed_at": iso_utc(loan.borrowed_at),
        "due": loan.due.isoformat(),
        "returned_at": iso_utc(loan.returned_at) if loan.returned_at else None,
    }


def iso_utc(moment: datetime) -> str:
    """ISO 8601 with a `Z`, the form every protocol here prints for UTC."""
    return moment.isoformat().replace("+00:00", "Z")
