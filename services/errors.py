"""Every error the domain raises. Adapters map each `kind` to their protocol's idiom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

RETRY_AFTER_SECONDS = 2
"""How long a caller is told to wait before retrying a call the database was down for."""
UNAVAILABLE_MESSAGE = "the database is unavailable; retry later"


class DomainError(Exception):
    """Base of every error the catalogue raises on purpose."""

    kind: ClassVar[str] = "server_fault"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """The input breaks a rule of the contract (format, range, length)."""

    kind = "invalid_input"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class NotFound(DomainError):
    """No book or loan has that identifier."""

    kind = "not_found"


class Conflict(DomainError):
    """The change clashes with the current state (duplicate, no copy free, open loans...)."""

    kind = "conflict"


class VersionMismatch(DomainError):
    """The caller's expected version is not the current one."""

    kind = "version_mismatch"


class NotAllowed(DomainError):
    """The caller may not make this change."""

    kind = "not_allowed"


class Unavailable(DomainError):
    """The database cannot be reached or did not answer in time; the same call may succeed
    later, so it is not the caller's fault and not a bug."""

    kind = "unavailable"

    def __init__(self, message: str = UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message, retry_after=RETRY_AFTER_SECONDS)


class ResyncRequired(DomainError):
    """An event subscriber asked to resume from a position the stream no longer holds: pruned
    past retention, ahead of the stream, or on another epoch (a database created anew)."""

    kind = "resync_required"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule, located by field name (with an index for list entries: `authors.2`)."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


ERROR_KINDS: tuple[str, ...] = (
    InvalidInput.kind,
    NotFound.kind,
    Conflict.kind,
    VersionMismatch.kind,
    NotAllowed.kind,
    ResyncRequired.kind,
    Unavailable.kind,
    DomainError.kind,
)
"""Every machine-readable kind, `server_fault` last: what each protocol's error names."""


def by_kind(mapping: Mapping[str, T]) -> dict[str, T]:
    """A protocol's table of the kinds, in ERROR_KINDS order; it must name every kind and no
    other, so that a kind added here cannot be forgotten by an adapter (it fails at import)."""
    missing = [kind for kind in ERROR_KINDS if kind not in mapping]
    unknown = [kind for kind in mapping if kind not in ERROR_KINDS]
    if missing or unknown:
        raise TypeError(f"a table of error kinds lacks {missing} and has unknown {unknown}")
    return {kind: mapping[kind] for kind in ERROR_KINDS}
