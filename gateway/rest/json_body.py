"""The JSON object a change request carries, read from its bytes by any web framework.

The FastAPI adapter streams the body in under its limits (gateway/rest/requests.py); the
Flask, Django and Tornado versions of the contract (frameworks/) get it from their framework.
Either way the same rules and the same error messages apply from here on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

from gateway.rest.refusals import UnsupportedMediaType
from services.errors import FieldError, InvalidInput

JSON_MEDIA_TYPES = "application/json"
MERGE_PATCH_MEDIA_TYPES = "application/merge-patch+json, application/json"


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def require_json(content_type: str | None, method: str) -> None:
    """Raises 415 unless the body is declared as JSON, naming what would have been accepted."""
    if content_type is None or not is_json(content_type):
        raise UnsupportedMediaType(
            f"the request body must be JSON, not {content_type or 'undeclared'}",
            headers=accepted_here(method),
        )


def decode_object(body: bytes) -> dict[str, object]:
    """The body as a JSON object, or invalid input saying why it is not one."""
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


def reject_unknown(fields: Mapping[str, object], allowed: tuple[str, ...], what: str) -> None:
    """Fields the operation has no use for are refused, not silently dropped."""
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown fields in the {what}: {', '.join(unknown)}",
            [FieldError(name, f"is not a field of the {what}") for name in unknown],
        )


def returned_flag(fields: Mapping[str, object]) -> None:
    """The only change a loan takes is its return: `{"returned": true}`."""
    reject_unknown(fields, ("returned",), "loan change")
    if fields.get("returned") is not True:
        raise InvalidInput(
            'the only change a loan takes is {"returned": true}',
            [FieldError("returned", "must be true: a loan can be returned, never reopened")],
        )


def accepted_here(method: str) -> dict[str, str]:
    # RFC 5789 and the Accept-Post registration: say what a 415 would have accepted.
    if method == "PATCH":
        return {"Accept-Patch": MERGE_PATCH_MEDIA_TYPES}
    return {"Accept-Post": JSON_MEDIA_TYPES}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "a number"
