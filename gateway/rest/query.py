"""Query strings held to the route's declaration, as SOAP and JSON-RPC hold their params.

FastAPI reads the query parameters a route declares and drops the others, and of a repeated
one it keeps the last. Either way a mistyped filter (`?colour=red`) or a second value
(`?limit=5&limit=6`) would answer as if it were not there, where SOAP and JSON-RPC refuse an
unknown parameter. Here each route refuses, as invalid input, a name its declaration does not
have and a second value of a parameter that is not a list.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, Union, get_args, get_origin

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from services.errors import FieldError, InvalidInput

_LISTS = (list, tuple, set, frozenset, Sequence)


class StrictQueryRoute(APIRoute):
    """An APIRoute whose query string may hold only what the route declares, once each."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        declared = declared_query(self.dependant)
        operation = self.name

        async def checked(request: Request) -> Response:
            if request.scope["query_string"]:
                refuse_undeclared(request.query_params, declared, operation)
            return await handler(request)

        return checked


def declared_query(dependant: Dependant) -> dict[str, bool]:
    """Each query parameter the route reads, by the name it has in the URL: is it a list?"""
    return {name: is_list_annotation(annotation) for name, annotation in _query_fields(dependant)}


def _query_fields(dependant: Dependant) -> Iterator[tuple[str, Any]]:
    # The route's own parameters and those of the dependencies it declares, all read alike.
    for field in dependant.query_params:
        yield field.alias, field.field_info.annotation
    for dependency in dependant.dependencies:
        yield from _query_fields(dependency)


def refuse_undeclared(query: QueryParams, declared: dict[str, bool], operation: str) -> None:
    """Raises InvalidInput naming every unknown parameter and every repeated single one."""
    counts: dict[str, int] = {}
    for name, _ in query.multi_items():
        counts[name] = counts.get(name, 0) + 1
    takes = ", ".join(declared) or "none"
    errors = [
        FieldError(name, f"is not a query parameter of {operation}; it takes {takes}")
        for name in counts
        if name not in declared
    ] + [
        FieldError(name, f"is given {count} times; it takes one value")
        for name, count in counts.items()
        if count > 1 and name in declared and not declared[name]
    ]
    if errors:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"invalid query of {operation}: {summary}", errors)


def is_list_annotation(annotation: Any) -> bool:
    """Whether a parameter of this type takes every value of a repeated name, as FastAPI does."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:  # Optional[list[str]], list[str] | None
        return any(is_list_annotation(member) for member in get_args(annotation))
    return annotation in _LISTS or origin in _LISTS
