"""The REST routes FastAPI declares, served per request without FastAPI's generic machinery.

FastAPI reads each route's signature once and builds from it the parameters' pydantic fields,
the OpenAPI document and the docs; all of that stays FastAPI's. Per request, though, its route
handler re-derives what it needs from those fields (sequence or not, param model or not,
aliases), builds a throwaway response and two exit stacks, and the app adds five middleware
layers and a telemetry check. In a profile of get_book under load that was more than half of
the adapter's own time, more than the service's.

A route whose endpoint takes only the Request, path parameters and query parameters, and
returns a Response (every route of the API here), is served by `LeanDispatch` instead: the
same fields validate the same values with the same error locations, a failure raises the same
RequestValidationError, and every exception goes through the app's own exception handlers and
its middleware. What `LeanDispatch` cannot serve (the docs, openapi.json, unknown paths and
methods, a route with a body model, headers or dependencies) goes through FastAPI as before.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from fastapi import FastAPI
from fastapi._compat import ModelField, get_missing_field_error
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette._utils import get_route_path
from starlette.datastructures import QueryParams
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.rest.query import declared_query, is_list_annotation, refuse_undeclared

Endpoint = Callable[..., Awaitable[Response]]
_ATOMS = (type(None), bool, int, float, str, bytes, Enum)
_LEAN_KEY = "rosetta.lean_route"


@dataclass(frozen=True)
class Parameter:
    """One path or query parameter of a route, as FastAPI's field declares it."""

    name: str  # the endpoint's argument
    alias: str  # the name in the URL
    field: ModelField
    location: str  # "path" or "query": the first part of an error's `loc`
    is_list: bool

    def absent(self) -> tuple[Any, list[Any]]:
        """What FastAPI passes for a parameter the request does not give: its default."""
        if self.field.field_info.is_required():
            return None, [get_missing_field_error((self.location, self.alias))]
        default = self.field.default
        # FastAPI deep-copies every default; a number, a string, an enum or None needs no copy.
        value = default if isinstance(default, _ATOMS) else copy.deepcopy(default)
        if self.field.field_info.validate_default:
            return self.field.validate(value, {}, loc=(self.location, self.alias))
        return value, []

    def given(self, value: Any) -> tuple[Any, list[Any]]:
        return self.field.validate(value, {}, loc=(self.location, self.alias))


class LeanRoute:
    """An APIRoute served directly: match, validate the parameters, call, send."""

    def __init__(self, route: APIRoute, request_name: str) -> None:
        self.route = route
        self.endpoint: Endpoint = route.dependant.call  # type: ignore[assignment]
        self.request_name = request_name
        self.path_params = [_parameter(f, "path") for f in route.dependant.path_params]
        self.query_params = [_parameter(f, "query") for f in route.dependant.query_params]
        self.declared = declared_query(route.dependant)
        # Without a query string every query parameter takes its default: solved once here.
        self.absent_query = [(p, p.absent()) for p in self.query_params]

    def matches(self, scope: Scope, route_path: str) -> dict[str, Any] | None:
        """The path parameters if this route answers the request's method and path."""
        route = self.route
        if route.methods and scope["method"] not in route.methods:
            return None
        match = route.path_regex.match(route_path)
        if match is None:
            return None
        params = match.groupdict()
        for key, value in params.items():
            params[key] = route.param_convertors[key].convert(value)
        return params

    def arguments(self, request: Request, path_params: dict[str, Any]) -> dict[str, Any]:
        """The endpoint's arguments, or RequestValidationError as FastAPI would raise it."""
        values: dict[str, Any] = {self.request_name: request}
        errors: list[Any] = []
        for parameter in self.path_params:
            _solve(parameter, parameter.given(path_params[parameter.alias]), values, errors)
        if request.scope["query_string"]:
            query = request.query_params
            refuse_undeclared(query, self.declared, self.route.name)
            for parameter in self.query_params:
                _solve(parameter, _from_query(parameter, query), values, errors)
        else:
            for parameter, solved in self.absent_query:
                _solve(parameter, solved, values, errors)
        if errors:
            raise RequestValidationError(errors)
        return values

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        response = await self.endpoint(**self.arguments(request, scope["path_params"]))
        await response(scope, receive, send)


def _solve(
    parameter: Parameter, solved: tuple[Any, list[Any]], values: dict[str, Any], errors: list[Any]
) -> None:
    value, problems = solved
    if problems:
        errors.extend(problems)
    else:
        values[parameter.name] = value


def _from_query(parameter: Parameter, query: QueryParams) -> tuple[Any, list[Any]]:
    # As FastAPI reads a query: every value of a list parameter, the last of any other.
    if parameter.is_list:
        values = query.getlist(parameter.alias)
        return parameter.given(values) if values else parameter.absent()
    value = query.get(parameter.alias)
    return parameter.absent() if value is None else parameter.given(value)


def _parameter(field: ModelField, location: str) -> Parameter:
    is_list = is_list_annotation(field.field_info.annotation)
    return Parameter(field.name, field.alias, field, location, is_list)


def lean_route(route: BaseRoute) -> LeanRoute | None:
    """The route as a LeanRoute, or None when it needs something only FastAPI's handler does."""
    if not isinstance(route, APIRoute):
        return None
    dependant = route.dependant
    call = dependant.call
    if (
        call is None
        or not inspect.iscoroutinefunction(call)
        or dependant.request_param_name is None
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.dependencies
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.http_connection_param_name
        or dependant.websocket_param_name
        or not _returns_response(call)
    ):
        return None
    fields = [*dependant.path_params, *dependant.query_params]
    # A field read under another name than its alias, or as a whole model, is FastAPI's to read.
    if any(_is_model(f) or f.field_info.validation_alias not in (None, f.alias) for f in fields):
        return None
    return LeanRoute(route, dependant.request_param_name)


def _returns_response(call: Callable[..., Any]) -> bool:
    returned = inspect.signature(call, eval_str=True).return_annotation
    return inspect.isclass(returned) and issubclass(returned, Response)


def _is_model(field: ModelField) -> bool:
    annotation = field.field_info.annotation
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


class LeanDispatch:
    """Serves the lean routes of a FastAPI app inside its own error handling; None for the rest.

    Routes are tried in the app's order, as its router would: a route FastAPI must serve that
    matches first is left to FastAPI.
    """

    def __init__(self, app: FastAPI, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.table = [(route, lean_route(route)) for route in routes]
        self._stack: ASGIApp | None = None

    def find(self, scope: Scope) -> tuple[LeanRoute, dict[str, Any]] | None:
        route_path = get_route_path(scope)
        for route, lean in self.table:
            if lean is None:
                if route.matches(scope)[0] is Match.FULL:
                    return None
                continue
            params = lean.matches(scope, route_path)
            if params is not None:
                return lean, params
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serves the request and says True, or says False to leave it to FastAPI."""
        found = self.find(scope)
        if found is None:
            return False
        lean, params = found
        scope["app"] = self.app
        scope.setdefault("router", self.app.router)
        scope["route"] = lean.route
        scope["endpoint"] = lean.endpoint
        scope["path_params"] = {**scope.get("path_params", {}), **params}
        scope[_LEAN_KEY] = lean
        await self.stack()(scope, receive, send)
        return True

    def stack(self) -> ASGIApp:
        """The app's own middleware and exception handlers around the lean route, built at the
        first request, once every handler is installed (as Starlette builds its own)."""
        if self._stack is None:
            handlers = {
                key: handler
                for key, handler in self.app.exception_handlers.items()
                if key not in (500, Exception)
            }
            app: ASGIApp = ExceptionMiddleware(_route_app, handlers=handlers)
            for middleware in reversed(self.app.user_middleware):
                app = middleware.cls(app, *middleware.args, **middleware.kwargs)
            self._stack = app
        return self._stack


async def _route_app(scope: Scope, receive: Receive, send: Send) -> None:
    lean: LeanRoute = scope[_LEAN_KEY]
    await lean(scope, receive, send)
