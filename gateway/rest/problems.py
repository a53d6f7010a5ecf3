"""Every REST error as RFC 9457 problem details, each cause mapped in one place.

The body is `application/problem+json`, or `application/problem+xml` (RFC 9457, appendix B)
for a client that prefers XML. Besides the standard members it carries `kind`, the domain
error kind that SOAP and JSON-RPC name too, `errors` for invalid input, and the domain error's
own details (such as `current_version` on a version mismatch). Server faults are logged with
their traceback and answered with no detail of their cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.metrics import label_request
from gateway.rest.formats import Format
from gateway.rest.negotiation import json_bytes, preferred_format
from gateway.rest.refusals import NotAcceptable, RestProblem
from gateway.rest.xml_form import PROBLEM_NAMESPACE, to_xml
from services.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotAllowed,
    NotFound,
    VersionMismatch,
)

log = logging.getLogger("gateway.rest.api")

PROBLEM_TYPE_PREFIX = "urn:rosetta:problem:"
PROBLEM_JSON = "application/problem+json"
PROBLEM_XML = "application/problem+xml"
SERVER_FAULT_DETAIL = "the server failed to answer this request; the fault has been logged"
WWW_AUTHENTICATE = 'Bearer realm="rosetta"'

# The one table of domain kinds: status and title. NotAllowed answers 401 instead when the
# credentials are missing, so the client knows to send some rather than other ones.
KINDS: Mapping[str, tuple[int, str]] = {
    InvalidInput.kind: (422, "Invalid input"),
    NotFound.kind: (404, "Not found"),
    Conflict.kind: (409, "Conflict"),
    VersionMismatch.kind: (412, "Version mismatch"),
    NotAllowed.kind: (403, "Not allowed"),
    DomainError.kind: (500, "Server fault"),
}
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "kind", "errors"})


def operation_of(scope: Scope) -> str:
    """The contract operation of the matched route (its name), for the metrics."""
    route = scope.get("route")
    return route.name if isinstance(route, APIRoute) else "unknown"


def problem_response(
    request: Request,
    *,
    name: str,
    title: str,
    status: int,
    detail: str,
    kind: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    xml_allowed: bool = True,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + name,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "kind": kind,
        **(extra or {}),
    }
    all_headers = {"Vary": "Accept", **(headers or {})}
    accept = request.headers.get("accept")
    if xml_allowed and accept and preferred_format(accept) is Format.XML:
        content = to_xml("problem", body, {"errors": "i"}, PROBLEM_NAMESPACE)
        return Response(content, status, headers=all_headers, media_type=PROBLEM_XML)
    return Response(json_bytes(body), status, headers=all_headers, media_type=PROBLEM_JSON)


async def on_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    status, title = KINDS.get(error.kind, KINDS[DomainError.kind])
    label_request(request.scope, operation_of(request.scope), error.kind)
    if status >= 500:
        log.error("server fault in %s %s", request.method, request.url.path, exc_info=error)
        return _server_fault(request)
    headers = {}
    if isinstance(error, NotAllowed) and error.details.get("credentials") == "missing":
        status = 401
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    extra: dict[str, Any] = {
        key: value
        for key, value in error.details.items()
        if key not in _STANDARD_MEMBERS and isinstance(value, str | int | bool)
    }
    if isinstance(error, InvalidInput):
        extra["errors"] = [field.as_dict() for field in error.errors]
    return problem_response(
        request,
        name=error.kind,
        title=title,
        status=status,
        detail=error.message,
        kind=error.kind,
        extra=extra,
        headers=headers,
    )


async def on_validation_error(request: Request, error: Exception) -> Response:
    """FastAPI's own checks of parameters, answered like the domain's invalid input."""
    assert isinstance(error, RequestValidationError)
    fields = [FieldError(_field_name(e["loc"]), e["msg"]) for e in error.errors()]
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields)
    return await on_domain_error(request, InvalidInput(f"invalid request: {summary}", fields))


def _field_name(location: tuple[int | str, ...]) -> str:
    # ("query", "limit") names the parameter; deeper parts name list entries, as the domain does.
    parts = [str(part) for part in location[1:]] or [str(part) for part in location]
    return ".".join(parts)


async def on_rest_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, RestProblem)
    label_request(request.scope, operation_of(request.scope), error.kind)
    return problem_response(
        request,
        name=error.name,
        title=error.title,
        status=error.status,
        detail=error.detail,
        kind=error.kind,
        headers=error.headers,
        # A client that accepts neither format gets the one this API documents for errors.
        xml_allowed=not isinstance(error, NotAcceptable),
    )


class RoutingErrors:
    """Starlette's routing errors: no such path (404) or no such method on it (405).

    Starlette's 405 names only the first route of the path, and FastAPI makes one route per
    method, so the Allow header is rebuilt here from every route of the adapter.
    """

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self.routes = [route for route in routes if isinstance(route, APIRoute)]

    def allowed_methods(self, path: str) -> str:
        methods = {
            method
            for route in self.routes
            if route.path_regex.match(path)
            for method in route.methods or ()
        }
        if "GET" in methods:
            methods.add("HEAD")  # served by rest_head.HeadAsGet
        return ", ".join(sorted(methods))

    async def __call__(self, request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        status = error.status_code
        headers = error.headers
        root: str = request.scope.get("root_path", "")
        if status == 404:
            name, kind = NotFound.kind, NotFound.kind
            detail = f"nothing is at {request.url.path}; the API is described at {root}/docs"
        elif status == 405:
            name, kind = "method_not_allowed", InvalidInput.kind
            allowed = self.allowed_methods(request.url.path.removeprefix(root))
            headers = {"Allow": allowed}
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
        else:
            name, kind, detail = f"http_{status}", _kind_of_status(status), str(error.detail)
        label_request(request.scope, "unknown", kind)
        return problem_response(
            request,
            name=name,
            title=HTTPStatus(status).phrase.capitalize(),
            status=status,
            detail=detail,
            kind=kind,
            headers=headers,
        )


def _kind_of_status(status: int) -> str:
    if status >= 500:
        return DomainError.kind
    return NotAllowed.kind if status in (401, 403) else InvalidInput.kind


def _server_fault(request: Request) -> Response:
    status, title = KINDS[DomainError.kind]
    return problem_response(
        request,
        name=DomainError.kind,
        title=title,
        status=status,
        detail=SERVER_FAULT_DETAIL,
        kind=DomainError.kind,
    )


class FaultBarrier:
    """ASGI middleware: any unexpected exception is logged and answered as a 500 problem.

    It sits inside FastAPI's own error middleware, which would answer in plain text and then
    re-raise to the server; here the exception stops, with its traceback in our log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except ClientDisconnect:
            # The client left before its body arrived: nobody to answer, and no server fault;
            # counted as the client's incomplete input.
            label_request(scope, operation_of(scope), InvalidInput.kind)
        except Exception:
            request = Request(scope, receive)
            log.exception("server fault in %s %s", request.method, request.url.path)
            label_request(scope, operation_of(scope), DomainError.kind)
            if started:
                raise  # half a response is out; only the server can end the exchange now
            await _server_fault(request)(scope, receive, send)


def install(app: FastAPI, *routers: APIRouter) -> None:
    """Answers every error of `app` as a problem; `routers` are the ones it includes."""
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(RestProblem, on_rest_problem)
    routes = [route for router in routers for route in router.routes]
    app.add_exception_handler(HTTPException, RoutingErrors(routes))
    app.add_middleware(FaultBarrier)
