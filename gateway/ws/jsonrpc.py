"""JSON-RPC 2.0 without a transport: decoding messages, checking requests, shaping answers.

The WebSocket adapter feeds text in and sends back what comes out; nothing here knows about
sockets, the catalogue or metrics. Domain errors are mapped to error objects by one table.

JSON goes through orjson, which reads and writes a call's message in a tenth of the stdlib's
time (a get_book answer: 2 us against 25 us; that was a tenth of the gateway's CPU per call).
The stdlib stays the authority wherever the two differ: what orjson refuses (NaN, numbers
beyond a double, lone surrogates, nesting past 1,024 levels), and integers beyond 64 bits,
which orjson reads as floats and will not write, go through the stdlib, so every message
reads and answers as it did before.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import orjson

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

VERSION = "2.0"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# The domain's codes sit in the range JSON-RPC leaves to servers (-32000..-32099), each one
# echoing the HTTP status of the same error so that the three protocols read alike
# (resync_required, which only events have, echoes 410 Gone: the position is gone); 503's
# echo, -32003, is 403's already, so `unavailable` takes -32053.
CODE_BY_KIND: dict[str, int] = by_kind(
    {
        InvalidInput.kind: INVALID_PARAMS,
        NotFound.kind: -32004,
        Conflict.kind: -32009,
        VersionMismatch.kind: -32012,
        NotAllowed.kind: -32003,
        ResyncRequired.kind: -32010,
        Unavailable.kind: -32053,
        DomainError.kind: INTERNAL_ERROR,
    }
)

# What a request that is not a domain call breaks is still the contract's input rules,
# so protocol-level errors name the same kind as a bad parameter.
PROTOCOL_ERROR_KIND = InvalidInput.kind

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_MEMBERS = frozenset({"jsonrpc", "method", "params", "id"})
_FEW_BRACKETS = 200  # a call nests a few levels: anything near the stdlib's limit reads as before

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
    # orjson's reading is kept where the stdlib's would be the same: no float (orjson reads an
    # integer beyond 64 bits as one; real floats are rare in calls, so reading those twice
    # costs nothing that matters), and fewer brackets than could nest past the stdlib's limit.
    if text.count("[") + text.count("{") <= _FEW_BRACKETS:
        try:
            fast = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # the stdlib reads it, or words the error as it always has
        else:
            if not _has_float(fast):
                return fast
    try:
        value = _DECODER.decode(text)
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


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False


def _is_unicode(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# Built once: json.loads and json.dumps with options build a new decoder or encoder per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


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
    if isinstance(value, float):
        return math.isfinite(value)  # 1e400 reads as infinity, which no answer can echo
    return value is None or (isinstance(value, str | int) and not isinstance(value, bool))


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
    try:
        # Answers hold no float the client did not send, and ids are finite (_is_id): orjson's
        # writing NaN as null never comes into play.
        return orjson.dumps(message).decode()
    except TypeError:  # an integer beyond 64 bits, echoed from the call
        return _ENCODER.encode(message)
