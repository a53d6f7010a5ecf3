"""Pydantic models that describe the REST representations in the OpenAPI document.

The adapter never validates or serialises through them (the service validates; responses are
built from services.models' dicts), so they exist only so the document is complete.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.json_models import BookOut, LoanOut
from services.errors import ERROR_KINDS


class Link(BaseModel):
    href: Annotated[str, Field(examples=["/rest/books/9780132350884"])]


class BookLinks(BaseModel):
    self_: Annotated[Link, Field(alias="self")]
    collection: Link
    loans: Annotated[Link, Field(description="the loans of this book: /rest/loans?isbn=...")]


class BookResource(BookOut):
    """A book with its links (HAL-style `_links`)."""

    links: Annotated[BookLinks, Field(alias="_links")]


class LoanLinks(BaseModel):
    self_: Annotated[Link, Field(alias="self")]
    collection: Link
    book: Link
    return_: Annotated[
        Link | None,
        Field(
            alias="return",
            description='present while the loan is open: PATCH it with {"returned": true}',
        ),
    ] = None


class LoanResource(LoanOut):
    """A loan with its links (HAL-style `_links`)."""

    links: Annotated[LoanLinks, Field(alias="_links")]


class PageLinks(BaseModel):
    self_: Annotated[Link, Field(alias="self")]
    first: Link
    last: Link
    prev: Annotated[Link | None, Field(description="absent on the first page")] = None
    next: Annotated[Link | None, Field(description="absent on the last page")] = None


class BookPage(BaseModel):
    """One page of the books that match the query, in title order."""

    items: list[BookResource]
    total: Annotated[int, Field(description="books matching the query, on every page")]
    limit: int
    offset: int
    links: Annotated[PageLinks, Field(alias="_links")]


class CollectionLinks(BaseModel):
    self_: Annotated[Link, Field(alias="self")]


class LoanCollection(BaseModel):
    """Every loan that matches the filters, oldest first."""

    items: list[LoanResource]
    links: Annotated[CollectionLinks, Field(alias="_links")]


class LoanReturn(BaseModel):
    """The one change a loan accepts: marking it returned."""

    model_config = ConfigDict(extra="forbid")

    returned: Literal[True]


class FieldProblem(BaseModel):
    field: Annotated[
        str, Field(description="the field, `authors.2` for a list entry", examples=["price"])
    ]
    message: str


class Problem(BaseModel):
    """An error as RFC 9457 problem details, with the domain error `kind` every protocol names."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[str, Field(examples=["urn:rosetta:problem:not_found"])]
    title: Annotated[str, Field(examples=["Not found"])]
    status: Annotated[int, Field(examples=[404])]
    detail: Annotated[str, Field(examples=["no book with isbn 9780132350884"])]
    instance: Annotated[
        str,
        Field(description="the request path", examples=["/rest/books/9780132350884"]),
    ]
    kind: Annotated[
        str,
        Field(
            description="the domain error kind, the same in REST, SOAP and JSON-RPC",
            json_schema_extra={"enum": list(ERROR_KINDS)},
        ),
    ]
    errors: Annotated[
        list[FieldProblem] | None,
        Field(description="every broken rule, for kind invalid_input"),
    ] = None


class EntryPointLinks(BaseModel):
    self_: Annotated[Link, Field(alias="self")]
    books: Link
    loans: Link
    docs: Annotated[Link, Field(description="the interactive documentation")]
    openapi: Annotated[Link, Field(description="this document")]
    wsdl: Annotated[Link, Field(description="the SOAP contract")]
    asyncapi: Annotated[Link, Field(description="the WebSocket contract")]
    demo: Annotated[Link, Field(description="the console that runs one call in all three")]
    home: Annotated[Link, Field(description="the gateway's landing page")]


class EntryPoint(BaseModel):
    """Where a client starts: what this is, and a link to everything."""

    service: str
    links: Annotated[EntryPointLinks, Field(alias="_links")]
