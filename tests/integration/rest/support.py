"""Small helpers for the REST tests: a client on the live gateway, a fresh book, problem checks."""

from __future__ import annotations

from typing import Any

import httpx

from tests.live import LiveGateway
from tests.support import book_fields

SAMPLE_ISBN = "9780132350884"  # a sample book: read it, never change it
SAMPLE_HYPHENATED = "978-0-13-235088-4"
PROBLEM_JSON = "application/problem+json"


def rest_client(gateway: LiveGateway, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=gateway.rest_url, headers=headers, timeout=30)


def add_book(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """A new book of this test's own, as the server returned it."""
    answer = client.post("/books", json=book_fields(**overrides))
    assert answer.status_code == 201, answer.text
    book: dict[str, Any] = answer.json()
    return book


def borrow(client: httpx.Client, isbn: str, member: str = "ada") -> dict[str, Any]:
    answer = client.post("/loans", json={"isbn": isbn, "member": member})
    assert answer.status_code == 201, answer.text
    loan: dict[str, Any] = answer.json()
    return loan


def problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The RFC 9457 body of an error answer, after checking its standard members."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert body["kind"] == kind
    assert body["type"].startswith("urn:rosetta:problem:")
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == answer.request.url.path
    return body


def field_names(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body["errors"]}
