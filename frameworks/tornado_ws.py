"""JSON-RPC 2.0 over Tornado's own WebSocketHandler: calls, batches and pushed events.

The JSON-RPC core (gateway/ws/jsonrpc.py) and the method table (gateway/ws/methods.py) carry
no transport, so this handler only moves text: decode, run the method, encode. Tornado reads
the next message only once on_message has returned, so calls run in the order they came.
The API token comes in an `Authorization: Bearer` header at the handshake.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tornado.websocket import WebSocketClosedError, WebSocketHandler

from gateway.auth import bearer_token, require_token
from gateway.settings import Settings
from gateway.ws import jsonrpc
from gateway.ws.close_codes import CLOSE_CUT_OFF, CLOSE_INTERNAL_ERROR, PUSH_FAILED_REASON
from gateway.ws.methods import METHODS, run
from gateway.ws.notification_cache import frame_for
from services.catalogue import Catalogue
from services.errors import DomainError
from services.events import Subscriber, Subscription
from services.service import LibraryService

log = logging.getLogger(__name__)


class JsonRpcSocket(WebSocketHandler):
    def initialize(self, catalogue: Catalogue, rosetta: Settings) -> None:
        self.catalogue = catalogue
        self.rosetta = rosetta
        self.token = bearer_token(self.request.headers.get("Authorization"))
        self.subscriber: Subscriber | None = None
        self.pusher: asyncio.Task[None] | None = None

    @property
    def service(self) -> LibraryService:
        return self.catalogue.service

    async def subscribe(
        self, patterns: frozenset[str], after: int | None, epoch: str | None
    ) -> Subscription:
        if self.subscriber is None:
            self.subscriber = self.catalogue.hub.attach()
            self.pusher = asyncio.create_task(self.push(self.subscriber), name="websocket-events")
        return await self.catalogue.hub.follow(self.subscriber, patterns, after, epoch)

    def unsubscribe(self, patterns: frozenset[str] | None) -> frozenset[str]:
        return frozenset() if self.subscriber is None else self.subscriber.unsubscribe(patterns)

    async def on_message(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            error = jsonrpc.RpcError(jsonrpc.INVALID_REQUEST, "invalid request: send text frames")
            await self.send(jsonrpc.encode(jsonrpc.failure(None, error)))
            return
        answer = await self.answer(message)
        if answer is not None:
            await self.send(answer)

    async def answer(self, text: str) -> str | None:
        try:
            message = jsonrpc.decode(text)
        except jsonrpc.RpcError as unreadable:
            return jsonrpc.encode(jsonrpc.failure(None, unreadable))
        if not isinstance(message, list):
            return await self.call(message)
        if not message or len(message) > self.rosetta.ws_max_batch:
            most = self.rosetta.ws_max_batch
            wrong = jsonrpc.RpcError(
                jsonrpc.INVALID_REQUEST, f"invalid request: a batch holds 1 to {most} requests"
            )
            return jsonrpc.encode(jsonrpc.failure(None, wrong))
        answers = [answer for entry in message if (answer := await self.call(entry)) is not None]
        return f"[{','.join(answers)}]" if answers else None

    async def call(self, entry: object) -> str | None:
        try:
            request = jsonrpc.request_of(entry)
        except jsonrpc.RpcError as invalid:
            return jsonrpc.encode(jsonrpc.failure(jsonrpc.reply_id(entry), invalid))
        reply: dict[str, Any]
        method = METHODS.get(request.method)
        try:
            if method is None:
                raise jsonrpc.method_not_found(request.method)
            if method.change:
                require_token(self.rosetta.token, self.token)
            reply = jsonrpc.success(request.id, await run(method, self, request.params))
        except jsonrpc.RpcError as error:
            reply = jsonrpc.failure(request.id, error)
        except Exception as error:
            reply = jsonrpc.failure(request.id, self.error_of(error, request.method))
        return None if request.is_notification else jsonrpc.encode(reply)

    @staticmethod
    def error_of(error: Exception, method: str) -> jsonrpc.RpcError:
        """A domain error by its kind; anything else, a server fault, logged and not told."""
        if isinstance(error, DomainError) and error.kind != DomainError.kind:
            return jsonrpc.domain_error(error)
        log.error("websocket call %s failed", method, exc_info=error)
        return jsonrpc.internal_error()

    async def push(self, subscriber: Subscriber) -> None:
        try:
            while True:
                frame = frame_for(subscriber, await subscriber.queue.get())
                if frame is not None and not await self.send(frame):
                    return
                if (ended := subscriber.ended()) is not None:
                    self.close(CLOSE_CUT_OFF[ended], ended.value)
                    return
        except Exception:
            log.exception("pushing events to a websocket failed")
            self.close(CLOSE_INTERNAL_ERROR, PUSH_FAILED_REASON)

    async def send(self, frame: str) -> bool:
        """Writes a frame; False once the connection is gone."""
        # The client may leave while an answer or an event is on its way: nobody to tell.
        try:
            await self.write_message(frame)
        except WebSocketClosedError:
            return False
        return True

    def on_close(self) -> None:
        if self.subscriber is not None:
            self.catalogue.hub.detach(self.subscriber)
        if self.pusher is not None:
            # Tornado does not await on_close: the cancelled task still runs on the loop, which
            # holds it until it ends.
            self.pusher.cancel()
