"""JSON shapes of the contract's types, shared by the REST (OpenAPI) and WebSocket (AsyncAPI)
documents. Limits come from services.validation, so the documents and the rules agree.

The service validates every input again: these models describe, the domain decides.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services import validation as v

ISBN_PATTERN = r"^[0-9][0-9 -]{11,15}[0-9]$"
PRICE_PATTERN = r"^[0-9]{1,9}(\.[0-9]{1,2})?$"

Isbn = Annotated[
    str,
    Field(
        pattern=ISBN_PATTERN,
        description="ISBN-13; hyphens and spaces are accepted on input, 13 digits come back",
        examples=["9780132350884"],
    ),
]
Author = Annotated[str, StringConstraints(min_length=1, max_length=v.AUTHOR_MAX)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=v.TAG_MAX)]
Price = Annotated[
    str,
    Field(pattern=PRICE_PATTERN, description="decimal carried as a string", examples=["12.50"]),
]
Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["EUR"])
]


class BookIn(BaseModel):
    """The writable fields of a new book."""

    model_config = ConfigDict(extra="forbid")

    isbn: Isbn
    title: Annotated[str, StringConstraints(min_length=1, max_length=v.TITLE_MAX)]
    authors: Annotated[list[Author], Field(min_length=1, max_length=v.AUTHORS_MAX)]
    published: date
    price: Price
    currency: Currency = v.DEFAULT_CURRENCY
    tags: Annotated[list[Tag], Field(max_length=v.TAGS_MAX)] = []
    copies: Annotated[int, Field(ge=0, le=v.COPIES_MAX)]


class BookChanges(BaseModel):
    """Any subset of the updatable fields; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1, max_length=v.TITLE_MAX)] | None = None
    authors: Annotated[list[Author], Field(min_length=1, max_length=v.AUTHORS_MAX)] | None = None
    published: date | None = None
    price: Price | None = None
    currency: Currency | None = None
    tags: Annotated[list[Tag], Field(max_length=v.TAGS_MAX)] | None = None
    copies: Annotated[int, Field(ge=0, le=v.COPIES_MAX)] | None = None


class BookOut(BaseModel):
    """A book as every protocol returns it."""

    isbn: Annotated[str, Field(pattern=r"^[0-9]{13}$", examples=["9780132350884"])]
    title: str
    authors: list[str]
    published: date
    price: Price
    currency: Currency
    tags: list[str]
    copies: int
    available: Annotated[int, Field(description="copies minus open loans")]
    version: Annotated[int, Field(ge=1, description="+1 on every change; the ETag in REST")]
    updated_at: datetime


class BorrowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    isbn: Isbn
    member: Annotated[str, StringConstraints(min_length=1, max_length=v.MEMBER_MAX)]


class LoanOut(BaseModel):
    id: Annotated[str, Field(description="opaque identifier")]
    isbn: Annotated[str, Field(pattern=r"^[0-9]{13}$")]
    member: str
    borrowed_at: datetime
    due: Annotated[date, Field(description="borrowed_at + 21 days")]
    returned_at: datetime | None = None


class BookPageOut(BaseModel):
    items: list[BookOut]
    total: int
    limit: int
    offset: int
