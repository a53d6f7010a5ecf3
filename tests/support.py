"""Test data: valid ISBNs that no other test uses, and complete books to add."""

from __future__ import annotations

import random
from typing import Any

from services.isbn import isbn13_check_digit

_random = random.Random()


def fresh_isbn() -> str:
    """A valid ISBN-13 in the 979-8 range, random enough not to collide within a run."""
    first12 = "9798" + "".join(str(_random.randrange(10)) for _ in range(8))
    return first12 + isbn13_check_digit(first12)


def book_fields(isbn: str | None = None, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "isbn": isbn or fresh_isbn(),
        "title": "Protocols in Practice",
        "authors": ["Ada Lovelace", "Roy Fielding"],
        "published": "2024-05-17",
        "price": "12.50",
        "currency": "EUR",
        "tags": ["apis", "testing"],
        "copies": 2,
    }
    fields.update(overrides)
    return fields
