"""The API token over SOAP: as an HTTP bearer token or a WS-Security UsernameToken, via zeep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from tests.conftest import API_TOKEN
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

SAMPLE_ISBN = "9780132350884"


@pytest.fixture
def connect(token_gateway: LiveGateway) -> Iterator[Callable[..., Any]]:
    """Opens zeep clients on the token gateway, with a bearer token and/or WS-Security."""
    clients: list[zeep.Client] = []

    def open_client(bearer: str | None = None, wsse: Any = None) -> Any:
        session = requests.Session()
        if bearer is not None:
            session.headers["Authorization"] = f"Bearer {bearer}"
        transport = zeep.Transport(session=session)
        client = zeep.Client(token_gateway.wsdl_url, transport=transport, wsse=wsse)
        clients.append(client)
        return client.service

    yield open_client
    for client in clients:
        client.transport.session.close()


def new_book(**overrides: Any) -> dict[str, Any]:
    fields = book_fields(**overrides)
    return {
        **fields,
        "published": date.fromisoformat(fields["published"]),
        "price": Decimal(fields["price"]),
        "authors": {"author": fields["authors"]},
        "tags": {"tag": fields["tags"]},
    }


def username_token(password: str, digest: bool = False) -> Any:
    """A WS-Security UsernameToken; the username is free, the token is the password."""
    return UsernameToken("librarian", password, use_digest=digest)


def refusal(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str | None]:
    """The faultcode and detail `credentials` of a call that must be refused."""
    with pytest.raises(Fault) as raised:
        call(*args, **kwargs)
    fault = raised.value
    assert fault.detail.findtext("kind") == "not_allowed"
    return str(fault.code), fault.detail.findtext("credentials")


def test_reads_need_no_token(connect: Callable[..., Any]) -> None:
    soap = connect()
    assert soap.GetBook(SAMPLE_ISBN).isbn == SAMPLE_ISBN
    assert soap.ListBooks(limit=1).limit == 1
    soap.ListLoans(member="nobody")


CHANGES: dict[str, Callable[[Any], Any]] = {
    "AddBook": lambda soap: soap.AddBook(**new_book()),
    "UpdateBook": lambda soap: soap.UpdateBook(isbn=fresh_isbn(), title="x"),
    "RemoveBook": lambda soap: soap.RemoveBook(fresh_isbn()),
    "BorrowBook": lambda soap: soap.BorrowBook(isbn=fresh_isbn(), member="ada"),
    "ReturnBook": lambda soap: soap.ReturnBook(loan_id="no-such-loan"),
}


@pytest.mark.parametrize("operation", sorted(CHANGES))
def test_every_change_without_a_token_is_refused(
    connect: Callable[..., Any], operation: str
) -> None:
    code, credentials = refusal(CHANGES[operation], connect())
    assert code.endswith("Client.NotAllowed")
    assert credentials == "missing"


def test_the_token_is_checked_before_the_input(connect: Callable[..., Any]) -> None:
    _, credentials = refusal(connect().AddBook, **new_book(isbn="not an isbn", copies=-1))
    assert credentials == "missing"


def test_a_wrong_bearer_token_is_refused_as_invalid(connect: Callable[..., Any]) -> None:
    code, credentials = refusal(connect(bearer="guess").AddBook, **new_book())
    assert code.endswith("Client.NotAllowed")
    assert credentials == "invalid"


def test_a_wrong_ws_security_password_is_refused_as_invalid(connect: Callable[..., Any]) -> None:
    soap = connect(wsse=username_token("guess"))
    assert refusal(soap.AddBook, **new_book())[1] == "invalid"


def test_a_password_digest_is_refused_as_invalid(connect: Callable[..., Any]) -> None:
    soap = connect(wsse=username_token(API_TOKEN, digest=True))
    assert refusal(soap.AddBook, **new_book())[1] == "invalid"


def test_the_message_token_wins_over_the_bearer_token(connect: Callable[..., Any]) -> None:
    soap = connect(bearer=API_TOKEN, wsse=username_token("guess"))
    assert refusal(soap.AddBook, **new_book())[1] == "invalid"


def run_every_change(soap: Any) -> None:
    book = soap.AddBook(**new_book(copies=1))
    assert soap.UpdateBook(isbn=book.isbn, copies=2).copies == 2
    loan = soap.BorrowBook(isbn=book.isbn, member="ada")
    assert soap.ReturnBook(loan_id=loan.id).returned_at is not None
    assert soap.RemoveBook(book.isbn) is None


def test_the_bearer_token_allows_every_change(connect: Callable[..., Any]) -> None:
    run_every_change(connect(bearer=API_TOKEN))


def test_a_ws_security_username_token_allows_every_change(connect: Callable[..., Any]) -> None:
    run_every_change(connect(wsse=username_token(API_TOKEN)))
