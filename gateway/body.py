"""The request body, read whole within the server's limits: max_body bytes, body_timeout seconds.

Every HTTP path that takes a body reads it here (REST, SOAP and the demo), so the limits hold
the same on each; the caller answers a refusal in its own protocol. A Content-Length over the
limit is refused before a byte is read, and a chunked body as soon as it passes the limit,
never buffered whole.
"""

from __future__ import annotations

import asyncio
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
    if declared.isdigit() and int(declared) > settings.max_body:
        raise BodyTooLarge(settings.max_body)
    try:
        # asyncio's own timeout: anyio's cancel scope cost SOAP 7% of its time (profile).
        async with asyncio.timeout(settings.body_timeout):
            return await _read_within(receive, settings.max_body)
    except TimeoutError:
        raise BodyTooSlow(settings.body_timeout) from None


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
