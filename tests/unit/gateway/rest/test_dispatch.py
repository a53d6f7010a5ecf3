"""The REST routes served from FastAPI's declarations: all of them, checked as FastAPI checks."""

from __future__ import annotations

import pytest
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import QueryParams
from starlette.requests import Request

from gateway.metrics import Metrics
from gateway.rest.api import create_rest_app
from gateway.rest.dispatch import LeanRoute, lean_route
from gateway.runtime import Runtime
from gateway.settings import Settings


def api_routes() -> list[APIRoute]:
    settings = Settings()
    app = create_rest_app(Runtime(settings, Metrics(settings.instance_name)))
    return [route for route in app.router.routes if isinstance(route, APIRoute)]


def route_named(name: str) -> LeanRoute:
    lean = lean_route(next(route for route in api_routes() if route.name == name))
    assert lean is not None
    return lean


def request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "query_string": query.encode()})


def test_every_route_of_the_api_is_served_without_fastapis_solver() -> None:
    assert [route.name for route in api_routes() if lean_route(route) is None] == []


@pytest.mark.parametrize(
    "query", ["limit=abc", "limit=0&offset=-1", "limit=101", "format=pdf", "offset=1.5"]
)
def test_query_errors_are_fastapis_own(query: str) -> None:
    lean = route_named("list_books")
    _, expected_errors = request_params_to_args(
        lean.route.dependant.query_params, QueryParams(query)
    )
    assert expected_errors
    with pytest.raises(RequestValidationError) as raised:
        lean.arguments(request(query), {})
    assert list(raised.value.errors()) == expected_errors


def test_query_values_and_defaults_are_fastapis_own() -> None:
    lean = route_named("list_books")
    query = "q=design&limit=5&format=xml"
    expected, errors = request_params_to_args(lean.route.dependant.query_params, QueryParams(query))
    assert not errors
    given = lean.arguments(request(query), {})
    assert {name: given[name] for name in expected} == expected
    absent = lean.arguments(request(""), {})
    defaults, _ = request_params_to_args(lean.route.dependant.query_params, QueryParams(""))
    assert {name: absent[name] for name in defaults} == defaults
