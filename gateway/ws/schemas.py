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
EPOCH_MAX = 64
Epoch = Annotated[
    str,
    StringConstraints(min_length=1, max_length=EPOCH_MAX),
    Field(
        description="the event stream's identity: drawn when the database was created, the "
        "same on every instance sharing it. Seqs of another epoch mean nothing here."
    ),
]
Seq = Annotated[int, Field(ge=0, description="an event's seq")]


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
    after: Annotated[
        Seq | None,
        Field(
            description="resume: the last seq this client was given (an event's, a position's, "
            "or the seq a subscribe answered). The stored events after it that match are "
            "replayed in order, then live ones follow, each once. Only in a connection's "
            "first subscribe. A seq the server no longer holds, or past its head, is "
            "resync_required."
        ),
    ] = None
    epoch: Annotated[
        Epoch | None,
        Field(description="the epoch the client saw `after` on; another epoch is resync_required"),
    ] = None


class UnsubscribeParams(_Params):
    events: Annotated[
        list[EventPattern] | None,
        Field(description="patterns exactly as subscribed; absent or null drops them all"),
    ] = None


Subscription = Annotated[
    list[str], Field(title="Subscription", description="every pattern now subscribed, sorted")
]


class Subscribed(BaseModel):
    """The subscription, and where the stream stands: resume later from `seq` on `epoch`."""

    events: Subscription
    epoch: Epoch
    seq: Annotated[
        int,
        Field(
            ge=0,
            description="the stream's head when subscribed: without `after`, the events that "
            "follow are those after it; with `after`, those up to it are replayed first",
        ),
    ]


class PositionParams(BaseModel):
    """What a `position` notification carries."""

    seq: Annotated[
        int,
        Field(
            ge=0,
            description="every event this connection subscribed to, up to this seq, has been "
            "sent: resume with it as `after`",
        ),
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
