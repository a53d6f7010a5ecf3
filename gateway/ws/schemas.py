"""JSON shapes that only the WebSocket API has: each method's params, and event payloads.

They describe (the AsyncAPI document is generated from them) and name the params that the
dispatcher accepts; the service still validates every value, as for the other protocols.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway.json_models import BookChanges, BookOut, Isbn, LoanOut
from services import validation as v
from services.events import (
    BOOK_ADDED,
    BOOK_REMOVED,
    BOOK_UPDATED,
    EVENT_TYPES,
    LOAN_CLOSED,
    LOAN_OPENED,
)

EventPattern = Annotated[
    str,
    Field(
        description=f"a glob over the event types {', '.join(EVENT_TYPES)}; "
        "it must match at least one of them",
        examples=["book.*", "loan.opened", "*"],
    ),
]
LoanId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=v.LOAN_ID_MAX),
    Field(description="the opaque id of a loan, as borrow_book returned it"),
]
Member = Annotated[str, StringConstraints(min_length=1, max_length=v.MEMBER_MAX)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListBooksParams(_Params):
    q: Annotated[
        str | None, Field(max_length=v.QUERY_MAX, description="searches title and authors")
    ] = None
    author: Annotated[str | None, Field(max_length=v.QUERY_MAX)] = None
    tag: Annotated[str | None, Field(max_length=v.TAG_MAX, description="an exact tag")] = None
    limit: Annotated[int, Field(ge=1, le=v.LIMIT_MAX)] = v.LIMIT_DEFAULT
    offset: Annotated[int, Field(ge=0, le=v.OFFSET_MAX)] = 0


class IsbnParams(_Params):
    isbn: Isbn


class UpdateBookParams(BookChanges):
    """The book to change, the fields to change, and optionally the version the caller saw."""

    isbn: Isbn
    expected_version: Annotated[
        int | None,
        Field(ge=1, description="refuse the change unless the book is at this version"),
    ] = None


class LoanIdParams(_Params):
    loan_id: LoanId


class ListLoansParams(_Params):
    member: Member | None = None
    open_only: bool = False
    isbn: Annotated[Isbn | None, Field(description="only the loans of this book")] = None


class SubscribeParams(_Params):
    events: list[EventPattern]


class UnsubscribeParams(_Params):
    events: Annotated[
        list[EventPattern] | None,
        Field(description="patterns exactly as subscribed; absent or null drops them all"),
    ] = None


Subscription = Annotated[
    list[str], Field(title="Subscription", description="every pattern now subscribed, sorted")
]


class BookRemoved(BaseModel):
    """What a `book.removed` event carries: the book is gone, only its isbn is left."""

    isbn: Annotated[str, Field(pattern=r"^[0-9]{13}$")]


EVENT_DATA: dict[str, type[BaseModel]] = {
    BOOK_ADDED: BookOut,
    BOOK_UPDATED: BookOut,
    BOOK_REMOVED: BookRemoved,
    LOAN_OPENED: LoanOut,
    LOAN_CLOSED: LoanOut,
}
"""The `data` of each event type, for the AsyncAPI document."""
