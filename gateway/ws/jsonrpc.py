"""JSON-RPC 2.0 without a transport: decoding messages, checking requests, shaping answers.

The WebSocket adapter feeds text in and sends back what comes out; nothing here knows about
sockets, the catalogue or metrics. Domain errors are mapped to error objects by one table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from services.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    NotFound,
    ResyncRequired,
    VersionMismatch,
    by_kind,
)

VERSION = "2.0"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# The domain's codes sit in the range JSON-RPC leaves to servers (-32000..-32099), each one
# echoing the HTTP status of the same error so that the three protocols read alike
# (resync_required, which only events have, echoes 410 Gone: the position is gone).
CODE_BY_KIND: dict[str, int] = by_kind(
    {
        InvalidInput.kind: INVALID_PARAMS,
        NotFound.kind: -32004,
        Conflict.kind: -32009,
        VersionMismatch.kind: -32012,
        NotAllowed.kind: -32003,
        ResyncRequired.kind: -32010,
        DomainError.kind: INTERNAL_ERROR,
    }
)

# What a request that is not a domain call breaks is still the contract's input rules,
# so protocol-level errors name the same kind as a bad parameter.
PROTOCOL_ERROR_KIND = InvalidInput.kind

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_MEMBERS = frozenset({"jsonrpc", "method", "params", "id"})

Id = str | int | float | None


class RpcError(Exception):
    """An answer of the `error` kind: a code, a message, and data that always names the kind."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data: dict[str, Any] = {"kind": PROTOCOL_ERROR_KIND, **(data or {})}

    @property
    def kind(self) -> str:
        return str(self.data["kind"])

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    params: dict[str, Any] | list[Any] | None
    id: Id
    is_notification: bool


def decode(text: str) -> Any:
    """The JSON value of a message, or a parse error (NaN and Infinity are not JSON)."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise RpcError(PARSE_ERROR, f"parse error: {error}") from None
    except RecursionError:
        raise RpcError(PARSE_ERROR, "parse error: the JSON is nested too deeply") from None
    # An escaped lone surrogate (\ud800) parses, but no answer that echoes it can be sent.
    if _SURROGATE_ESCAPE.search(text) and not _is_unicode(value):
        raise RpcError(
            PARSE_ERROR, "parse error: a string holds a lone surrogate (\\ud800-\\udfff)"
        )
    return value


def _is_unicode(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def request_of(entry: object) -> Request:
    """A well-formed Request object, or an Invalid Request error listing what is wrong."""
    if not isinstance(entry, dict):
        raise RpcError(INVALID_REQUEST, "invalid request: a request must be a JSON object")
    problems = []
    if entry.get("jsonrpc") != VERSION:
        problems.append('"jsonrpc" must be "2.0"')
    if not isinstance(entry.get("method"), str):
        problems.append('"method" must be a string')
    if "id" in entry and not _is_id(entry["id"]):
        problems.append('"id" must be a string, a number or null')
    if "params" in entry and not isinstance(entry["params"], dict | list):
        problems.append('"params" must be an object or an array')
    # A misspelt member ("param") would otherwise be ignored and the call run without it.
    unknown = sorted(set(entry) - _MEMBERS)
    if unknown:
        problems.append(f"unknown members {unknown}")
    if problems:
        raise RpcError(INVALID_REQUEST, "invalid request: " + "; ".join(problems))
    return Request(
        method=entry["method"],
        params=entry.get("params"),
        id=entry.get("id"),
        is_notification="id" not in entry,
    )


def reply_id(entry: object) -> Id:
    """The id to answer an invalid request with: its own when readable, else null."""
    if isinstance(entry, dict) and _is_id(entry.get("id")):
        ident: Id = entry.get("id")
        return ident
    return None


def _is_id(value: object) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def method_not_found(method: str) -> RpcError:
    return RpcError(METHOD_NOT_FOUND, f"method not found: {method!r}", {"method": method})


def domain_error(error: DomainError) -> RpcError:
    """The error object of a domain error: its code by kind, its details and field errors."""
    data: dict[str, Any] = {**error.details, "kind": error.kind}
    if isinstance(error, InvalidInput):
        data["errors"] = [e.as_dict() for e in error.errors]
    return RpcError(CODE_BY_KIND[error.kind], error.message, data)


def internal_error() -> RpcError:
    # The cause goes to the log, never to the client: no stack trace, no internals.
    return RpcError(
        INTERNAL_ERROR,
        "internal error: the server failed to answer this call",
        {"kind": DomainError.kind},
    )


def success(ident: Id, result: Any) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "result": result, "id": ident}


def failure(ident: Id, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "error": error.as_dict(), "id": ident}


def notification(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": VERSION, "method": method, "params": params}


def encode(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
