"""Who may open a WebSocket at /ws: the Origin allow-list and the cap on open connections.

Both are decided at the handshake, with an HTTP answer, before any WebSocket state exists.

Origin: a browser lets any page open a WebSocket to any host, sending the user's cookies and
the page's Origin; only the server can refuse (cross-site WebSocket hijacking). Allowed are
- requests without Origin: not from a browser, so no page of another site is behind them;
- the gateway's own pages: Origin's host and port are the Host the request came to (the
  scheme is not compared, as a TLS proxy in front changes it);
- the origins of `ROSETTA_WS_ALLOWED_ORIGINS`, or any origin when it holds `*`.
Others get 403.

Cap: past `ROSETTA_WS_MAX_CONNECTIONS` open connections in this process, a handshake gets 503
with Retry-After. A refused handshake is visible to every client library and proxy, where a
close code (1013) would first need the connection it is meant to spare.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket

from gateway.settings import ANY_ORIGIN, Settings

RETRY_AFTER_SECONDS = 5


class Admission:
    """Counts the open connections of one app; `refusal` says why a handshake may not proceed."""

    def __init__(self, settings: Settings) -> None:
        self.allowed_origins = settings.allowed_origins
        self.max_connections = settings.ws_max_connections
        self.open = 0

    def refusal(self, websocket: WebSocket) -> Response | None:
        origin = websocket.headers.get("origin")
        if not self.origin_allowed(origin, websocket.headers.get("host")):
            return PlainTextResponse(
                f"WebSocket connections from the origin {origin} are not allowed here\n",
                status_code=403,
            )
        if self.open >= self.max_connections:
            return PlainTextResponse(
                f"this server holds its limit of {self.max_connections} WebSocket connections;"
                " try again later\n",
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return None

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        if origin is None or ANY_ORIGIN in self.allowed_origins:
            return True
        normalised = origin.strip().rstrip("/").lower()
        if normalised in self.allowed_origins:
            return True
        parts = urlsplit(normalised)
        return (
            parts.scheme in {"http", "https"}
            and bool(parts.netloc)
            and parts.netloc == (host or "").lower()
        )
