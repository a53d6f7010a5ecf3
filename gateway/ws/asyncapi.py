"""The AsyncAPI 3.0.0 document of /ws, generated from the method table and the event types.

Nothing here is written per method: a method added to the table appears in the document with
its params, result and errors, so the document cannot drift from what the server runs.
"""

from __future__ import annotations

import functools
from importlib.metadata import version
from typing import Any

from pydantic import TypeAdapter

from gateway.ws import jsonrpc
from gateway.ws.close_codes import CLOSE_INTERNAL_ERROR, CLOSE_TOO_BIG, CLOSE_TOO_SLOW
from gateway.ws.methods import METHODS, Method
from gateway.ws.notification_cache import EVENT_METHOD, POSITION_METHOD
from gateway.ws.schemas import EVENT_DATA, PositionParams
from gateway.ws.transport import CLOSE_GOING_AWAY, CLOSE_INVALID_DATA, CLOSE_PROTOCOL_ERROR
from services.errors import ERROR_KINDS
from services.events import EVENT_TYPES
from services.operations import CHANGES, OPERATIONS

SCHEMAS = "#/components/schemas/"
CHANNEL = "rpc"
CHANNEL_REF = {"$ref": f"#/channels/{CHANNEL}"}
ERROR_MESSAGE = "error"
BATCH_MESSAGE = "batch"
BATCH_REPLY_MESSAGE = "batch.reply"
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <token>` on the handshake (non-browser clients).",
    },
    "queryToken": {
        "type": "httpApiKey",
        "in": "query",
        "name": "token",
        "description": "`/ws?token=<token>`; proxies may log URLs, so prefer another way.",
    },
    "subprotocolToken": {
        "type": "httpApiKey",
        "in": "header",
        "name": "Sec-WebSocket-Protocol",
        "description": "Offer the subprotocols `bearer, <token>`; the server selects `bearer`.",
    },
}
DESCRIPTION = """\
One library catalogue (books and loans), the same service that /rest and /soap serve.

* JSON-RPC 2.0 in text frames. The method name is the contract's operation name and params
  are an object with the inputs by name. A request without `id` is a notification: it runs
  but is never answered, even when it fails. A batch (array) is answered by one array holding
  the answers to its requests, in order; a batch of notifications only gets no answer.
* Calls on one connection run one at a time, in the order they arrive.
* Errors: -32700 parse error, -32600 invalid request (also for a binary frame), -32601
  method not found, -32602 invalid params (also the domain's invalid input, with
  `data.errors` [{{field, message}}]), -32603 internal error, and the domain's -32004 not
  found, -32009 conflict, -32012 version mismatch, -32003 not allowed (`data.credentials`
  "missing" or "invalid"), -32010 resync required (below). `data.kind` always names the
  error kind, as REST's problem+json `kind` and SOAP's `<kind>` do. The connection stays
  open after any error.
* A batch holds at most {max_batch} requests: a longer one (or an empty one) is answered by
  one -32600 error, and none of its requests run.
* Events: `subscribe` with glob patterns over the event types ({event_types}); each pattern
  must match at least one type, and it adds to the patterns the connection holds (the result
  lists them all). `unsubscribe` drops patterns exactly as subscribed, or all of them without
  `events`; once it is answered, no event of a dropped pattern follows. Events arrive as
  notifications of method `event`, each once, in `seq` order, whichever protocol made the
  change; there is no order between a call's answer and the event its change causes.
* Resuming: `subscribe` answers the stream's `epoch` and its head `seq`. A client that
  reconnects gives, in the new connection's first `subscribe`, `after` (the last seq it was
  given) and `epoch`: the stored events after `after` that match its patterns are replayed
  in order, then live ones follow, with no gap and no repeat. The server keeps the newest
  {retention} events. A position it no longer holds (pruned), one past its head, or
  another epoch (a database created anew) is the error -32010, kind `resync_required`,
  whose `data` carries the current `epoch`, head `seq` and `pruned_through`: re-read what
  you need, then subscribe without `after`.
* Positions: when events the patterns filter out have moved the stream on, a subscriber is
  told now and then (every {position_interval:g} s at most) by a `position` notification
  whose `seq` is the stream's head: every event it wants up to there was sent, so that seq
  is where it resumes from.
* The server closes a connection with one of these codes:
{close_codes}
* {auth}
"""
CLOSE_CODES: dict[int, str] = {
    CLOSE_GOING_AWAY: "going away: the server is shutting down; the call being answered "
    "gets its answer first",
    CLOSE_TOO_SLOW: "policy violation: events were not read fast enough, so the bounded queue "
    "of pending events filled up; it comes once the events queued are sent. Reconnect and "
    "subscribe with `after`, the last seq received: nothing is lost. Also sent when "
    "retention pruned events a resuming subscriber had not yet been sent",
    CLOSE_TOO_BIG: "message too big: a message over {max_body} bytes",
    CLOSE_INTERNAL_ERROR: "internal error: pushing or replaying events failed, or a "
    "keepalive ping went unanswered",
    CLOSE_INVALID_DATA: "invalid data: a text frame that is not UTF-8",
    CLOSE_PROTOCOL_ERROR: "protocol error: a frame that breaks RFC 6455",
}
"""Every code the server closes with: its own (close_codes, transport) and its WebSocket
library's (keepalive, frames). Ordinary closes answer the client's own code."""

AUTH_REQUIRED = (
    f"{', '.join(name for name in OPERATIONS if name in CHANGES)} need the API token, given "
    "at the handshake; reads are public and any connection is accepted."
)
AUTH_OPEN = "This server has no API token: every method is open."


def asyncapi_document(
    host: str,
    secure: bool,
    token_required: bool,
    max_body: int,
    max_batch: int,
    retention: int,
    position_interval: float,
) -> dict[str, Any]:
    server = {
        "host": host,
        "protocol": "wss" if secure else "ws",
        "description": "The gateway that also serves /rest and /soap.",
    }
    document = _document(token_required, max_body, max_batch, retention, position_interval)
    return {**document, "servers": {"rosetta": server}}


@functools.cache
def _document(
    token_required: bool,
    max_body: int,
    max_batch: int,
    retention: int,
    position_interval: float,
) -> dict[str, Any]:
    schemas, described = _pydantic_schemas()
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for method in METHODS.values():
        request, result = _message_names(method)
        schemas[_schema_name(method.name, "Request")] = _request_schema(method, described)
        schemas[_schema_name(method.name, "Result")] = _result_schema(method, described)
        messages[request] = _message(request, method.summary, method.name, "Request")
        messages[result] = _message(result, f"The result of {method.name}.", method.name, "Result")
        operations[method.name] = _operation(method, token_required)
    for event_type in EVENT_TYPES:
        name = _event_schema_name(event_type)
        schemas[name] = _event_schema(event_type, described[("event", event_type)])
        messages[f"event.{event_type}"] = {
            "name": f"event.{event_type}",
            "title": f"{event_type} event",
            "summary": f"Pushed to subscribers whose patterns match {event_type}.",
            "payload": {"$ref": SCHEMAS + name},
        }
    schemas["PositionNotification"] = _notification_schema(
        POSITION_METHOD, described[("notification", POSITION_METHOD)]
    )
    messages[POSITION_METHOD] = {
        "name": POSITION_METHOD,
        "title": "position",
        "summary": "The stream's head, sent now and then when the patterns filtered out the "
        "latest events: resume from its seq.",
        "payload": {"$ref": SCHEMAS + "PositionNotification"},
    }
    schemas.update(_envelope_schemas())
    messages[ERROR_MESSAGE] = _message(
        ERROR_MESSAGE, "The answer to a request that failed.", "JsonRpc", "Error"
    )
    messages[BATCH_MESSAGE] = _message(
        BATCH_MESSAGE, "Several requests in one frame.", "JsonRpc", "Batch"
    )
    messages[BATCH_REPLY_MESSAGE] = _message(
        BATCH_REPLY_MESSAGE, "The answers to a batch's requests.", "JsonRpc", "BatchReply"
    )
    operations["event"] = {
        "action": "send",
        "channel": CHANNEL_REF,
        "title": "event",
        "summary": "Change events, pushed to connections that subscribed to their type.",
        "messages": [_channel_message(f"event.{t}") for t in EVENT_TYPES],
    }
    operations[POSITION_METHOD] = {
        "action": "send",
        "channel": CHANNEL_REF,
        "title": POSITION_METHOD,
        "summary": "Where a subscriber stands, when no event of its patterns has told it.",
        "messages": [_channel_message(POSITION_METHOD)],
    }
    operations["batch"] = {
        "action": "receive",
        "channel": CHANNEL_REF,
        "title": "batch",
        "summary": "Runs a batch's requests in order and answers them in one array.",
        "messages": [_channel_message(BATCH_MESSAGE)],
        "reply": {"channel": CHANNEL_REF, "messages": [_channel_message(BATCH_REPLY_MESSAGE)]},
    }
    auth = AUTH_REQUIRED if token_required else AUTH_OPEN
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rosetta library catalogue: WebSocket JSON-RPC 2.0",
            "version": version("rosetta"),
            "description": DESCRIPTION.format(
                max_batch=max_batch,
                retention=f"{retention:,}",
                position_interval=position_interval,
                event_types=", ".join(EVENT_TYPES),
                close_codes=_close_codes(max_body),
                auth=auth,
            ),
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": "/ws",
                "title": "JSON-RPC 2.0 over WebSocket",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
                "bindings": {"ws": _ws_binding()},
            }
        },
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _close_codes(max_body: int) -> str:
    return "\n".join(
        f"  * {code} {meaning.format(max_body=max_body)}." for code, meaning in CLOSE_CODES.items()
    )


def _pydantic_schemas() -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """JSON schemas of params, results and event data, with shared models under components."""
    inputs: list[tuple[tuple[str, str], Any, TypeAdapter[Any]]] = []
    for m in METHODS.values():
        inputs.append((("params", m.name), "validation", TypeAdapter(m.params)))
        inputs.append((("result", m.name), "serialization", TypeAdapter(m.result)))
    for event_type in EVENT_TYPES:
        data = TypeAdapter(EVENT_DATA[event_type])
        inputs.append((("event", event_type), "serialization", data))
    position = TypeAdapter(PositionParams)
    inputs.append((("notification", POSITION_METHOD), "serialization", position))
    by_key, definitions = TypeAdapter.json_schemas(inputs, ref_template=SCHEMAS + "{model}")
    described = {key: schema for (key, _mode), schema in by_key.items()}
    return dict(definitions.get("$defs", {})), described


def _request_schema(method: Method, described: dict[tuple[str, str], Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["jsonrpc", "method", *(["params"] if method.required else [])],
        "additionalProperties": False,
        "properties": {
            "jsonrpc": {"const": jsonrpc.VERSION},
            "method": {"const": method.name},
            "params": described[("params", method.name)],
            "id": {"$ref": SCHEMAS + "JsonRpcId"},
        },
    }


def _result_schema(method: Method, described: dict[tuple[str, str], Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["jsonrpc", "result", "id"],
        "additionalProperties": False,
        "properties": {
            "jsonrpc": {"const": jsonrpc.VERSION},
            "result": described[("result", method.name)],
            "id": {"$ref": SCHEMAS + "JsonRpcId"},
        },
    }


def _event_schema(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    params = {
        "type": "object",
        "required": ["seq", "type", "at", "data"],
        "additionalProperties": False,
        "properties": {
            "seq": {
                "type": "integer",
                "minimum": 1,
                "description": "strictly increasing across the server, whatever the protocol",
            },
            "type": {"const": event_type},
            "at": {"type": "string", "format": "date-time"},
            "data": data,
        },
    }
    return _notification_schema(EVENT_METHOD, params)


def _notification_schema(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["jsonrpc", "method", "params"],
        "additionalProperties": False,
        "properties": {
            "jsonrpc": {"const": jsonrpc.VERSION},
            "method": {"const": method},
            "params": params,
        },
    }


def _envelope_schemas() -> dict[str, Any]:
    codes = sorted(
        {
            jsonrpc.PARSE_ERROR,
            jsonrpc.INVALID_REQUEST,
            jsonrpc.METHOD_NOT_FOUND,
            *jsonrpc.CODE_BY_KIND.values(),
        }
    )
    requests = [{"$ref": SCHEMAS + _schema_name(m, "Request")} for m in METHODS]
    results = [{"$ref": SCHEMAS + _schema_name(m, "Result")} for m in METHODS]
    code_table = ", ".join(f"{kind} {code}" for kind, code in jsonrpc.CODE_BY_KIND.items())
    return {
        "JsonRpcId": {
            "type": ["string", "number", "null"],
            "description": "chosen by the client, echoed in the answer; absent: a notification",
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
        },
        "JsonRpcErrorData": {
            "type": "object",
            "required": ["kind"],
            "description": "Other members name what the error is about (isbn, loan_id, "
            "current_version, method; for resync_required epoch, seq and pruned_through).",
            "properties": {
                "kind": {"enum": list(ERROR_KINDS)},
                "errors": {"type": "array", "items": {"$ref": SCHEMAS + "FieldError"}},
                "credentials": {"enum": ["missing", "invalid"]},
                "retry_after": {
                    "type": "integer",
                    "description": "with kind unavailable: seconds to wait before retrying",
                },
            },
        },
        "JsonRpcErrorObject": {
            "type": "object",
            "required": ["code", "message", "data"],
            "properties": {
                "code": {"type": "integer", "enum": codes, "description": code_table},
                "message": {"type": "string"},
                "data": {"$ref": SCHEMAS + "JsonRpcErrorData"},
            },
        },
        "JsonRpcError": {
            "type": "object",
            "required": ["jsonrpc", "error", "id"],
            "additionalProperties": False,
            "properties": {
                "jsonrpc": {"const": jsonrpc.VERSION},
                "error": {"$ref": SCHEMAS + "JsonRpcErrorObject"},
                "id": {"$ref": SCHEMAS + "JsonRpcId"},
            },
        },
        "JsonRpcBatch": {"type": "array", "minItems": 1, "items": {"anyOf": requests}},
        "JsonRpcBatchReply": {
            "type": "array",
            "minItems": 1,
            "items": {"anyOf": [*results, {"$ref": SCHEMAS + "JsonRpcError"}]},
        },
    }


def _operation(method: Method, token_required: bool) -> dict[str, Any]:
    request, result = _message_names(method)
    operation: dict[str, Any] = {
        "action": "receive",
        "channel": CHANNEL_REF,
        "title": method.name,
        "summary": method.summary,
        "tags": [{"name": "change" if method.change else "read"}],
        "messages": [_channel_message(request)],
        "reply": {
            "channel": CHANNEL_REF,
            "messages": [_channel_message(result), _channel_message(ERROR_MESSAGE)],
        },
    }
    if method.change and token_required:
        operation["security"] = [
            {"$ref": f"#/components/securitySchemes/{name}"} for name in SECURITY_SCHEMES
        ]
    return operation


def _message(name: str, summary: str, schema_base: str, schema_suffix: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name,
        "title": name,
        "summary": summary,
        "payload": {"$ref": SCHEMAS + _schema_name(schema_base, schema_suffix)},
    }
    if schema_suffix in {"Request", "Result", "Error"}:
        message["correlationId"] = {
            "description": "a request and its answer carry the same id",
            "location": "$message.payload#/id",
        }
    return message


def _ws_binding() -> dict[str, Any]:
    return {
        "method": "GET",
        "query": {
            "type": "object",
            "properties": {"token": {"type": "string", "description": "the API token"}},
        },
        "headers": {
            "type": "object",
            "properties": {
                "Authorization": {"type": "string", "pattern": "^[Bb]earer .+$"},
                "Sec-WebSocket-Protocol": {"type": "string", "examples": ["bearer, <token>"]},
            },
        },
        "bindingVersion": "0.1.0",
    }


def _channel_message(name: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{CHANNEL}/messages/{name}"}


def _message_names(method: Method) -> tuple[str, str]:
    return f"{method.name}.request", f"{method.name}.result"


def _schema_name(base: str, suffix: str) -> str:
    """`get_book` + `Request` -> `GetBookRequest`; `JsonRpc` + `Error` -> `JsonRpcError`."""
    return "".join(part[:1].upper() + part[1:] for part in base.split("_")) + suffix


def _event_schema_name(event_type: str) -> str:
    return "".join(part.title() for part in event_type.split(".")) + "Event"
