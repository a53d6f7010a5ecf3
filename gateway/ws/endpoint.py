"""The WebSocket adapter: JSON-RPC 2.0 at /ws, and its AsyncAPI document at /ws/asyncapi.json.

Who may connect at all (Origin, connection cap) is decided in `gateway.ws.admission`.
The API token is read once, at the handshake, from (first found) an `Authorization: Bearer`
header, the subprotocol list `bearer, <token>`, or the `?token=` query parameter: a browser's
WebSocket handshake carries no header of the page's choosing, only the URL and subprotocols. Every
connection is accepted, since reads are public; a change call then answers -32003 with
`credentials` "missing" or "invalid", as REST answers 401 or 403 to the same change.
uvicorn logs every handshake's path with its query, so a `token` there is redacted in its logs.
"""

from __future__ import annotations

import logging
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from gateway.auth import bearer_token
from gateway.runtime import Runtime
from gateway.ws.admission import Admission
from gateway.ws.asyncapi import asyncapi_document
from gateway.ws.connection import Connection

AUTH_SUBPROTOCOL = "bearer"
SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access")  # uvicorn logs handshake paths with queries


def routes(runtime: Runtime) -> list[BaseRoute]:
    for name in SERVER_LOGGERS:
        keep_tokens_out_of(logging.getLogger(name))

    admission = Admission(runtime.settings)

    async def endpoint(websocket: WebSocket) -> None:
        refusal = admission.refusal(websocket)
        if refusal is not None:
            await websocket.send_denial_response(refusal)
            return
        token, subprotocol = handshake_token(websocket)
        # Counted before the first await, so concurrent handshakes cannot overshoot the cap.
        admission.open += 1
        runtime.metrics.websockets.inc()
        try:
            await websocket.accept(subprotocol=subprotocol)
            await Connection(websocket, runtime, token).serve()
        finally:
            admission.open -= 1
            runtime.metrics.websockets.dec()

    async def asyncapi(request: Request) -> JSONResponse:
        document = asyncapi_document(
            host=request.url.netloc,
            secure=request.url.scheme == "https",
            token_required=runtime.settings.token is not None,
            max_body=runtime.settings.max_body,
            max_batch=runtime.settings.ws_max_batch,
            retention=runtime.settings.event_retention,
            position_interval=runtime.settings.event_position_interval,
        )
        return JSONResponse(document)

    async def upgrade_required(_request: Request) -> PlainTextResponse:
        # A browser or curl opening /ws as a page learns what it is instead of a bare 404.
        return PlainTextResponse(
            "/ws speaks JSON-RPC 2.0 over WebSocket; see /ws/asyncapi.json\n",
            status_code=426,
            headers={"Upgrade": "websocket", "Connection": "Upgrade"},
        )

    return [
        WebSocketRoute("/ws", endpoint),
        Route("/ws", upgrade_required, methods=["GET"]),
        Route("/ws/asyncapi.json", asyncapi, methods=["GET"]),
    ]


def handshake_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """The token the client presented, and the subprotocol to accept (never the token itself)."""
    offered: list[str] = list(websocket.scope.get("subprotocols", []))
    # A client that offers subprotocols fails the handshake unless one is chosen, so `bearer`
    # is chosen whenever offered, even where the token came by another way.
    subprotocol = AUTH_SUBPROTOCOL if AUTH_SUBPROTOCOL in offered else None
    header = bearer_token(websocket.headers.get("authorization"))
    if header:
        return header, subprotocol
    if subprotocol is not None:
        position = offered.index(AUTH_SUBPROTOCOL)
        if position + 1 < len(offered):
            return offered[position + 1], subprotocol
    return websocket.query_params.get("token") or None, subprotocol


class RedactQueryToken(logging.Filter):
    """Replaces the value of a `token` query parameter in a log record's arguments."""

    pattern = re.compile(r"([?&]token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.pattern.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def keep_tokens_out_of(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactQueryToken) for f in logger.filters):
        logger.addFilter(RedactQueryToken())
