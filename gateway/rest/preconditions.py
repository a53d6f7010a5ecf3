"""Entity tags and the conditional headers that use them (RFC 9110, section 13).

A book's ETag is its version, per representation: `"3"` for JSON, `"3-xml"` for XML, `"3-html"`
and `"3-text"`, since they are different bytes of the same state and a strong validator must
tell them apart. If-Match accepts any of them, as all name the same version. Other resources
(loans, lists) have no version, so their ETag is a hash of the body.
"""

from __future__ import annotations

import hashlib
import re

from gateway.rest.formats import Format
from services.errors import FieldError, InvalidInput, VersionMismatch
from services.service import LibraryService

_SUFFIXES = "|".join(re.escape(fmt.etag_suffix) for fmt in Format if fmt.etag_suffix)

# One entity tag of a list: optional weakness prefix, then a quoted opaque tag.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')
_VERSION_TAG = re.compile(rf"([1-9][0-9]{{0,18}})(?:{_SUFFIXES})?")


def version_etag(version: int, fmt: Format) -> str:
    return f'"{version}{fmt.etag_suffix}"'


def body_etag(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def entity_tags(header: str) -> list[tuple[bool, str]] | None:
    """(weak, opaque tag) for each tag of a list, or None if the header is not such a list."""
    tags: list[tuple[bool, str]] = []
    position = 0
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        position = match.end()
    return tags or None


def if_none_match_hits(header: str | None, etag: str) -> bool:
    """Weak comparison, as If-None-Match wants: `W/"3"` matches `"3"`."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    tags = entity_tags(header)
    current = etag.strip('"')
    return tags is not None and any(tag == current for _, tag in tags)


def if_match_versions(header: str | None) -> frozenset[int] | None:
    """The book versions an If-Match header allows; None when any version will do.

    Strong comparison, as If-Match wants: weak tags never match, so they add no version.
    A header that is not an entity-tag list at all is refused as invalid input.
    """
    if header is None or header.strip() == "*":
        return None
    tags = entity_tags(header)
    if tags is None:
        raise InvalidInput(
            "If-Match must be * or a list of entity tags",
            [FieldError("If-Match", f'{header!r} is not an entity tag such as "3"')],
        )
    versions = set()
    for weak, tag in tags:
        match = _VERSION_TAG.fullmatch(tag)
        if not weak and match is not None:
            versions.add(int(match.group(1)))
    return frozenset(versions)


async def expected_version(service: LibraryService, isbn: str, if_match: str | None) -> int | None:
    """The version a change must find, from If-Match; None to change any version.

    With one tag, storage compares it atomically. With several, the current version is read
    and checked here, and storage then compares that one atomically, so a change racing in
    between is caught all the same.
    """
    versions = if_match_versions(if_match)
    if versions is None:
        return None
    if len(versions) == 1:
        return next(iter(versions))
    current = await service.get_book(isbn)
    if current.version not in versions:
        raise VersionMismatch(
            f"book {current.isbn} is at version {current.version}, which If-Match does not name",
            isbn=current.isbn,
            current_version=current.version,
        )
    return current.version
