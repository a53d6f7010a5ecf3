"""The REST query check reads what a route declares: which names, and which take a list."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Query
from starlette.datastructures import QueryParams

from gateway.rest.query import StrictQueryRoute, declared_query, refuse_undeclared
from services.errors import InvalidInput


async def endpoint(
    limit: int = 20,
    tag: Annotated[list[str] | None, Query()] = None,
    colour_name: Annotated[str | None, Query(alias="colour")] = None,
) -> None:
    del limit, tag, colour_name


DECLARED = declared_query(StrictQueryRoute("/books", endpoint, name="list_books").dependant)


def test_a_route_declares_its_query_parameters_by_their_url_names() -> None:
    assert DECLARED == {"limit": False, "tag": True, "colour": False}


def test_a_list_parameter_may_repeat_and_a_declared_one_may_come_once() -> None:
    refuse_undeclared(QueryParams("tag=a&tag=b&limit=5&colour=red"), DECLARED, "list_books")


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("size=3", ["size"]),
        ("colour_name=red", ["colour_name"]),  # the Python name is not the URL's
        ("limit=5&limit=6", ["limit"]),
        ("size=3&limit=5&limit=6&tag=a&tag=b", ["size", "limit"]),
    ],
)
def test_an_undeclared_or_repeated_single_parameter_is_invalid_input(
    query: str, fields: list[str]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        refuse_undeclared(QueryParams(query), DECLARED, "list_books")
    assert [error.field for error in refused.value.errors] == fields
    assert "list_books" in refused.value.message
