"""The WebSocket transport under /ws, and the uvicorn options that carry the gateway's limits.

uvicorn closes every open WebSocket with 1012 (service restart) the moment a shutdown starts,
in the middle of a call if need be. `GoingAwayProtocol` lets the call being answered finish
and send its answer, then closes with 1001 (going away), the code RFC 6455 gives an endpoint
that goes down. Messages that arrived after that call are not read.

It also drops a peer whose keepalive ping timed out while frames wait unsent: such a peer
reads nothing, not even the close frame, and waiting for it would hold the connection open.

And it offers the app `send_now` (the scope extension SEND_NOW): a text frame written at once,
with no coroutine, when the transport can take it without waiting. An ASGI `websocket.send`
goes through three coroutines (Starlette's state checks and error wrapper, then uvicorn's) to
reach the same two calls; to one event fanned out to 10,000 subscribers that was a task
wake-up and those layers per subscriber. Anything unusual (a full write buffer, a close under
way) answers False, and the app takes the ASGI way, which waits or raises as it always did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request

from gateway.settings import Settings

CLOSE_GOING_AWAY = 1001
# Sent by the websockets library under uvicorn, not by the gateway's code: named here so
# that the AsyncAPI document can list every code a client may see.
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
GOING_AWAY_REASON = "the server is shutting down"
PROTOCOL = "gateway.ws.transport:GoingAwayProtocol"  # by name: worker processes import it
SEND_NOW = "rosetta.websocket.send_now"  # scope["extensions"][SEND_NOW]: a SendNow
SendNow = Callable[[str], bool]


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's keyword arguments for the limits that live in its transport, not in the app."""
    return {
        "ws": PROTOCOL,
        # Refused while it streams in, before uvicorn buffers a message of its default 16 MiB.
        "ws_max_size": settings.max_body,
        "ws_ping_interval": settings.ws_ping_interval or None,
        "ws_ping_timeout": settings.ws_ping_timeout,
        "timeout_graceful_shutdown": settings.shutdown_timeout,
    }


class GoingAwayProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._app_waiting = False  # the app awaits its next message: it has no call in flight
        self._going_away = False
        self._app_closed = False

    def shutdown(self) -> None:
        if not self.handshake_complete or self.close_sent or self.initial_response is not None:
            super().shutdown()  # no open WebSocket here: uvicorn's refusal or teardown is right
            return
        self.stop_keepalive()
        self._going_away = True
        if self._app_waiting:
            self._go_away()
            self.queue.put_nowait(_gone())

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101:  # the app's task starts after this returns
            extensions: dict[str, Any] = self.scope["extensions"]
            extensions[SEND_NOW] = self.send_now

    def send_now(self, text: str) -> bool:
        """Writes a text frame now, as `send` would; False, having written nothing, when it
        cannot go without waiting or the connection is not plainly open."""
        if (
            self.close_sent
            or self.disconnected
            or not self.writable.is_set()
            or self.initial_response is not None
            or self.transport.is_closing()
        ):
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:  # the peer's close arrived: `send` reports it as a disconnect
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    async def receive(self) -> ASGIReceiveEvent:
        if self._going_away:
            self._go_away()
            return _gone()
        self._app_waiting = True
        try:
            return await super().receive()
        finally:
            self._app_waiting = False

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] in {"websocket.send", "websocket.close"}:
            if self.close_sent and not self._app_closed and self.initial_response is None:
                # The transport closed on its own (shutdown, keepalive): to the app, the client
                # is gone, which is what Starlette makes of this error.
                raise ClientDisconnected
            if message["type"] == "websocket.close":
                self._app_closed = True
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            # A refused handshake is a finished one; uvicorn would log this as an app error.
            self.handshake_complete = True

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        if self.transport.get_write_buffer_size():
            self.transport.abort()

    def _go_away(self) -> None:
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.send_close(CLOSE_GOING_AWAY, GOING_AWAY_REASON)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:  # the peer's answering close frame must still be read
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)


def _gone() -> ASGIReceiveEvent:
    return {"type": "websocket.disconnect", "code": CLOSE_GOING_AWAY, "reason": GOING_AWAY_REASON}
