"""The REST contract in Flask: a blueprint of sync views, the async service on one loop thread.

Flask runs an async view on a new event loop per request, and an async database engine shared
between requests fails there ("attached to a different loop"). So the views stay sync, as
most Flask code is, and hand each service call to one long-lived event loop in a thread
through anyio's blocking portal. Serve it with any WSGI server:

    waitress-serve --port 8001 --call frameworks.flask_app:create_app
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from functools import partial
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from frameworks.common import (
    JSON,
    OFFERS,
    REST_ROOT,
    XML,
    problem_json,
    problem_of,
    query_arguments,
)
from gateway.auth import require_token
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
from gateway.rest.preconditions import expected_version
from gateway.rest.problem_details import PROBLEM_JSON, Problem, kind_of_status
from gateway.rest.refusals import NotAcceptable
from gateway.rest.xml_form import BOOK, BOOK_PAGE, LOAN, LOAN_LIST, Shape, shaped_xml
from gateway.runtime import open_from_settings
from gateway.settings import Settings
from services.catalogue import Catalogue
from services.models import Book
from services.service import LibraryService

log = logging.getLogger(__name__)
T = TypeVar("T")
rest = Blueprint("rest", __name__, url_prefix=REST_ROOT)


class Library:
    """The catalogue, open on an event loop thread that lives as long as the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self.portal: BlockingPortal = self._stack.enter_context(start_blocking_portal())
        self.catalogue: Catalogue = self.portal.call(open_from_settings, settings)

    def close(self) -> None:
        self.portal.call(self.catalogue.close)
        self._stack.close()


def library() -> Library:
    found: Library = current_app.extensions["rosetta"]
    return found


def call(operation: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Runs a coroutine of the service on the library's loop and waits for its result."""
    return library().portal.call(partial(operation, *args, **kwargs))


def service() -> LibraryService:
    return library().catalogue.service


def authorize() -> None:
    credentials = request.authorization
    token = credentials.token if credentials and credentials.type == "bearer" else None
    require_token(library().settings.token, token)


def body() -> dict[str, object]:
    require_json(request.content_type, request.method)
    return decode_object(request.get_data())


def chosen_type() -> str:
    if not request.accept_mimetypes:
        return JSON
    best = request.accept_mimetypes.best_match(OFFERS)
    if best is None:
        raise NotAcceptable(f"the Accept header allows neither {JSON} nor {XML}")
    return best


def represent(
    data: dict[str, Any], shape: Shape, status: int = 200, version: int | None = None
) -> Response:
    media = chosen_type()
    response = jsonify(data) if media == JSON else Response(shaped_xml(shape, data), mimetype=XML)
    response.status_code = status
    if version is None:
        response.add_etag()
    else:
        fmt = Format.XML if media == XML else Format.JSON
        response.set_etag(f"{version}{fmt.etag_suffix}")
    response.vary.add("Accept")
    response.cache_control.no_cache = True
    response.make_conditional(request)  # 304 when If-None-Match names this ETag
    return response


def book_response(book: Book, isbn_asked: str | None = None, status: int = 200) -> Response:
    response = represent(book_resource(book, REST_ROOT), BOOK, status, book.version)
    if isbn_asked is not None and isbn_asked != book.isbn:
        response.headers["Content-Location"] = book_path(REST_ROOT, book.isbn)
    return response


def created(response: Response, location: str) -> Response:
    """A 201 names the new resource; its body is that resource's representation."""
    response.headers["Location"] = response.headers["Content-Location"] = location
    return response


@rest.get("/books")
def list_books() -> Response:
    arguments = query_arguments("list_books", request.args.get)
    page = call(service().list_books, **arguments)
    filters = {name: request.args.get(name) for name in ("q", "author", "tag")}
    return represent(page_resource(page, REST_ROOT, filters), BOOK_PAGE)


@rest.get("/books/<isbn>")
def get_book(isbn: str) -> Response:
    return book_response(call(service().get_book, isbn), isbn)


@rest.post("/books")
def add_book() -> Response:
    authorize()
    book = call(service().add_book, body())
    return created(book_response(book, status=201), book_path(REST_ROOT, book.isbn))


@rest.patch("/books/<isbn>")
def update_book(isbn: str) -> Response:
    authorize()
    changes = body()
    version = call(expected_version, service(), isbn, request.headers.get("If-Match"))
    return book_response(call(service().update_book, isbn, changes, version), isbn)


@rest.delete("/books/<isbn>")
def remove_book(isbn: str) -> Response:
    authorize()
    version = call(expected_version, service(), isbn, request.headers.get("If-Match"))
    call(service().remove_book, isbn, version)
    return Response(status=204)


@rest.get("/loans")
def list_loans() -> Response:
    loans = call(service().list_loans, **query_arguments("list_loans", request.args.get))
    query = request.query_string.decode()
    return represent(loan_list_resource(loans, REST_ROOT, query), LOAN_LIST)


@rest.get("/loans/<loan_id>")
def get_loan(loan_id: str) -> Response:
    return represent(loan_resource(call(service().get_loan, loan_id), REST_ROOT), LOAN)


@rest.post("/loans")
def borrow_book() -> Response:
    authorize()
    fields = body()
    reject_unknown(fields, ("isbn", "member"), "loan request")
    loan = call(service().borrow_book, fields.get("isbn"), fields.get("member"))
    return created(
        represent(loan_resource(loan, REST_ROOT), LOAN, 201), loan_path(REST_ROOT, loan.id)
    )


@rest.patch("/loans/<loan_id>")
def return_book(loan_id: str) -> Response:
    authorize()
    returned_flag(body())
    return represent(loan_resource(call(service().return_book, loan_id), REST_ROOT), LOAN)


def problem_response(problem: Problem) -> Response:
    response = Response(problem_json(problem, request.path), problem.status, mimetype=PROBLEM_JSON)
    response.headers.update({"Vary": "Accept", **problem.headers})
    return response


def on_error(error: Exception) -> Response:
    """Domain errors and the adapter's refusals by their kind; anything else a logged 500."""
    problem = problem_of(error)
    if problem.is_server_fault:
        log.error("server fault in %s %s", request.method, request.path, exc_info=error)
    return problem_response(problem)


def on_http_error(error: HTTPException) -> Response:
    """Werkzeug's own refusals (404, 405, 413...) as problems of the nearest kind."""
    status = error.code or 500
    name = {404: "not_found", 405: "method_not_allowed"}.get(status, f"http_{status}")
    allow = error.get_headers().copy()
    headers = {key: value for key, value in allow if key == "Allow"}
    title = (error.name or "").capitalize()
    description = error.description or title
    return problem_response(
        Problem(name, title, status, description, kind_of_status(status), {}, headers)
    )


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions["rosetta"] = Library(settings)
    app.register_blueprint(rest)
    app.register_error_handler(HTTPException, on_http_error)
    app.register_error_handler(Exception, on_error)
    return app
