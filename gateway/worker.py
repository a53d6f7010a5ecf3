"""The `Rosetta-Worker` header: which worker process answered.

With `--workers N` above 1 the connections spread over N processes; then every HTTP response
and WebSocket handshake names the process that served it by an id drawn at random when the
process starts (not its pid, which would tell an outsider about the host).
"""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"rosetta-worker"
WORKER_ID = secrets.token_hex(4).encode()  # one per process: uvicorn imports the app in each
# The messages that start an answer: an HTTP response, a WebSocket accepted or refused.
_STARTS = {"http.response.start", "websocket.accept", "websocket.http.response.start"}


class WorkerHeader:
    """Pure ASGI middleware: adds the header to each answer's start, leaves the rest alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] in _STARTS:
                message["headers"] = [*message.get("headers", []), (HEADER, WORKER_ID)]
            await send(message)

        await self.app(scope, receive, send_with_header)
