"""Content negotiation, and the responses that carry a representation in the chosen format.

Every resource comes as JSON, XML, HTML and plain text. JSON is the default (no Accept, `*/*`,
`application/*`, or a tie); another format when the client prefers its media type by q-value,
or names it in the `format` query parameter, which wins over Accept (a browser's link cannot
set headers). Every representation is revalidated cheaply: `Cache-Control: no-cache` with an
ETag per format, and If-None-Match answered with 304.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Query
from pydantic_core import to_json
from starlette.requests import Request
from starlette.responses import Response

from gateway.rest.formats import MEDIA_TYPES, Format
from gateway.rest.html_form import to_html
from gateway.rest.preconditions import body_etag, if_none_match_hits
from gateway.rest.refusals import NotAcceptable
from gateway.rest.text_form import to_text
from gateway.rest.xml_form import (
    BOOK,
    BOOK_PAGE,
    ENTRY_POINT,
    LOAN,
    LOAN_LIST,
    Shape,
    shaped_xml,
)

CACHE_CONTROL = "no-cache"

__all__ = [
    "BOOK",
    "BOOK_PAGE",
    "ENTRY_POINT",
    "LOAN",
    "LOAN_LIST",
    "Format",
    "negotiate",
    "render",
    "reply",
    "represent",
]

FormatOverride = Annotated[
    Format | None,
    Query(
        alias="format",
        description="The representation, whatever Accept says: for browsers and links. "
        "Without it, Accept chooses (JSON by default).",
    ),
]
"""The `format` query parameter, declared here once: every GET takes it as
`format_override: FormatOverride = None`, so it is a known parameter of each."""


def _offer(fmt: Format) -> tuple[str, str, Format]:
    main, _, sub = fmt.media_type.partition("/")
    return main, sub, fmt


_OFFERS = tuple(_offer(fmt) for fmt in Format)


def negotiate(request: Request, override: Format | None = None) -> Format:
    """The format of the response, or NotAcceptable before any work is done."""
    if override is not None:
        return override
    accept = request.headers.get("accept")
    if not accept:
        return Format.JSON
    chosen = preferred_format(accept)
    if chosen is None:
        raise NotAcceptable(
            f"the Accept header {accept!r} allows none of {', '.join(MEDIA_TYPES)}, "
            "the formats of every resource here",
            headers={"Vary": "Accept"},
        )
    return chosen


@lru_cache(maxsize=256)
def preferred_format(accept: str) -> Format | None:
    """The best offer for an Accept header (JSON on a tie), None if none is acceptable."""
    ranges = list(_media_ranges(accept))
    if not ranges:
        # An Accept header with no usable media range is as good as none.
        return Format.JSON
    best, best_quality = None, 0.0
    for main, sub, offer in _OFFERS:
        quality = _quality(ranges, main, sub)
        if quality > best_quality:
            best, best_quality = offer, quality
    return best


def _media_ranges(accept: str) -> Iterator[tuple[str, str, float]]:
    for part in accept.split(","):
        media, *parameters = part.split(";")
        main, slash, sub = media.strip().lower().partition("/")
        if not slash or not main or not sub:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = -1.0
        if quality >= 0:
            yield main, sub.strip(), quality


def _quality(ranges: list[tuple[str, str, float]], main: str, sub: str) -> float:
    """The q of the most specific range that matches `main/sub` (RFC 9110, 12.5.1)."""
    best_specificity, quality = -1, 0.0
    for range_main, range_sub, range_quality in ranges:
        if range_main == main and range_sub == sub:
            specificity = 2
        elif range_main == main and range_sub == "*":
            specificity = 1
        elif range_main == "*" and range_sub == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, quality = specificity, range_quality
    return quality


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON, as json.dumps(ensure_ascii=False) writes it, but from pydantic's
    Rust serialiser: about five times faster, which matters on the get_book path."""
    return to_json(data)


def render(fmt: Format, data: Mapping[str, Any], shape: Shape) -> bytes:
    if fmt is Format.JSON:
        return json_bytes(data)
    if fmt is Format.HTML:
        return to_html(shape.heading(data), data)
    if fmt is Format.TEXT:
        return to_text(shape.heading(data), data)
    return shaped_xml(shape, data)


def reply(
    request: Request,
    fmt: Format,
    data: Mapping[str, Any],
    shape: Shape,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The representation, validated by a hash of its bytes; 304 when If-None-Match has it."""
    body = render(fmt, data, shape)
    return represent(request, fmt, body_etag(body), lambda: body, status=status, headers=headers)


def represent(
    request: Request,
    fmt: Format,
    etag: str,
    body: Callable[[], bytes],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A representation with its validator; 304 when a GET's If-None-Match already has it.

    `body` is called only when the bytes are sent: with an ETag known before rendering (a
    book's version), a 304 costs no serialisation.
    """
    common = {"Vary": "Accept", "Cache-Control": CACHE_CONTROL, **(headers or {}), "ETag": etag}
    if request.method == "GET" and if_none_match_hits(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=common)
    return Response(body(), status, headers=common, media_type=fmt.media_type)
