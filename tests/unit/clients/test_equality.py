from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from clients.equality import differences, normalise
from services.models import Book

BOOK = Book(
    isbn="9780132350884",
    title="Clean Code",
    authors=("Robert C. Martin",),
    published=date(2008, 8, 1),
    price=Decimal("37.99"),
    currency="EUR",
    tags=("craft",),
    copies=3,
    available=3,
    version=1,
    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def test_equal_domain_values_are_equal_whatever_carried_them() -> None:
    assert not differences({"rest": BOOK, "soap": dataclasses.replace(BOOK), "websocket": BOOK})
    assert normalise(BOOK)["price"] == "37.99"


def test_a_real_difference_is_caught_and_shown_as_a_diff() -> None:
    changed = dataclasses.replace(BOOK, price=Decimal("38.00"))
    found = differences({"rest": BOOK, "soap": changed, "websocket": BOOK})
    assert list(found) == ["soap"]
    assert '-  "price": "37.99"' in found["soap"]
    assert '+  "price": "38.00"' in found["soap"]


def test_masked_fields_are_not_compared() -> None:
    later = dataclasses.replace(BOOK, updated_at=datetime(2026, 2, 2, tzinfo=UTC))
    assert differences({"rest": BOOK, "soap": later})
    assert not differences({"rest": BOOK, "soap": later}, ignore={"updated_at"})
