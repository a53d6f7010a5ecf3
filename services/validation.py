"""Turns loose input from any adapter into validated domain values, or raises InvalidInput.

Adapters hand over what their protocol parsed (JSON strings, XML-typed values, form fields),
so every rule of the contract is checked here once, whatever the protocol.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from services.currencies import ISO_4217
from services.errors import FieldError, InvalidInput
from services.isbn import normalize_isbn
from services.models import (
    READ_ONLY_BOOK_FIELDS,
    UPDATABLE_BOOK_FIELDS,
    WRITABLE_BOOK_FIELDS,
    BookQuery,
    LoanQuery,
    NewBook,
)

TITLE_MAX = 300
AUTHORS_MAX = 20
AUTHOR_MAX = 200
TAGS_MAX = 20
TAG_MAX = 50
MEMBER_MAX = 100
COPIES_MAX = 1_000_000
PRICE_MAX = Decimal("999999999.99")
LIMIT_MAX = 100
LIMIT_DEFAULT = 20
OFFSET_MAX = 2**31 - 1  # the largest xs:int, so SOAP can carry every valid offset
QUERY_MAX = 200
LOAN_ID_MAX = 64
DEFAULT_CURRENCY = "EUR"

T = TypeVar("T")

# Characters XML 1.0 forbids (C0 controls but tab, newline and return; surrogates; U+FFFE/F).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Problem(Exception):
    """A single field's rule broken; collected into one InvalidInput."""


def isbn(value: object) -> str:
    if not isinstance(value, str):
        raise _Problem("must be a string of 13 digits (hyphens and spaces allowed)")
    digits = normalize_isbn(value)
    if digits is None:
        raise _Problem(f"{value!r} is not a valid ISBN-13 (978/979 prefix, checksum)")
    return digits


def text(value: object, max_len: int) -> str:
    if not isinstance(value, str):
        raise _Problem("must be a string")
    if _UNPRINTABLE.search(value):
        # XML 1.0 cannot carry them, so SOAP could not return what JSON accepted.
        raise _Problem("must not contain control characters")
    stripped = value.strip()
    if not stripped:
        raise _Problem("must not be empty")
    if len(stripped) > max_len:
        raise _Problem(f"must be at most {max_len} characters, got {len(stripped)}")
    return stripped


def text_list(value: object, min_items: int, max_items: int, max_len: int) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _Problem("must be a list of strings")
    if not min_items <= len(value) <= max_items:
        raise _Problem(f"must have {min_items} to {max_items} entries, got {len(value)}")
    items = []
    for index, item in enumerate(value):
        try:
            items.append(text(item, max_len))
        except _Problem as problem:
            raise _Problem(f"entry {index} {problem}") from None
    return tuple(items)


def published(value: object) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Problem("must be a date, YYYY-MM-DD")
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _Problem(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def price(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _Problem("must be a decimal such as '12.50'")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise _Problem(f"{value!r} is not a decimal such as '12.50'") from None
    else:
        raise _Problem("must be a decimal such as '12.50'")
    if not amount.is_finite():
        raise _Problem("must be a finite decimal")
    if amount < 0:
        raise _Problem("must be zero or more")
    if amount > PRICE_MAX:
        raise _Problem(f"must be at most {PRICE_MAX}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise _Problem("must have at most two fraction digits")
    return amount.quantize(Decimal("0.01"))


def currency(value: object) -> str:
    if not isinstance(value, str) or value.strip().upper() not in ISO_4217:
        raise _Problem(f"{value!r} is not an ISO 4217 currency code such as 'EUR'")
    return value.strip().upper()


def bounded_int(value: object, low: int, high: int) -> int:
    # Adapters hand over numbers: SOAP and REST query strings are read by their XSD and
    # OpenAPI types, so text here is JSON's "3", a string where the contract has a number.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Problem("must be a whole number")
    if not low <= value <= high:
        raise _Problem(f"must be between {low} and {high}, got {value}")
    return value


def flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _Problem("must be true or false")


def optional_text(value: object, max_len: int) -> str | None:
    return None if value is None else text(value, max_len)


_BOOK_RULES: dict[str, Callable[[object], Any]] = {
    "isbn": isbn,
    "title": lambda v: text(v, TITLE_MAX),
    "authors": lambda v: text_list(v, 1, AUTHORS_MAX, AUTHOR_MAX),
    "published": published,
    "price": price,
    "currency": currency,
    "tags": lambda v: text_list(v, 0, TAGS_MAX, TAG_MAX),
    "copies": lambda v: bounded_int(v, 0, COPIES_MAX),
}
_BOOK_DEFAULTS: dict[str, object] = {"currency": DEFAULT_CURRENCY, "tags": ()}


class _Collector:
    """Checks several fields and reports every broken rule at once, not just the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def check(self, name: str, rule: Callable[[object], T], value: object) -> T | None:
        try:
            return rule(value)
        except _Problem as problem:
            self.errors.append(FieldError(name, str(problem)))
            return None

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def raise_if_any(self, what: str) -> None:
        if self.errors:
            summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
            raise InvalidInput(f"invalid {what}: {summary}", self.errors)


def _reject_unknown(fields: Mapping[str, object], allowed: tuple[str, ...], c: _Collector) -> None:
    for name in fields:
        if name in READ_ONLY_BOOK_FIELDS:
            c.fail(name, "is read only")
        elif name not in allowed:
            c.fail(name, "is not a field of a book")


def new_book(fields: Mapping[str, object]) -> NewBook:
    """A complete book to add: every writable field but currency and tags is required."""
    c = _Collector()
    _reject_unknown(fields, WRITABLE_BOOK_FIELDS, c)
    values: dict[str, Any] = {}
    for name, rule in _BOOK_RULES.items():
        raw = fields.get(name)
        if raw is None:
            if name in _BOOK_DEFAULTS:
                values[name] = _BOOK_DEFAULTS[name]
            else:
                c.fail(name, "is required")
            continue
        values[name] = c.check(name, rule, raw)
    c.raise_if_any("book")
    return NewBook(**values)


def book_changes(fields: Mapping[str, object]) -> dict[str, Any]:
    """The subset of updatable fields a caller wants to change; null means 'leave as is'."""
    c = _Collector()
    _reject_unknown(fields, UPDATABLE_BOOK_FIELDS, c)
    changes = {
        name: c.check(name, _BOOK_RULES[name], raw)
        for name, raw in fields.items()
        if name in UPDATABLE_BOOK_FIELDS and raw is not None
    }
    c.raise_if_any("changes")
    return changes


def isbn_argument(value: object) -> str:
    c = _Collector()
    digits = c.check("isbn", isbn, value)
    c.raise_if_any("isbn")
    assert digits is not None
    return digits


def member_argument(value: object) -> str:
    c = _Collector()
    member = c.check("member", lambda v: text(v, MEMBER_MAX), value)
    c.raise_if_any("member")
    assert member is not None
    return member


def loan_id_argument(value: object) -> str:
    c = _Collector()
    loan_id = c.check("loan_id", lambda v: text(v, LOAN_ID_MAX), value)
    c.raise_if_any("loan id")
    assert loan_id is not None
    return loan_id


def expected_version_argument(value: object) -> int | None:
    if value is None:
        return None
    c = _Collector()
    version = c.check("expected_version", lambda v: bounded_int(v, 1, 2**63 - 1), value)
    c.raise_if_any("expected version")
    return version


def book_query(
    q: object = None,
    author: object = None,
    tag: object = None,
    limit: object = None,
    offset: object = None,
) -> BookQuery:
    c = _Collector()
    query = BookQuery(
        q=c.check("q", lambda v: optional_text(v, QUERY_MAX), q),
        author=c.check("author", lambda v: optional_text(v, QUERY_MAX), author),
        tag=c.check("tag", lambda v: optional_text(v, TAG_MAX), tag),
        limit=LIMIT_DEFAULT
        if limit is None
        else c.check("limit", lambda v: bounded_int(v, 1, LIMIT_MAX), limit) or LIMIT_DEFAULT,
        offset=0
        if offset is None
        else c.check("offset", lambda v: bounded_int(v, 0, OFFSET_MAX), offset) or 0,
    )
    c.raise_if_any("query")
    return query


def loan_query(
    member: object = None, open_only: object = None, isbn_filter: object = None
) -> LoanQuery:
    c = _Collector()
    who = c.check("member", lambda v: optional_text(v, MEMBER_MAX), member)
    only_open = False if open_only is None else bool(c.check("open_only", flag, open_only))
    digits = None if isbn_filter is None else c.check("isbn", isbn, isbn_filter)
    c.raise_if_any("loan filters")
    return LoanQuery(member=who, open_only=only_open, isbn=digits)
