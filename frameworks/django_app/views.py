"""Async class-based views: each parses, awaits LibraryService and answers in Django's idiom.

Django has no lifespan hook under ASGI, so the catalogue opens on first use, behind a lock.
ConditionalGetMiddleware answers If-None-Match with 304 from the ETag a view sets (or, for
lists, from a hash of the body it computes itself).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views import View

from frameworks.common import (
    JSON,
    OFFERS,
    REST_ROOT,
    XML,
    problem_json,
    problem_of,
    query_arguments,
)
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
from gateway.rest.refusals import ContentTooLarge, NotAcceptable
from gateway.rest.xml_form import BOOK, BOOK_PAGE, LOAN, LOAN_LIST, Shape, shaped_xml
from gateway.runtime import open_from_settings
from services.catalogue import Catalogue
from services.models import Book
from services.service import LibraryService

log = logging.getLogger(__name__)


class LazyCatalogue:
    """Opened by the first request, on the server's event loop, once however many arrive."""

    def __init__(self) -> None:
        self._catalogue: Catalogue | None = None
        self._lock = asyncio.Lock()

    async def service(self) -> LibraryService:
        async with self._lock:
            if self._catalogue is None:
                self._catalogue = await open_from_settings(settings.ROSETTA)
        return self._catalogue.service


CATALOGUE = LazyCatalogue()


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    response = HttpResponse(
        problem_json(problem, request.path), status=problem.status, content_type=PROBLEM_JSON
    )
    for name, value in {"Vary": "Accept", **problem.headers}.items():
        response[name] = value
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler404: no view matched the path."""
    detail = f"nothing is at {request.path}"
    return problem_response(request, Problem("not_found", "Not found", 404, detail, "not_found"))


class LibraryView(View):
    """Authorises changes, reads bodies, negotiates the format and maps every error."""

    request: HttpRequest

    # The stubs type View's methods as sync; with async handlers Django awaits what they return.
    async def dispatch(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            answer: Awaitable[HttpResponse] = super().dispatch(request, *args, **kwargs)  # type: ignore[assignment]
            response = await answer
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            refusal = ContentTooLarge(f"the request body is larger than {limit} bytes")
            return problem_response(request, problem_of(refusal))
        except Exception as error:
            problem = problem_of(error)
            if problem.is_server_fault:
                log.error("server fault in %s %s", request.method, request.path, exc_info=error)
            return problem_response(request, problem)
        return response

    async def http_method_not_allowed(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        allowed = ", ".join(m.upper() for m in self.http_method_names if hasattr(self, m))
        detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
        problem = Problem(
            "method_not_allowed",
            "Method not allowed",
            405,
            detail,
            kind_of_status(405),
            {},
            {"Allow": allowed},
        )
        return problem_response(request, problem)

    async def service(self) -> LibraryService:
        return await CATALOGUE.service()

    def authorize(self) -> None:
        token = bearer_token(self.request.headers.get("Authorization"))
        require_token(settings.ROSETTA.token, token)

    def body(self) -> dict[str, object]:
        require_json(self.request.headers.get("Content-Type"), self.request.method or "")
        return decode_object(self.request.body)

    def represent(
        self,
        data: dict[str, Any],
        shape: Shape,
        status: int = 200,
        version: int | None = None,
    ) -> HttpResponse:
        media = self.request.get_preferred_type(OFFERS)
        if media is None:
            raise NotAcceptable(f"the Accept header allows neither {JSON} nor {XML}")
        if media == JSON:
            response: HttpResponse = JsonResponse(data, status=status)
        else:
            response = HttpResponse(shaped_xml(shape, data), status=status, content_type=XML)
        if version is not None:
            response["ETag"] = version_etag(version, Format.XML if media == XML else Format.JSON)
        patch_vary_headers(response, ["Accept"])
        patch_cache_control(response, no_cache=True)
        return response

    def represent_book(
        self, book: Book, isbn_asked: str | None = None, status: int = 200
    ) -> HttpResponse:
        response = self.represent(book_resource(book, REST_ROOT), BOOK, status, book.version)
        if isbn_asked is not None and isbn_asked != book.isbn:
            response["Content-Location"] = book_path(REST_ROOT, book.isbn)
        return response


def created(response: HttpResponse, location: str) -> HttpResponse:
    """A 201 names the new resource; its body is that resource's representation."""
    response["Location"] = response["Content-Location"] = location
    return response


class BooksView(LibraryView):
    async def get(self, request: HttpRequest) -> HttpResponse:
        service = await self.service()
        page = await service.list_books(**query_arguments("list_books", request.GET.get))
        filters = {name: request.GET.get(name) for name in ("q", "author", "tag")}
        return self.represent(page_resource(page, REST_ROOT, filters), BOOK_PAGE)

    async def post(self, request: HttpRequest) -> HttpResponse:
        self.authorize()
        book = await (await self.service()).add_book(self.body())
        return created(self.represent_book(book, status=201), book_path(REST_ROOT, book.isbn))


class BookView(LibraryView):
    async def get(self, request: HttpRequest, isbn: str) -> HttpResponse:
        service = await self.service()
        return self.represent_book(await service.get_book(isbn), isbn)

    async def patch(self, request: HttpRequest, isbn: str) -> HttpResponse:
        self.authorize()
        changes = self.body()
        service = await self.service()
        version = await expected_version(service, isbn, request.headers.get("If-Match"))
        return self.represent_book(await service.update_book(isbn, changes, version), isbn)

    async def delete(self, request: HttpRequest, isbn: str) -> HttpResponse:
        self.authorize()
        service = await self.service()
        version = await expected_version(service, isbn, request.headers.get("If-Match"))
        await service.remove_book(isbn, version)
        return HttpResponse(status=204)


class LoansView(LibraryView):
    async def get(self, request: HttpRequest) -> HttpResponse:
        service = await self.service()
        loans = await service.list_loans(**query_arguments("list_loans", request.GET.get))
        data = loan_list_resource(loans, REST_ROOT, request.META.get("QUERY_STRING", ""))
        return self.represent(data, LOAN_LIST)

    async def post(self, request: HttpRequest) -> HttpResponse:
        self.authorize()
        fields = self.body()
        reject_unknown(fields, ("isbn", "member"), "loan request")
        service = await self.service()
        loan = await service.borrow_book(fields.get("isbn"), fields.get("member"))
        response = self.represent(loan_resource(loan, REST_ROOT), LOAN, 201)
        return created(response, loan_path(REST_ROOT, loan.id))


class LoanView(LibraryView):
    async def get(self, request: HttpRequest, loan_id: str) -> HttpResponse:
        loan = await (await self.service()).get_loan(loan_id)
        return self.represent(loan_resource(loan, REST_ROOT), LOAN)

    async def patch(self, request: HttpRequest, loan_id: str) -> HttpResponse:
        self.authorize()
        returned_flag(self.body())
        loan = await (await self.service()).return_book(loan_id)
        return self.represent(loan_resource(loan, REST_ROOT), LOAN)
