"""The loans resource: /rest/loans and /rest/loans/{loan_id}.

Returning a book is a state change of its loan, so it is a PATCH of the loan with
`{"returned": true}` rather than a verb in the URL; the server sets `returned_at`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.requests import Request
from starlette.responses import Response

from gateway.json_models import BorrowIn
from gateway.rest.formats import Format
from gateway.rest.json_body import reject_unknown, returned_flag
from gateway.rest.links import loan_list_resource, loan_path, loan_resource, mount_path
from gateway.rest.models import LoanCollection, LoanResource, LoanReturn
from gateway.rest.negotiation import LOAN, LOAN_LIST, FormatOverride, negotiate, reply
from gateway.rest.openapi import (
    IF_NONE_MATCH,
    NOT_MODIFIED,
    change,
    json_body,
    problems,
    representation,
)
from gateway.rest.query import StrictQueryRoute
from gateway.rest.requests import admit, json_object
from gateway.runtime import Runtime
from services.models import Loan

LoanIdPath = Annotated[str, Path(description="the loan's opaque id", examples=["3f2a9c..."])]

RETURN_DESCRIPTION = """Returning a book is a state change of its loan: PATCH the loan (the
`return` link of an open loan) with `{"returned": true}`. The server records `returned_at`
and frees the copy. A loan is returned once: a second return is a 409 conflict, and
`{"returned": false}` is refused (422), as a returned loan cannot be reopened."""


def loan_reply(
    request: Request,
    fmt: Format,
    loan: Loan,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    data = loan_resource(loan, mount_path(request.scope))
    return reply(request, fmt, data, LOAN, status=status, headers=headers)


def loans_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/loans", tags=["loans"], route_class=StrictQueryRoute)

    @router.get(
        "",
        name="list_loans",
        operation_id="list_loans",
        summary="List loans",
        description="Every loan that matches all the filters given, oldest first.",
        responses={
            200: representation(LoanCollection, "The matching loans"),
            304: NOT_MODIFIED,
            **problems(406, 422, 500, 503),
        },
        openapi_extra={"parameters": [IF_NONE_MATCH]},
    )
    async def list_loans(
        request: Request,
        member: Annotated[str | None, Query(description="only this member's loans")] = None,
        open_only: Annotated[bool | None, Query(description="only loans not returned")] = None,
        isbn: Annotated[str | None, Query(description="only loans of this book")] = None,
        format_override: FormatOverride = None,
    ) -> Response:
        admit(request, "list_loans", runtime.settings.token)
        fmt = negotiate(request, format_override)
        loans = await runtime.service.list_loans(member=member, open_only=open_only, isbn=isbn)
        data = loan_list_resource(loans, mount_path(request.scope), request.url.query)
        return reply(request, fmt, data, LOAN_LIST)

    @router.get(
        "/{loan_id}",
        name="get_loan",
        operation_id="get_loan",
        summary="Get a loan",
        responses={
            200: representation(LoanResource, "The loan"),
            304: NOT_MODIFIED,
            **problems(404, 406, 422, 500, 503),
        },
        openapi_extra={"parameters": [IF_NONE_MATCH]},
    )
    async def get_loan(
        request: Request, loan_id: LoanIdPath, format_override: FormatOverride = None
    ) -> Response:
        admit(request, "get_loan", runtime.settings.token)
        fmt = negotiate(request, format_override)
        return loan_reply(request, fmt, await runtime.service.get_loan(loan_id))

    @router.post(
        "",
        status_code=201,
        name="borrow_book",
        operation_id="borrow_book",
        summary="Borrow a book",
        description="Opens a loan of one copy, due in 21 days; 409 when no copy is free.",
        responses={
            201: representation(
                LoanResource, "The new loan, at its Location", "Location", "Content-Location"
            ),
            **problems(401, 403, 404, 406, 408, 409, 413, 415, 422, 500, 503),
        },
        openapi_extra=change(json_body(BorrowIn)),
    )
    async def borrow_book(request: Request) -> Response:
        admit(request, "borrow_book", runtime.settings.token)
        fmt = negotiate(request)
        fields = await json_object(request, runtime.settings)
        reject_unknown(fields, ("isbn", "member"), "loan request")
        loan = await runtime.service.borrow_book(fields.get("isbn"), fields.get("member"))
        location = loan_path(mount_path(request.scope), loan.id)
        headers = {"Location": location, "Content-Location": location}
        return loan_reply(request, fmt, loan, status=201, headers=headers)

    @router.patch(
        "/{loan_id}",
        name="return_book",
        operation_id="return_book",
        summary="Return a book: mark its loan returned",
        description=RETURN_DESCRIPTION,
        responses={
            200: representation(LoanResource, "The loan, now returned"),
            **problems(401, 403, 404, 406, 408, 409, 413, 415, 422, 500, 503),
        },
        openapi_extra=change(
            json_body(LoanReturn, "application/merge-patch+json", "application/json")
        ),
    )
    async def return_book(request: Request, loan_id: LoanIdPath) -> Response:
        admit(request, "return_book", runtime.settings.token)
        fmt = negotiate(request)
        returned_flag(await json_object(request, runtime.settings))
        return loan_reply(request, fmt, await runtime.service.return_book(loan_id))

    return router
