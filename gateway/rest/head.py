"""HEAD wherever GET is: RFC 9110 asks it of every general-purpose server; FastAPI lacks it."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: answers HEAD as the GET of the same URL would be, headers only.

    The GET runs in a copy of the scope, so the server still sees the HEAD it received; the
    headers (ETag, Content-Length...) stay those of the GET, as RFC 9110 (9.3.2) wants.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
