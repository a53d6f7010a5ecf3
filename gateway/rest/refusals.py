"""Refusals of the REST adapter itself: the request cannot be taken as sent, whatever the domain
would say. Each is a 4xx problem whose `kind` is invalid_input, the nearest domain kind, so a
protocol-neutral client still has one of the six kinds to go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from gateway.body import BodyRefused, BodyTooLarge, BodyTooSlow
from services.errors import InvalidInput


class RestProblem(Exception):
    """Base of the HTTP-level refusals; `name` ends the problem type URI."""

    status: ClassVar[int]
    name: ClassVar[str]
    title: ClassVar[str]
    kind: ClassVar[str] = InvalidInput.kind

    def __init__(self, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})


class NotAcceptable(RestProblem):
    """The Accept header rules out both JSON and XML."""

    status = 406
    name = "not_acceptable"
    title = "Not acceptable"


class UnsupportedMediaType(RestProblem):
    """The request body is not declared as JSON."""

    status = 415
    name = "unsupported_media_type"
    title = "Unsupported media type"


class ContentTooLarge(RestProblem):
    """The request body is larger than the gateway's max_body setting."""

    status = BodyTooLarge.status
    name = "content_too_large"
    title = "Content too large"


class RequestTimeout(RestProblem):
    """The request body did not arrive whole within the gateway's body_timeout setting."""

    status = BodyTooSlow.status
    name = "request_timeout"
    title = "Request timeout"


def refusal_of(refused: BodyRefused) -> RestProblem:
    """The problem that answers a body the gateway's reader refused."""
    problem = ContentTooLarge if isinstance(refused, BodyTooLarge) else RequestTimeout
    return problem(str(refused), headers=dict(refused.headers))
