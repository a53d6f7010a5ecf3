"""A bare `websockets` server doing the same JSON-RPC calls over the same service.

One coroutine per connection: read a text frame, decode, call the service, encode, send.
No batches, no notifications, no metrics, no events: the floor under the gateway's /ws.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from bench.baselines.common import HOST, arguments, open_seeded
from services.errors import DomainError
from services.models import book_as_dict
from services.service import LibraryService

Call = Callable[[LibraryService, dict[str, Any]], Awaitable[Any]]


async def _get_book(service: LibraryService, params: dict[str, Any]) -> Any:
    return book_as_dict(await service.get_book(params.get("isbn")))


async def _list_books(service: LibraryService, params: dict[str, Any]) -> Any:
    page = await service.list_books(**params)
    items = [book_as_dict(b) for b in page.items]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


async def _add_book(service: LibraryService, params: dict[str, Any]) -> Any:
    return book_as_dict(await service.add_book(params))


CALLS: dict[str, Call] = {"get_book": _get_book, "list_books": _list_books, "add_book": _add_book}


async def answer(service: LibraryService, text: str | bytes) -> str:
    request = json.loads(text)
    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
    call = CALLS.get(request.get("method"))
    if call is None:
        reply["error"] = {"code": -32601, "message": "method not found"}
    else:
        try:
            reply["result"] = await call(service, request.get("params") or {})
        except DomainError as error:
            reply["error"] = {
                "code": -32000,
                "message": error.message,
                "data": {"kind": error.kind},
            }
    return json.dumps(reply, separators=(",", ":"), ensure_ascii=False)


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def run(port: int, db: str) -> None:
    catalogue = await open_seeded(db)

    async def handler(websocket: ServerConnection) -> None:
        async for message in websocket:
            await websocket.send(await answer(catalogue.service, message))

    try:
        async with serve(handler, HOST, port, process_request=health) as server:
            await server.serve_forever()
    finally:
        await catalogue.close()


def runner() -> asyncio.Runner:
    try:
        import uvloop  # the loop uvicorn runs the gateway on, where installed

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        return asyncio.Runner()


def main() -> None:
    args = arguments(__doc__ or "")
    with runner() as loop:
        loop.run(run(args.port, args.db))


if __name__ == "__main__":
    main()
