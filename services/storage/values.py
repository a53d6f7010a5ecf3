"""How the domain's values map to rows, the same for both databases.

A write already knows the whole book it leaves behind (the row it checked plus the change), so
it builds the answer here instead of reading the book back.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.models import Book, NewBook


def cents(price: Decimal) -> int:
    """Prices are kept as integer cents: SQLite has no exact decimal type."""
    return int(price * 100)


def price_of(price_cents: int) -> Decimal:
    return Decimal(price_cents).scaleb(-2)


def naive_utc(moment: datetime) -> datetime:
    """The columns keep UTC without a zone (SQLite has none); readers add it back."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def stored(moment: datetime) -> datetime:
    """`moment` as a read will hand it back: aware UTC, to the microsecond."""
    return naive_utc(moment).replace(tzinfo=UTC)


def added_book(book: NewBook, version: int, now: datetime) -> Book:
    return Book(
        isbn=book.isbn,
        title=book.title,
        authors=tuple(book.authors),
        published=book.published,
        price=price_of(cents(book.price)),
        currency=book.currency,
        tags=tuple(book.tags),
        copies=book.copies,
        available=book.copies,
        version=version,
        updated_at=stored(now),
    )


def changed_book(current: Book, changes: dict[str, Any], now: datetime) -> Book:
    """`current` with `changes` applied, one version on."""
    values = dict(changes)
    for listed in ("authors", "tags"):
        if listed in values:
            values[listed] = tuple(values[listed])
    if "price" in values:
        values["price"] = price_of(cents(values["price"]))
    copies = values.get("copies", current.copies)
    on_loan = current.copies - current.available
    return dataclasses.replace(
        current,
        **values,
        available=copies - on_loan,
        version=current.version + 1,
        updated_at=stored(now),
    )


def containing(needle: str) -> str:
    """A LIKE pattern (escape character `/`) matching `needle` anywhere, wildcards as text."""
    escaped = needle.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"
