"""The books resource: /rest/books and /rest/books/{isbn}."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from gateway.json_models import BookChanges, BookIn
from gateway.rest.formats import Format
from gateway.rest.links import book_path, book_resource, mount_path, page_resource
from gateway.rest.models import BookPage, BookResource
from gateway.rest.negotiation import (
    BOOK,
    BOOK_PAGE,
    FormatOverride,
    negotiate,
    render,
    represent,
)
from gateway.rest.openapi import (
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    change,
    json_body,
    problems,
    representation,
)
from gateway.rest.preconditions import body_etag, expected_version, version_etag
from gateway.rest.query import StrictQueryRoute
from gateway.rest.requests import admit, json_object
from gateway.runtime import Runtime
from services import validation
from services.models import Book, Page

BOOK_BODIES = 4096
"""Rendered books kept: a few MiB at most, whatever the catalogue's size."""
PAGE_BODIES = 256
"""Rendered pages kept (up to 100 books each): a few MiB at most."""

IsbnPath = Annotated[
    str,
    Path(
        description="ISBN-13. Hyphens and spaces are accepted: `978-0-13-235088-4` answers "
        "directly (no redirect), naming the 13-digit URL in Content-Location.",
        examples=["9780132350884"],
    ),
]


def book_reply(
    request: Request,
    fmt: Format,
    book: Book,
    isbn_asked: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    base = mount_path(request.scope)
    extra = dict(headers or {})
    if isbn_asked is not None and isbn_asked != book.isbn:
        extra["Content-Location"] = book_path(base, book.isbn)
    etag = version_etag(book.version, fmt)
    return represent(
        request, fmt, etag, lambda: book_body(book, base, fmt), status=status, headers=extra
    )


@lru_cache(maxsize=BOOK_BODIES)
def book_body(book: Book, base: str, fmt: Format) -> bytes:
    """A book's representation, rendered once for each state of the book.

    A Book is a frozen value holding every field of its representation, so an equal Book
    renders to the same bytes: a book read again unchanged (the common case of get_book) is
    not rebuilt and encoded again, which was a fifth of the adapter's time on get_book, and a
    changed one is a new key. The links' base is part of the key (a proxy may mount the API
    elsewhere). Equal values could print apart only where Python's equality is looser than
    their text (Decimal("1.5") == Decimal("1.50"), one instant in two time zones); storage
    returns every price with two decimals and every moment in UTC, so they never do.
    """
    return render(fmt, book_resource(book, base), BOOK)


@lru_cache(maxsize=PAGE_BODIES)
def page_body(
    page: Page, base: str, filters: tuple[str | None, str | None, str | None], fmt: Format
) -> tuple[bytes, str]:
    """A page's representation and its ETag, rendered once for each state of the page.

    As with book_body: a Page is a frozen value of frozen Books, and its links depend only on
    the base and the filters (q, author, tag), so equal keys render to the same bytes.
    """
    q, author, tag = filters
    data = page_resource(page, base, {"q": q, "author": author, "tag": tag})
    body = render(fmt, data, BOOK_PAGE)
    return body, body_etag(body)


def books_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/books", tags=["books"], route_class=StrictQueryRoute)

    @router.get(
        "",
        name="list_books",
        operation_id="list_books",
        summary="List books, a page at a time",
        description="Books in title order. `q` searches titles and authors, `author` only "
        "authors, `tag` is an exact tag. `_links` lead to the first, last, previous and next "
        "pages with the same filters.",
        responses={
            200: representation(BookPage, "One page of books"),
            304: NOT_MODIFIED,
            **problems(406, 422, 500, 503),
        },
        openapi_extra={"parameters": [IF_NONE_MATCH]},
    )
    async def list_books(
        request: Request,
        q: Annotated[str | None, Query(description="words of the title or an author")] = None,
        author: Annotated[str | None, Query(description="part of an author's name")] = None,
        tag: Annotated[str | None, Query(description="one tag, exactly")] = None,
        limit: Annotated[int, Query(ge=1, le=validation.LIMIT_MAX)] = validation.LIMIT_DEFAULT,
        offset: Annotated[int, Query(ge=0, le=validation.OFFSET_MAX)] = 0,
        format_override: FormatOverride = None,
    ) -> Response:
        admit(request, "list_books", runtime.settings.token)
        fmt = negotiate(request, format_override)
        page = await runtime.service.list_books(
            q=q, author=author, tag=tag, limit=limit, offset=offset
        )
        body, etag = page_body(page, mount_path(request.scope), (q, author, tag), fmt)
        return represent(request, fmt, etag, lambda: body)

    @router.get(
        "/{isbn}",
        name="get_book",
        operation_id="get_book",
        summary="Get a book",
        responses={
            200: representation(BookResource, "The book", "Content-Location"),
            304: NOT_MODIFIED,
            **problems(404, 406, 422, 500, 503),
        },
        openapi_extra={"parameters": [IF_NONE_MATCH]},
    )
    async def get_book(
        request: Request, isbn: IsbnPath, format_override: FormatOverride = None
    ) -> Response:
        admit(request, "get_book", runtime.settings.token)
        fmt = negotiate(request, format_override)
        book = await runtime.service.get_book(isbn)
        return book_reply(request, fmt, book, isbn_asked=isbn)

    @router.post(
        "",
        status_code=201,
        name="add_book",
        operation_id="add_book",
        summary="Add a book",
        responses={
            201: representation(
                BookResource, "The book as stored, at its Location", "Location", "Content-Location"
            ),
            **problems(401, 403, 406, 408, 409, 413, 415, 422, 500, 503),
        },
        openapi_extra=change(json_body(BookIn)),
    )
    async def add_book(request: Request) -> Response:
        admit(request, "add_book", runtime.settings.token)
        fmt = negotiate(request)
        fields = await json_object(request, runtime.settings)
        book = await runtime.service.add_book(fields)
        location = book_path(mount_path(request.scope), book.isbn)
        # Content-Location = Location: the body is the new book's representation, cacheable.
        headers = {"Location": location, "Content-Location": location}
        return book_reply(request, fmt, book, status=201, headers=headers)

    @router.patch(
        "/{isbn}",
        name="update_book",
        operation_id="update_book",
        summary="Change some fields of a book",
        description="A JSON merge patch (RFC 7396) of the updatable fields: absent fields stay "
        "as they are, and so do null ones, since no field of a book can be removed. "
        "Send If-Match with the ETag you read to change only that version (412 otherwise).",
        responses={
            200: representation(BookResource, "The book after the change"),
            **problems(401, 403, 404, 406, 408, 409, 412, 413, 415, 422, 500, 503),
        },
        openapi_extra=change(
            json_body(BookChanges, "application/merge-patch+json", "application/json"), IF_MATCH
        ),
    )
    async def update_book(request: Request, isbn: IsbnPath) -> Response:
        admit(request, "update_book", runtime.settings.token)
        fmt = negotiate(request)
        changes = await json_object(request, runtime.settings)
        service = runtime.service
        expected = await expected_version(service, isbn, request.headers.get("if-match"))
        book = await service.update_book(isbn, changes, expected)
        return book_reply(request, fmt, book, isbn_asked=isbn)

    @router.delete(
        "/{isbn}",
        status_code=204,
        response_class=Response,
        name="remove_book",
        operation_id="remove_book",
        summary="Remove a book",
        description="Refused (409) while copies are on loan. With If-Match, refused (412) "
        "unless the current version is one it names, checked in the same transaction as the "
        "removal. A book added again under the same ISBN continues from the removed one's "
        "version, so an ETag kept from before never matches it.",
        responses={
            204: {"description": "Removed; nothing to return"},
            **problems(401, 403, 404, 409, 412, 422, 500, 503),
        },
        openapi_extra=change(None, IF_MATCH),
    )
    async def remove_book(request: Request, isbn: IsbnPath) -> Response:
        admit(request, "remove_book", runtime.settings.token)
        service = runtime.service
        expected = await expected_version(service, isbn, request.headers.get("if-match"))
        await service.remove_book(isbn, expected)
        return Response(status_code=204)

    return router
