"""The API token check that every adapter applies to changes, each in its own idiom."""

from __future__ import annotations

import hmac

from services.errors import NotAllowed


def require_token(expected: str | None, presented: str | None) -> None:
    """Nothing to do without a configured token; otherwise a missing or wrong one is refused.

    `credentials` in the error tells adapters apart 'missing' (HTTP 401) from 'invalid' (403).
    """
    if expected is None:
        return
    if not presented:
        raise NotAllowed("this change needs the API token", credentials="missing")
    # compare_digest takes the same time wherever the strings differ: no timing oracle.
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAllowed("the API token is not valid", credentials="invalid")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
