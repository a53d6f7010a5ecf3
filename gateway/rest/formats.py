"""The representations every REST resource has: the one list negotiation, ETags, the `format`
query parameter and the OpenAPI document all read.
"""

from __future__ import annotations

from enum import Enum


class Format(Enum):
    """A representation, by the name `?format=` gives it; JSON is the default."""

    JSON = "json"
    XML = "xml"
    HTML = "html"
    TEXT = "text"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def etag_suffix(self) -> str:
        """What tells this representation's ETag from the others' for the same version."""
        return "" if self is Format.JSON else f"-{self.value}"


_MEDIA_TYPES = {
    Format.JSON: "application/json",
    Format.XML: "application/xml",
    Format.HTML: "text/html",
    Format.TEXT: "text/plain",
}

MEDIA_TYPES = tuple(fmt.media_type for fmt in Format)
"""Every media type a resource is served as, in order of preference on a tie."""
