"""What a request brings: its operation, the API token for a change, and a JSON body read within
the size limit.

The body is counted while it streams in, so a chunked body without Content-Length is refused
as soon as it passes the limit, never buffered whole. Its fields go to the service as they came:
the service validates them, so every protocol reports the same broken rules.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request

from gateway.auth import bearer_token, require_token
from gateway.metrics import label_request
from gateway.rest.json_body import decode_object, require_json
from gateway.rest.refusals import ContentTooLarge, RequestTimeout
from gateway.settings import Settings
from services.operations import CHANGES


def admit(request: Request, operation: str, expected_token: str | None) -> None:
    """Names the request's operation for the metrics and, if the contract's table says it
    changes data, raises NotAllowed unless it brings `Authorization: Bearer <the token>`."""
    label_request(request.scope, operation)
    if operation in CHANGES:
        require_token(expected_token, bearer_token(request.headers.get("authorization")))


async def json_object(request: Request, settings: Settings) -> dict[str, object]:
    """The body as a JSON object; 415, 413 (max_body), 408 (body_timeout) or invalid input."""
    require_json(request.headers.get("content-type"), request.method)
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
    return decode_object(body)


async def _read_within(request: Request, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise ContentTooLarge(_too_large(max_body))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_body: int) -> str:
    return f"the request body is larger than the limit of {max_body} bytes"
