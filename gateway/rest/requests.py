"""What a request brings: its operation, the API token for a change, and a JSON body read within
the size limit.

The body is counted while it streams in, so a chunked body without Content-Length is refused
as soon as it passes the limit, never buffered whole. Its fields go to the service as they came:
the service validates them, so every protocol reports the same broken rules.
"""

from __future__ import annotations

import json
from decimal import Decimal

import anyio
from starlette.requests import Request

from gateway.auth import bearer_token, require_token
from gateway.metrics import label_request
from gateway.rest.refusals import ContentTooLarge, RequestTimeout, UnsupportedMediaType
from gateway.settings import Settings
from services.errors import FieldError, InvalidInput
from services.operations import CHANGES

JSON_MEDIA_TYPES = "application/json"
MERGE_PATCH_MEDIA_TYPES = "application/merge-patch+json, application/json"


def admit(request: Request, operation: str, expected_token: str | None) -> None:
    """Names the request's operation for the metrics and, if the contract's table says it
    changes data, raises NotAllowed unless it brings `Authorization: Bearer <the token>`."""
    label_request(request.scope, operation)
    if operation in CHANGES:
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
    max_body, timeout = settings.max_body, settings.body_timeout
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise ContentTooLarge(_too_large(max_body))
    try:
        with anyio.fail_after(timeout):
            body = await _read_within(request, max_body)
    except TimeoutError:
        raise RequestTimeout(
            f"the request body did not arrive within {timeout:g} seconds",
            # The rest of the body may still be on its way: this connection cannot go on.
            headers={"Connection": "close"},
        ) from None
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


async def _read_within(request: Request, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise ContentTooLarge(_too_large(max_body))
        chunks.append(chunk)
    return b"".join(chunks)


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


def _too_large(max_body: int) -> str:
    return f"the request body is larger than the limit of {max_body} bytes"
