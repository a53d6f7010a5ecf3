"""Changes need the API token when the server has one; reads never do."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import API_TOKEN
from tests.integration.rest.support import SAMPLE_ISBN, add_book, borrow, problem, rest_client
from tests.live import LiveGateway
from tests.support import book_fields


@pytest.fixture
def anonymous(token_gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(token_gateway) as client:
        yield client


@pytest.fixture
def trusted(token_gateway: LiveGateway) -> Iterator[httpx.Client]:
    with rest_client(token_gateway, API_TOKEN) as client:
        yield client


def test_reads_need_no_token(anonymous: httpx.Client) -> None:
    assert anonymous.get(f"/books/{SAMPLE_ISBN}").status_code == 200
    assert anonymous.get("/books").status_code == 200
    assert anonymous.get("/loans").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200


def test_a_change_without_a_token_is_401_with_a_bearer_challenge(anonymous: httpx.Client) -> None:
    answer = anonymous.post("/books", json=book_fields())
    body = problem(answer, 401, "not_allowed")
    assert body["credentials"] == "missing"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_change_with_a_wrong_token_is_403(anonymous: httpx.Client) -> None:
    fields = book_fields()
    answer = anonymous.post("/books", json=fields, headers={"Authorization": "Bearer nope"})
    body = problem(answer, 403, "not_allowed")
    assert body["credentials"] == "invalid"
    assert anonymous.get(f"/books/{fields['isbn']}").status_code == 404


def test_another_scheme_counts_as_no_token(anonymous: httpx.Client) -> None:
    answer = anonymous.post(
        "/books", json=book_fields(), headers={"Authorization": f"Basic {API_TOKEN}"}
    )
    problem(answer, 401, "not_allowed")


def test_every_change_is_refused_without_the_token(
    trusted: httpx.Client, anonymous: httpx.Client
) -> None:
    book = add_book(trusted)
    loan = borrow(trusted, book["isbn"])
    path = f"/books/{book['isbn']}"
    refused = [
        anonymous.post("/books", json=book_fields()),
        anonymous.patch(path, json={"copies": 5}),
        anonymous.delete(path),
        anonymous.post("/loans", json={"isbn": book["isbn"], "member": "eve"}),
        anonymous.patch(f"/loans/{loan['id']}", json={"returned": True}),
    ]
    for answer in refused:
        problem(answer, 401, "not_allowed")
    assert trusted.get(path).json()["version"] == book["version"] + 1  # only the borrow


def test_every_change_works_with_the_token(trusted: httpx.Client) -> None:
    book = add_book(trusted)
    path = f"/books/{book['isbn']}"
    assert trusted.patch(path, json={"copies": 5}).status_code == 200
    loan = borrow(trusted, book["isbn"])
    assert trusted.patch(f"/loans/{loan['id']}", json={"returned": True}).status_code == 200
    assert trusted.delete(path).status_code == 204


CHANGES = [
    ("/books", "post"),
    ("/books/{isbn}", "patch"),
    ("/books/{isbn}", "delete"),
    ("/loans", "post"),
    ("/loans/{loan_id}", "patch"),
]
READS = [
    ("/books", "get"),
    ("/books/{isbn}", "get"),
    ("/loans", "get"),
    ("/loans/{loan_id}", "get"),
]


def test_the_openapi_document_declares_the_bearer_scheme(anonymous: httpx.Client) -> None:
    document = anonymous.get("/openapi.json").json()
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, method in CHANGES:
        operation = document["paths"][path][method]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(operation["responses"])
    for path, method in READS:
        assert "security" not in document["paths"][path][method]
    assert "runs with an API token" in document["info"]["description"]
