"""The REST contract in Tornado, and JSON-RPC over its own WebSocketHandler at /ws.

Tornado runs on asyncio: the catalogue opens on the same loop before the server listens.
Handlers are async; compute_etag returns a book's version, so Tornado answers If-None-Match
with 304 by itself, and write_error turns every error into problem+json. Run it as Tornado
applications run, on their own loop:

    python -m frameworks.tornado_app --port 8003
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from types import TracebackType
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler

from frameworks.common import REST_ROOT, problem_json, problem_of, query_arguments
from frameworks.tornado_ws import JsonRpcSocket
from gateway.auth import bearer_token, require_token
from gateway.rest.formats import Format
from gateway.rest.json_body import decode_object, reject_unknown, require_json, returned_flag
from gateway.rest.links import (
    book_path,
    book_resource,
    loan_list_resource,
    loan_path,
    loan_resource,
    page_resource,
)
from gateway.rest.preconditions import expected_version, version_etag
from gateway.rest.problem_details import PROBLEM_JSON, Problem, kind_of_status
from gateway.runtime import open_from_settings
from gateway.settings import Settings
from services.catalogue import Catalogue
from services.models import Book

log = logging.getLogger(__name__)


class LibraryHandler(RequestHandler):
    """Authorises changes, reads bodies, sets validators and answers errors as problems."""

    def initialize(self, catalogue: Catalogue, rosetta: Settings) -> None:
        self.service = catalogue.service
        self.rosetta = rosetta
        self.version: int | None = None

    def _query(self, name: str) -> str | None:
        return self.get_query_argument(name, None)

    def authorize(self) -> None:
        token = bearer_token(self.request.headers.get("Authorization"))
        require_token(self.rosetta.token, token)

    def body(self) -> dict[str, object]:
        require_json(self.request.headers.get("Content-Type"), self.request.method or "")
        return decode_object(self.request.body)

    def represent(self, data: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Cache-Control", "no-cache")
        self.finish(data)

    def represent_book(self, book: Book, isbn_asked: str | None = None, status: int = 200) -> None:
        self.version = book.version
        if self.request.method != "GET":
            # Tornado sets the ETag itself only on a GET's 200; a change answers it too.
            self.set_etag_header()
        if isbn_asked is not None and isbn_asked != book.isbn:
            self.set_header("Content-Location", book_path(REST_ROOT, book.isbn))
        self.represent(book_resource(book, REST_ROOT), status)

    def created(self, location: str) -> None:
        self.set_header("Location", location)
        self.set_header("Content-Location", location)

    def compute_etag(self) -> str | None:
        if self.version is not None:
            return version_etag(self.version, Format.JSON)
        return super().compute_etag()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs["exc_info"][1] if "exc_info" in kwargs else None
        if isinstance(error, HTTPError) or error is None:
            problem = Problem(
                "not_found" if status_code == 404 else f"http_{status_code}",
                self._reason,
                status_code,
                f"{self.request.method} {self.request.path}: {self._reason}",
                kind_of_status(status_code),
            )
        else:
            problem = problem_of(error)
        self.set_status(problem.status)
        if problem.status == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        for name, value in problem.headers.items():
            self.set_header(name, value)
        self.set_header("Content-Type", PROBLEM_JSON)
        self.finish(problem_json(problem, self.request.path))

    def allowed_methods(self) -> list[str]:
        """The methods this resource's handler defines; Tornado's 405 does not name them."""
        mine = type(self)
        return [
            method
            for method in self.SUPPORTED_METHODS
            if getattr(mine, method.lower()) is not getattr(RequestHandler, method.lower())
        ]

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Domain errors and refusals are answers; only a server fault deserves a traceback.
        if value is not None and not problem_of(value).is_server_fault:
            return
        super().log_exception(typ, value, tb)


class BooksHandler(LibraryHandler):
    async def get(self) -> None:
        arguments = query_arguments("list_books", self._query)
        page = await self.service.list_books(**arguments)
        filters = {name: self._query(name) for name in ("q", "author", "tag")}
        self.represent(page_resource(page, REST_ROOT, filters))

    async def post(self) -> None:
        self.authorize()
        book = await self.service.add_book(self.body())
        self.created(book_path(REST_ROOT, book.isbn))
        self.represent_book(book, status=201)


class BookHandler(LibraryHandler):
    async def get(self, isbn: str) -> None:
        self.represent_book(await self.service.get_book(isbn), isbn)

    async def patch(self, isbn: str) -> None:
        self.authorize()
        changes = self.body()
        version = await expected_version(self.service, isbn, self.request.headers.get("If-Match"))
        self.represent_book(await self.service.update_book(isbn, changes, version), isbn)

    async def delete(self, isbn: str) -> None:
        self.authorize()
        version = await expected_version(self.service, isbn, self.request.headers.get("If-Match"))
        await self.service.remove_book(isbn, version)
        self.set_status(204)
        self.finish()


class LoansHandler(LibraryHandler):
    async def get(self) -> None:
        loans = await self.service.list_loans(**query_arguments("list_loans", self._query))
        self.represent(loan_list_resource(loans, REST_ROOT, self.request.query))

    async def post(self) -> None:
        self.authorize()
        fields = self.body()
        reject_unknown(fields, ("isbn", "member"), "loan request")
        loan = await self.service.borrow_book(fields.get("isbn"), fields.get("member"))
        self.created(loan_path(REST_ROOT, loan.id))
        self.represent(loan_resource(loan, REST_ROOT), 201)


class LoanHandler(LibraryHandler):
    async def get(self, loan_id: str) -> None:
        self.represent(loan_resource(await self.service.get_loan(loan_id), REST_ROOT))

    async def patch(self, loan_id: str) -> None:
        self.authorize()
        returned_flag(self.body())
        self.represent(loan_resource(await self.service.return_book(loan_id), REST_ROOT))


class NowhereHandler(LibraryHandler):
    """What Tornado runs when no route matches: a not_found problem."""

    def prepare(self) -> None:
        raise HTTPError(404)


def make_app(catalogue: Catalogue, settings: Settings) -> Application:
    shared = {"catalogue": catalogue, "rosetta": settings}
    return Application(
        [
            (rf"{REST_ROOT}/books", BooksHandler, shared),
            (rf"{REST_ROOT}/books/([^/]+)", BookHandler, shared),
            (rf"{REST_ROOT}/loans", LoansHandler, shared),
            (rf"{REST_ROOT}/loans/([^/]+)", LoanHandler, shared),
            (r"/ws", JsonRpcSocket, shared),
        ],
        default_handler_class=NowhereHandler,
        default_handler_args=shared,
        websocket_max_message_size=settings.max_body,
        websocket_ping_interval=settings.ws_ping_interval or None,
        websocket_ping_timeout=settings.ws_ping_timeout,
    )


async def serve(settings: Settings) -> None:
    """Opens the catalogue, listens, and serves until SIGINT or SIGTERM."""
    catalogue = await open_from_settings(settings)
    server = HTTPServer(make_app(catalogue, settings), max_body_size=settings.max_body)
    sockets = bind_sockets(settings.port, settings.host)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    print(f"Tornado serving on http://{settings.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
        await catalogue.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="The REST contract and /ws in Tornado.")
    parser.add_argument("--host", help="address to listen on (ROSETTA_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (ROSETTA_PORT, 8000)")
    args = parser.parse_args()
    flags = {name: value for name in ("host", "port") if (value := getattr(args, name)) is not None}
    asyncio.run(serve(Settings(**flags)))


if __name__ == "__main__":
    main()
