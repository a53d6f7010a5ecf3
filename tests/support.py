"""Test data: valid ISBNs that no other test uses (services.isbn makes them), and complete books."""

from __future__ import annotations

from typing import Any

from services.isbn import fresh_isbn as fresh_isbn  # the tests' one import of test data


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
