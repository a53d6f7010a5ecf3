"""What a request brings: its operation, the API token for a change, and a JSON object body.

The body is read by the gateway's bounded, timed reader (gateway/body.py) and decoded by the
framework-free JSON body rules (gateway/rest/json_body.py). Its fields go to the service as they
came: the service validates them, so every protocol reports the same broken rules.
"""

from __future__ import annotations

from starlette.requests import Request

from gateway.auth import bearer_token, require_token
from gateway.body import BodyRefused, read_body
from gateway.metrics import label_request
from gateway.rest.json_body import decode_object, require_json
from gateway.rest.refusals import refusal_of
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
    try:
        body = await read_body(request.scope, request.receive, settings)
    except BodyRefused as refused:
        raise refusal_of(refused) from None
    return decode_object(body)
