"""What a change request brings: the API token, and a JSON object.

The body is read by the gateway's bounded, timed reader (gateway/body.py). Its fields go to the
service as they came: the service validates them, so every protocol reports the same broken rules.
"""

from __future__ import annotations

import json
from decimal import Decimal

from starlette.requests import Request

from gateway.auth import bearer_token, require_token
from gateway.body import BodyRefused, read_body
from gateway.rest.refusals import UnsupportedMediaType, refusal_of
from gateway.settings import Settings
from services.errors import FieldError, InvalidInput

JSON_MEDIA_TYPES = "application/json"
MERGE_PATCH_MEDIA_TYPES = "application/merge-patch+json, application/json"


def authorize(request: Request, expected_token: str | None) -> None:
    """Raises NotAllowed unless the request brings `Authorization: Bearer <the token>`."""
    require_token(expected_token, bearer_token(request.headers.get("authorization")))


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def json_object(request: Request, settings: Settings) -> dict[str, object]:
    """The body as a JSON object; 415, 413 (max_body), 408 (body_timeout) or invalid input."""
    content_type = request.headers.get("content-type")
    if content_type is None or not is_json(content_type):
        raise UnsupportedMediaType(
            f"the request body must be JSON, not {content_type or 'undeclared'}",
            headers=_accepted_here(request),
        )
    try:
        body = await read_body(request.scope, request.receive, settings)
    except BodyRefused as refused:
        raise refusal_of(refused) from None
    try:
        # Decimal keeps a price such as 12.10 exact; the service rejects it where a number is wrong.
        value = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(
            "the request body is not valid JSON",
            [FieldError("body", f"is not valid JSON: {error}")],
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput(
            "the request body must be a JSON object",
            [FieldError("body", f"must be a JSON object, not {_json_type(value)}")],
        )
    return value


def reject_unknown(fields: dict[str, object], allowed: tuple[str, ...], what: str) -> None:
    """Fields the operation has no use for are refused, not silently dropped."""
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown fields in the {what}: {', '.join(unknown)}",
            [FieldError(name, f"is not a field of the {what}") for name in unknown],
        )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "a number"


def _accepted_here(request: Request) -> dict[str, str]:
    # RFC 5789 and the Accept-Post registration: say what a 415 would have accepted.
    if request.method == "PATCH":
        return {"Accept-Patch": MERGE_PATCH_MEDIA_TYPES}
    return {"Accept-Post": JSON_MEDIA_TYPES}
