"""What a REST error says, without any web framework: its status, headers and RFC 9457 body.

The FastAPI adapter (gateway/rest/problems.py) and the Flask, Django and Tornado versions of
the REST contract (frameworks/) all answer errors from this one table, each in its own idiom.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotFound,
    ResyncRequired,
    Unavailable,
    VersionMismatch,
    by_kind,
)

PROBLEM_TYPE_PREFIX = "urn:rosetta:problem:"
PROBLEM_JSON = "application/problem+json"
PROBLEM_XML = "application/problem+xml"
SERVER_FAULT_DETAIL = "the server failed to answer this request; the fault has been logged"
WWW_AUTHENTICATE = 'Bearer realm="rosetta"'

# The one table of domain kinds: status and title. NotAllowed answers 401 instead when the
# credentials are missing, so the client knows to send some rather than other ones. REST has
# no event stream, so it never answers resync_required; the row keeps the table whole.
KINDS: Mapping[str, tuple[int, str]] = by_kind(
    {
        InvalidInput.kind: (422, "Invalid input"),
        NotFound.kind: (404, "Not found"),
        Conflict.kind: (409, "Conflict"),
        VersionMismatch.kind: (412, "Version mismatch"),
        NotAllowed.kind: (403, "Not allowed"),
        ResyncRequired.kind: (410, "Resync required"),
        Unavailable.kind: (503, "Service unavailable"),
        DomainError.kind: (500, "Server fault"),
    }
)
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "kind", "errors"})


@dataclass(frozen=True)
class Problem:
    """One error answer: `name` ends the type URI; `extra` holds members beyond the standard."""

    name: str
    title: str
    status: int
    detail: str
    kind: str
    extra: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self, instance: str) -> dict[str, Any]:
        return {
            "type": PROBLEM_TYPE_PREFIX + self.name,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "kind": self.kind,
            **self.extra,
        }

    @property
    def is_server_fault(self) -> bool:
        """A fault of the server's own, logged with its cause; an outage is logged by storage."""
        return self.kind == DomainError.kind


def server_fault() -> Problem:
    """A 500 that names no cause: the cause goes to the log, never to the client."""
    status, title = KINDS[DomainError.kind]
    return Problem(DomainError.kind, title, status, SERVER_FAULT_DETAIL, DomainError.kind)


def domain_problem(error: DomainError) -> Problem:
    """The problem of a domain error: its kind's status, its details and its field errors."""
    if error.kind not in KINDS or error.kind == DomainError.kind:
        return server_fault()
    status, title = KINDS[error.kind]
    headers = {}
    if isinstance(error, NotAllowed) and error.details.get("credentials") == "missing":
        status = 401
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    if isinstance(error, Unavailable):
        headers["Retry-After"] = str(error.details["retry_after"])
    extra: dict[str, Any] = {
        key: value
        for key, value in error.details.items()
        if key not in _STANDARD_MEMBERS and isinstance(value, str | int | bool)
    }
    if isinstance(error, InvalidInput):
        extra["errors"] = [each.as_dict() for each in error.errors]
    return Problem(error.kind, title, status, error.message, error.kind, extra, headers)


def kind_of_status(status: int) -> str:
    """The nearest domain kind of an HTTP refusal that no domain error caused."""
    if status == 503:
        return Unavailable.kind
    if status >= 500:
        return DomainError.kind
    if status == 404:
        return NotFound.kind
    return NotAllowed.kind if status in (401, 403) else InvalidInput.kind
