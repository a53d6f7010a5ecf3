"""Representations with hypermedia: the service's dicts plus HAL-style `_links`.

Links are absolute paths under the adapter's mount point (`/rest/...`, or a proxy's prefix
before it), so they work whatever host name the client used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.types import Scope

from services.models import Book, Loan, Page, book_as_dict, loan_as_dict


def mount_path(scope: Scope) -> str:
    """Where the adapter is mounted (`/rest`, behind any proxy prefix): the base of every link."""
    root: str = scope.get("root_path", "")
    return root


def _link(href: str) -> dict[str, str]:
    return {"href": href}


def book_path(base: str, isbn: str) -> str:
    return f"{base}/books/{isbn}"


def loan_path(base: str, loan_id: str) -> str:
    return f"{base}/loans/{loan_id}"


def book_resource(book: Book, base: str) -> dict[str, Any]:
    data = book_as_dict(book)
    data["_links"] = {
        "self": _link(book_path(base, book.isbn)),
        "collection": _link(f"{base}/books"),
        "loans": _link(f"{base}/loans?isbn={book.isbn}"),
    }
    return data


def loan_resource(loan: Loan, base: str) -> dict[str, Any]:
    data = loan_as_dict(loan)
    here = _link(loan_path(base, loan.id))
    links = {
        "self": here,
        "collection": _link(f"{base}/loans"),
        "book": _link(book_path(base, loan.isbn)),
    }
    if loan.is_open:
        links["return"] = here
    data["_links"] = links
    return data


def page_resource(page: Page, base: str, filters: Mapping[str, str | None]) -> dict[str, Any]:
    """A page of books, linked to its neighbours with the same filters and limit."""
    kept = {name: value for name, value in filters.items() if value is not None}

    def at(offset: int) -> dict[str, str]:
        query = urlencode({**kept, "limit": page.limit, "offset": offset})
        return _link(f"{base}/books?{query}")

    last = max(page.total - 1, 0) // page.limit * page.limit
    links = {"self": at(page.offset), "first": at(0), "last": at(last)}
    if page.offset > 0:
        # Past the end, "prev" leads back to the last page that has books.
        links["prev"] = at(min(max(page.offset - page.limit, 0), last))
    if page.offset + page.limit < page.total:
        links["next"] = at(page.offset + page.limit)
    return {
        "items": [book_resource(book, base) for book in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "_links": links,
    }


def loan_list_resource(loans: Sequence[Loan], base: str, query: str) -> dict[str, Any]:
    self_href = f"{base}/loans?{query}" if query else f"{base}/loans"
    return {
        "items": [loan_resource(loan, base) for loan in loans],
        "_links": {"self": _link(self_href)},
    }
