"""The request body, read whole within the server's limits: max_body bytes, body_timeout seconds.

Every HTTP path that takes a body reads it here (REST, SOAP and the demo), so the limits hold
the same on each; the caller answers a refusal in its own protocol. A Content-Length over the
limit is refused without buffering a byte, and a chunked body as soon as it passes the limit;
what of a refused body still arrives promptly is dropped before the refusal (`_linger`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope

from gateway.settings import Settings


class BodyRefused(Exception):
    """The body was not read; `status` and `headers` are what HTTP says about it."""

    status: ClassVar[int]
    headers: ClassVar[tuple[tuple[str, str], ...]] = ()


class BodyTooLarge(BodyRefused):
    """The body is larger than max_body."""

    status = 413

    def __init__(self, max_body: int) -> None:
        super().__init__(f"the request body is larger than the limit of {max_body} bytes")


class BodyTooSlow(BodyRefused):
    """The body did not arrive whole within body_timeout."""

    status = 408
    # The rest of the body may still be on its way: this connection cannot carry another request.
    headers = (("Connection", "close"),)

    def __init__(self, timeout: float) -> None:
        super().__init__(f"the request body did not arrive within {timeout:g} seconds")


async def read_body(scope: Scope, receive: Receive, settings: Settings) -> bytes:
    """The whole body; BodyTooLarge, BodyTooSlow, or starlette's ClientDisconnect.

    ClientDisconnect is the one starlette's own Request raises, so the handlers that already
    treat a client that left (not a server fault) treat it here too.
    """
    declared = Headers(scope=scope).get("content-length", "")
    try:
        if declared.isdigit() and int(declared) > settings.max_body:
            raise BodyTooLarge(settings.max_body)
        try:
            # asyncio's own timeout: anyio's cancel scope cost SOAP 7% of its time (profile).
            async with asyncio.timeout(settings.body_timeout):
                return await _read_within(receive, settings.max_body)
        except TimeoutError:
            raise BodyTooSlow(settings.body_timeout) from None
    except BodyTooLarge:
        if not declared.isdigit() or int(declared) <= LINGER_FACTOR * settings.max_body:
            await _linger(receive, LINGER_FACTOR * settings.max_body, settings.body_timeout)
        raise


# A refused body may still be on its way. Were the connection closed with it unread, the
# kernel would answer the sender with a reset, which can reach a proxy (nginx, docs/deploy.md)
# before the 413 does, and the proxy then answers 502. So what keeps arriving promptly is
# read and dropped first, up to a few times the limit: what a web server's lingering close
# does, which uvicorn lacks. A sender that stops for LINGER_SILENCE seconds gets the 413 then.
LINGER_FACTOR = 4
LINGER_SILENCE = 0.5


async def _linger(receive: Receive, most: int, within: float) -> None:
    dropped = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while dropped <= most:
                message = await asyncio.wait_for(receive(), LINGER_SILENCE)
                if message["type"] == "http.disconnect" or not message.get("more_body", False):
                    return
                dropped += len(message.get("body", b""))


async def _read_within(receive: Receive, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            raise BodyTooLarge(max_body)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
