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
from gateway.rest.problem_details import (
    KINDS,
    PROBLEM_JSON,
    PROBLEM_XML,
    WWW_AUTHENTICATE,
    Problem,
    domain_problem,
    kind_of_status,
    server_fault,
)
from gateway.rest.refusals import NotAcceptable, RestProblem
from gateway.rest.xml_form import PROBLEM_NAMESPACE, to_xml
from services.errors import DomainError, FieldError, InvalidInput, NotFound

log = logging.getLogger("gateway.rest.api")

__all__ = ["KINDS", "PROBLEM_JSON", "PROBLEM_XML", "WWW_AUTHENTICATE", "install"]


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
    body = Problem(name, title, status, detail, kind, extra or {}).body(request.url.path)
    all_headers = {"Vary": "Accept", **(headers or {})}
    accept = request.headers.get("accept")
    if xml_allowed and accept and preferred_format(accept) is Format.XML:
        content = to_xml("problem", body, {"errors": "i"}, PROBLEM_NAMESPACE)
        return Response(content, status, headers=all_headers, media_type=PROBLEM_XML)
    return Response(json_bytes(body), status, headers=all_headers, media_type=PROBLEM_JSON)


async def on_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    label_request(request.scope, operation_of(request.scope), error.kind)
    problem = domain_problem(error)
    if problem.is_server_fault:
        log.error("server fault in %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        request,
        name=problem.name,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        kind=problem.kind,
        extra=problem.extra,
        headers=problem.headers,
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
            name, kind, detail = f"http_{status}", kind_of_status(status), str(error.detail)
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


def _server_fault(request: Request) -> Response:
    fault = server_fault()
    return problem_response(
        request,
        name=fault.name,
        title=fault.title,
        status=fault.status,
        detail=fault.detail,
        kind=fault.kind,
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
