"""One WebSocket connection: reads JSON-RPC messages, answers them in order, pushes events.

Calls on a connection run one at a time, in the order they arrive (a batch's entries too), so
answers come back in request order and a client can reason about the effects of its own calls.
Two tasks write to the socket, this reader with its answers and a pusher with event
notifications; a lock lets one frame out at a time, so frames never interleave. There is no
order between a call's answer and the event that its change causes.

Most frames skip the lock: when no task holds or awaits it, a frame the transport takes at
once (gateway.ws.transport's `send_now`) is written on the spot, with no coroutine in between.
The hub hands events to an idle subscriber the same way, so a fan-out wakes no pusher task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.auth import require_token
from gateway.runtime import Runtime
from gateway.ws import jsonrpc
from gateway.ws.close_codes import (
    CLOSE_CUT_OFF,
    CLOSE_INTERNAL_ERROR,
    CLOSE_TOO_BIG,
    PUSH_FAILED_REASON,
)
from gateway.ws.methods import METHODS, Method, run
from gateway.ws.notification_cache import EVENT_FRAMES, frame_for
from gateway.ws.transport import SEND_NOW, SendNow
from services.errors import DomainError
from services.events import Event, Subscriber, Subscription
from services.service import LibraryService

PROTOCOL = "websocket"
UNKNOWN_OPERATION = "unknown"  # the metrics label of anything that names no method of the table

log = logging.getLogger(__name__)


class Connection:
    """One open WebSocket, and the Caller that its method handlers are given."""

    def __init__(self, websocket: WebSocket, runtime: Runtime, token: str | None) -> None:
        self._websocket = websocket
        self._runtime = runtime
        self._token = token  # presented at the handshake; checked on every change call
        self._write_lock = asyncio.Lock()
        self._writers = 0  # tasks holding or awaiting the lock: frames skip it only when none
        self._send_now: SendNow | None = websocket.scope.get("extensions", {}).get(SEND_NOW)
        self._closed = False
        self._subscriber: Subscriber | None = None
        self._pusher: asyncio.Task[None] | None = None

    @property
    def service(self) -> LibraryService:
        return self._runtime.service

    async def subscribe(
        self, patterns: frozenset[str], after: int | None, epoch: str | None
    ) -> Subscription:
        if self._subscriber is None:
            # Attached on first use, so connections that never subscribe cost the hub nothing.
            self._subscriber = self._runtime.hub.attach()
            self._subscriber.deliver = self._deliver_now
            self._pusher = asyncio.create_task(
                self._push_events(self._subscriber), name="websocket-events"
            )
        return await self._runtime.hub.follow(self._subscriber, patterns, after, epoch)

    def unsubscribe(self, patterns: frozenset[str] | None) -> frozenset[str]:
        if self._subscriber is None:
            return frozenset()
        return self._subscriber.unsubscribe(patterns)

    async def serve(self) -> None:
        """Answers messages until the client leaves or the connection is closed."""
        try:
            while not self._closed:
                message = await self._websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await self._on_message(message)
        finally:
            await self._stop_pushing()

    async def _on_message(self, message: Message) -> None:
        started = time.perf_counter()
        text: str | None = message.get("text")
        size = len(message.get("bytes") or b"") if text is None else _utf8_size(text)
        limit = self._runtime.settings.max_body
        if size > limit:
            await self._close(CLOSE_TOO_BIG, f"message of {size} bytes; the limit is {limit}")
            return
        if text is None:
            error = jsonrpc.RpcError(
                jsonrpc.INVALID_REQUEST,
                "invalid request: binary frames are not read; send JSON-RPC in text frames",
            )
            answer: str | None = self._answer_alone(error, started, size)
        else:
            answer = await self._answer(text, started, size)
        if answer is not None:
            await self._send(answer)

    async def _answer(self, text: str, started: float, size: int) -> str | None:
        try:
            message = jsonrpc.decode(text)
        except jsonrpc.RpcError as unreadable:
            return self._answer_alone(unreadable, started, size)
        if not isinstance(message, list):
            return await self._call(message, started, size)
        if not message:
            empty = jsonrpc.RpcError(jsonrpc.INVALID_REQUEST, "invalid request: empty batch")
            return self._answer_alone(empty, started, size)
        most = self._runtime.settings.ws_max_batch
        if len(message) > most:
            # Its answers are built whole before they go out: a small frame of many list_books
            # calls would otherwise cost the server thousands of times its size in memory.
            too_many = jsonrpc.RpcError(
                jsonrpc.INVALID_REQUEST,
                f"invalid request: a batch holds at most {most} requests, this one {len(message)}",
            )
            return self._answer_alone(too_many, started, size)
        answers: list[str] = []
        for entry in message:
            # Entries have no frame of their own: each is measured by its compact encoding.
            entry_size = _utf8_size(jsonrpc.encode(entry))
            answer = await self._call(entry, time.perf_counter(), entry_size)
            if answer is not None:
                answers.append(answer)
        # A batch of notifications only gets no answer at all, not an empty array.
        return f"[{','.join(answers)}]" if answers else None

    def _answer_alone(
        self, error: jsonrpc.RpcError, started: float, size: int, ident: jsonrpc.Id = None
    ) -> str:
        answer = jsonrpc.encode(jsonrpc.failure(ident, error))
        self._record(UNKNOWN_OPERATION, started, size, _utf8_size(answer), error.kind)
        return answer

    async def _call(self, entry: object, started: float, size: int) -> str | None:
        try:
            request = jsonrpc.request_of(entry)
        except jsonrpc.RpcError as invalid:
            # Not a request, so not a notification either: always answered.
            return self._answer_alone(invalid, started, size, jsonrpc.reply_id(entry))
        method = METHODS.get(request.method)
        operation = UNKNOWN_OPERATION if method is None else method.name
        error: jsonrpc.RpcError | None = None
        result: Any = None
        if method is None:
            error = jsonrpc.method_not_found(request.method)
        else:
            try:
                result = await self._invoke(method, request.params)
            except Exception as failed:
                error = self._error_of(failed, operation)
        reply = (
            jsonrpc.success(request.id, result)
            if error is None
            else jsonrpc.failure(request.id, error)
        )
        answer = None if request.is_notification else jsonrpc.encode(reply)
        sent = 0 if answer is None else _utf8_size(answer)
        self._record(operation, started, size, sent, None if error is None else error.kind)
        return answer

    async def _invoke(self, method: Method, params: object) -> Any:
        if method.change:
            require_token(self._runtime.settings.token, self._token)
        return await run(method, self, params)

    def _error_of(self, failed: Exception, operation: str) -> jsonrpc.RpcError:
        if isinstance(failed, DomainError) and failed.kind != DomainError.kind:
            return jsonrpc.domain_error(failed)
        log.error("websocket call %s failed", operation, exc_info=failed)
        return jsonrpc.internal_error()

    def _record(
        self, operation: str, started: float, received: int, sent: int, error_kind: str | None
    ) -> None:
        elapsed = time.perf_counter() - started
        self._runtime.metrics.record(PROTOCOL, operation, elapsed, received, sent, error_kind)

    async def _push_events(self, subscriber: Subscriber) -> None:
        try:
            while True:
                queued = await subscriber.queue.get()
                async with self._turn():
                    # Checked under the lock: once `unsubscribe` is answered, none of its
                    # patterns' events follow, even those queued before it.
                    frame = frame_for(subscriber, queued)
                    if frame is not None:
                        if not await self._write(frame):
                            return
                        if isinstance(queued, Event):
                            self._runtime.metrics.events.inc()
                if (ended := subscriber.ended()) is not None:
                    await self._close(CLOSE_CUT_OFF[ended], ended.value)
                    return
        except Exception:
            log.exception("pushing events to a websocket failed")
            await self._close(CLOSE_INTERNAL_ERROR, PUSH_FAILED_REASON)

    async def _stop_pushing(self) -> None:
        if self._subscriber is not None:
            self._runtime.hub.detach(self._subscriber)
        if self._pusher is not None:
            self._pusher.cancel()
            # gather, unlike awaiting the task in suppress(CancelledError), still lets a
            # cancellation of this task itself (server shutdown) through.
            await asyncio.gather(self._pusher, return_exceptions=True)

    def _deliver_now(self, event: Event) -> bool:
        """The hub's way in while this subscriber's queue is empty (Subscriber.deliver)."""
        if not self._write_now(EVENT_FRAMES.frame(event)):
            return False
        self._runtime.metrics.events.inc()
        return True

    async def _send(self, frame: str) -> None:
        if self._write_now(frame):
            return
        async with self._turn():
            await self._write(frame)

    def _write_now(self, frame: str) -> bool:
        """Writes a frame at once if nothing else is being written or waits to be, and the
        transport takes it without waiting; False when it must wait its `_turn`."""
        return (
            self._send_now is not None
            and self._writers == 0
            and not self._closed
            and self._send_now(frame)
        )

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """The write lock, counted while awaited too, so no frame overtakes one that waits."""
        self._writers += 1
        try:
            async with self._write_lock:
                yield
        finally:
            self._writers -= 1

    async def _write(self, frame: str) -> bool:
        """Sends a frame while holding the write lock; False once the connection is gone."""
        if self._closed:
            return False
        try:
            await self._websocket.send_text(frame)
        except WebSocketDisconnect:
            self._closed = True
            return False
        return True

    async def _close(self, code: int, reason: str) -> None:
        async with self._turn():
            if self._closed:
                return
            self._closed = True
            # The client may have left first: then there is nothing to tell it.
            with contextlib.suppress(WebSocketDisconnect):
                await self._websocket.close(code, reason)


def _utf8_size(text: str) -> int:
    # isascii() reads a flag of the string: most frames are ASCII, and need no encoded copy.
    return len(text) if text.isascii() else len(text.encode())
