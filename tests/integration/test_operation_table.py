"""Every operation of the contract's table, called through every protocol with its real client.

An operation that one protocol lacks, or answers with another kind of result, fails here; so
does a change whose event is not the one the table names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from clients.interface import LibraryClient, RemoteError
from clients.rest import RestClient
from clients.ws import WsClient
from services.models import Book, Loan, Page
from services.operations import OPERATIONS, Operation, ResultKind
from tests.conftest import API_TOKEN
from tests.integration.conftest import CLIENTS
from tests.live import LiveGateway
from tests.support import book_fields

RESULT_TYPES: dict[ResultKind, type] = {
    ResultKind.BOOK: Book,
    ResultKind.PAGE_OF_BOOKS: Page,
    ResultKind.LOAN: Loan,
    ResultKind.LIST_OF_LOANS: list,
    ResultKind.NOTHING: type(None),
}


class Prepared:
    """A fresh book (and, when asked, a loan of it) made through REST for one call."""

    def __init__(self, helper: LibraryClient) -> None:
        self.helper = helper
        self.fields = book_fields()
        self.isbn: str = self.fields["isbn"]
        self.book = helper.add_book(**self.fields)

    def loan_id(self) -> str:
        return self.helper.borrow_book(self.isbn, "table-walker").id


# How to call each operation on a book of its own. A new operation in the table without an
# entry here fails the walk, so the table cannot grow past what the test calls.
ARGUMENTS: dict[str, Callable[[Prepared], dict[str, Any]]] = {
    "list_books": lambda p: {"q": p.fields["title"], "limit": 5},
    "get_book": lambda p: {"isbn": p.isbn},
    "add_book": lambda p: book_fields(),
    "update_book": lambda p: {"isbn": p.isbn, "price": "13.75", "expected_version": 1},
    "remove_book": lambda p: {"isbn": p.isbn},
    "borrow_book": lambda p: {"isbn": p.isbn, "member": "table-walker"},
    "return_book": lambda p: {"loan_id": p.loan_id()},
    "list_loans": lambda p: {"isbn": p.isbn, "open_only": False},
    "get_loan": lambda p: {"loan_id": p.loan_id()},
}


def test_every_operation_of_the_table_has_arguments_here() -> None:
    assert set(ARGUMENTS) == set(OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_every_operation_answers_through_every_protocol(
    gateway: LiveGateway, client: LibraryClient, operation: Operation
) -> None:
    helper = RestClient(gateway.url)
    watcher = WsClient(gateway.url)
    try:
        if operation.events:
            watcher.subscribe(*operation.events)
        prepared = Prepared(helper)
        arguments = ARGUMENTS[operation.name](prepared)
        result = getattr(client, operation.name)(**arguments)
        assert isinstance(result, RESULT_TYPES[operation.result])
        if operation.events:
            touched = str(arguments.get("isbn") or getattr(result, "isbn", prepared.isbn))
            assert _next_event_of(watcher, touched) in operation.events
    finally:
        watcher.close()
        helper.close()


@pytest.mark.parametrize("protocol", sorted(CLIENTS))
def test_with_a_token_configured_exactly_the_tables_changes_need_it(
    token_gateway: LiveGateway, protocol: str
) -> None:
    helper = RestClient(token_gateway.url, token=API_TOKEN)
    anonymous = CLIENTS[protocol](token_gateway.url)
    try:
        for operation in OPERATIONS.values():
            arguments = ARGUMENTS[operation.name](Prepared(helper))
            call = getattr(anonymous, operation.name)
            if operation.changes:
                with pytest.raises(RemoteError) as refused:
                    call(**arguments)
                assert refused.value.kind == "not_allowed", operation.name
            else:
                assert isinstance(call(**arguments), RESULT_TYPES[operation.result])
    finally:
        anonymous.close()
        helper.close()


def test_rest_has_one_route_per_operation(gateway: LiveGateway) -> None:
    document = httpx.get(f"{gateway.rest_url}/openapi.json").json()
    routes = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    # Besides the operations, REST has one resource of its own: the entry point at /rest.
    assert sorted(routes) == sorted([*OPERATIONS, "entry_point"])


def _next_event_of(watcher: WsClient, isbn: str) -> str:
    """The type of the first pushed event about this book (loans carry their book's isbn)."""
    for event in watcher.events(timeout=30):
        if event["data"].get("isbn") == isbn:
            return str(event["type"])
    raise AssertionError(f"no event about {isbn} arrived")
