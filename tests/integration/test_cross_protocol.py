"""One service, three protocols: the same operations give the same domain answers."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from lxml import etree

from clients.interface import LibraryClient, RemoteError
from clients.ws import WsClient
from services.models import Book, Loan
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

SAMPLE_ISBN = "9780201633610"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def comparable(value: Any) -> Any:
    """Domain values with what differs by nature (own isbn, clock, ids) masked."""
    if isinstance(value, Book):
        return dataclasses.replace(value, isbn="*", updated_at=EPOCH)
    if isinstance(value, Loan):
        returned = None if value.returned_at is None else EPOCH
        return dataclasses.replace(value, id="*", isbn="*", borrowed_at=EPOCH, returned_at=returned)
    if isinstance(value, list | tuple):
        return [comparable(item) for item in value]
    return value


def test_reads_give_equal_domain_values(all_clients: dict[str, LibraryClient]) -> None:
    books = {name: c.get_book(SAMPLE_ISBN) for name, c in all_clients.items()}
    pages = {name: c.list_books(q="design", limit=2, offset=1) for name, c in all_clients.items()}
    assert len(set(books.values())) == 1
    assert len(set(pages.values())) == 1
    assert pages["rest"].total >= 3
    assert len(pages["rest"].items) == 2


def run_scenario(client: LibraryClient) -> list[Any]:
    """Every operation of the contract, in one order, on a book of the client's own."""
    isbn = fresh_isbn()
    steps: list[Any] = []
    steps.append(client.add_book(**book_fields(isbn=isbn, copies=2)))
    steps.append(client.get_book(isbn))
    steps.append(client.update_book(isbn, expected_version=1, price="15.00", tags=["renamed"]))
    loan = client.borrow_book(isbn, "Grace Hopper")
    steps.append(loan)
    steps.append(client.list_loans(isbn=isbn, open_only=True))
    steps.append(client.get_book(isbn))
    steps.append(client.return_book(loan.id))
    steps.append(client.list_loans(isbn=isbn))
    page = client.list_books(q=isbn[-9:])  # isbn digits are not in titles: an empty page
    steps.append((page.total, page.items))
    client.remove_book(isbn)
    with pytest.raises(RemoteError) as gone:
        client.get_book(isbn)
    steps.append(gone.value.kind)
    return steps


def test_every_operation_gives_the_same_answers_through_every_protocol(
    all_clients: dict[str, LibraryClient],
) -> None:
    results = {name: comparable(run_scenario(c)) for name, c in all_clients.items()}
    for name in all_clients:
        assert results[name] == results["rest"], name
    assert results["rest"][-1] == "not_found"


def test_a_soap_change_shows_through_rest_and_as_a_websocket_event(
    gateway: LiveGateway, all_clients: dict[str, LibraryClient]
) -> None:
    watcher = WsClient(gateway.url)
    watcher.subscribe("book.*")
    isbn = fresh_isbn()
    all_clients["soap"].add_book(**book_fields(isbn=isbn))
    all_clients["soap"].update_book(isbn, title="Changed over SOAP")

    assert all_clients["rest"].get_book(isbn).title == "Changed over SOAP"
    seen = [e for e in watcher.events(timeout=5) if e["data"].get("isbn") == isbn]
    watcher.close()
    assert [e["type"] for e in seen[:2]] == ["book.added", "book.updated"]
    assert seen[1]["data"]["title"] == "Changed over SOAP"
    assert seen[0]["seq"] < seen[1]["seq"]


def test_concurrent_borrows_of_the_last_copy_through_three_protocols(
    all_clients: dict[str, LibraryClient],
) -> None:
    isbn = fresh_isbn()
    all_clients["rest"].add_book(**book_fields(isbn=isbn, copies=1))
    start = threading.Barrier(len(all_clients))
    outcomes: dict[str, Loan | RemoteError] = {}

    def borrow(name: str, client: LibraryClient) -> None:
        start.wait()
        try:
            outcomes[name] = client.borrow_book(isbn, f"member via {name}")
        except RemoteError as error:
            outcomes[name] = error

    threads = [threading.Thread(target=borrow, args=item) for item in all_clients.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    loans = [o for o in outcomes.values() if isinstance(o, Loan)]
    refusals = [o.kind for o in outcomes.values() if isinstance(o, RemoteError)]
    assert len(loans) == 1
    assert refusals == ["conflict"] * (len(all_clients) - 1)
    assert all_clients["websocket"].get_book(isbn).available == 0
    assert len(all_clients["soap"].list_loans(isbn=isbn)) == 1


def test_errors_for_invalid_input(client: LibraryClient) -> None:
    with pytest.raises(RemoteError) as error:
        client.add_book(**book_fields(isbn="978-0-13-235088-5"))
    assert error.value.kind == "invalid_input"


def test_errors_for_unknown_book(client: LibraryClient) -> None:
    with pytest.raises(RemoteError) as error:
        client.get_book(fresh_isbn())
    assert error.value.kind == "not_found"


def test_errors_for_duplicate_book(client: LibraryClient) -> None:
    with pytest.raises(RemoteError) as error:
        client.add_book(**book_fields(isbn=SAMPLE_ISBN))
    assert error.value.kind == "conflict"


def test_errors_for_stale_version(client: LibraryClient) -> None:
    book = client.add_book(**book_fields())
    client.update_book(book.isbn, title="Second edition")
    with pytest.raises(RemoteError) as error:
        client.update_book(book.isbn, expected_version=1, title="Lost update")
    assert error.value.kind == "version_mismatch"
    assert client.get_book(book.isbn).title == "Second edition"


def test_errors_for_returning_twice(client: LibraryClient) -> None:
    book = client.add_book(**book_fields())
    loan = client.borrow_book(book.isbn, "ada")
    client.return_book(loan.id)
    with pytest.raises(RemoteError) as error:
        client.return_book(loan.id)
    assert error.value.kind == "conflict"


@pytest.mark.parametrize("protocol", ["rest", "soap", "websocket"])
def test_errors_for_changes_without_the_token(token_gateway: LiveGateway, protocol: str) -> None:
    from tests.integration.conftest import CLIENTS

    anonymous = CLIENTS[protocol](token_gateway.url)
    impostor = CLIENTS[protocol](token_gateway.url, token="not-the-token")
    try:
        assert anonymous.get_book(SAMPLE_ISBN).isbn == SAMPLE_ISBN  # reads stay public
        for who in (anonymous, impostor):
            with pytest.raises(RemoteError) as error:
                who.add_book(**book_fields())
            assert error.value.kind == "not_allowed"
    finally:
        anonymous.close()
        impostor.close()


def test_changes_with_the_token_go_through(token_gateway: LiveGateway) -> None:
    from tests.conftest import API_TOKEN
    from tests.integration.conftest import CLIENTS

    for make in CLIENTS.values():
        member = make(token_gateway.url, token=API_TOKEN)
        try:
            assert member.add_book(**book_fields()).version == 1
        finally:
            member.close()


def test_rest_problem_soap_fault_and_jsonrpc_error_name_the_same_kind(
    gateway: LiveGateway,
) -> None:
    """The raw answers, without clients: each protocol's own machine-readable field."""
    unknown = fresh_isbn()
    problem = httpx.get(f"{gateway.rest_url}/books/{unknown}")
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert (problem.status_code, problem.json()["kind"]) == (404, "not_found")

    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:lib="urn:rosetta:library"><soapenv:Body><lib:GetBook>'
        f"<lib:isbn>{unknown}</lib:isbn></lib:GetBook></soapenv:Body></soapenv:Envelope>"
    )
    fault = httpx.post(
        gateway.soap_url,
        content=envelope,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetBook"'},
    )
    assert fault.status_code == 500  # SOAP 1.1 sends every fault with 500
    body = etree.fromstring(fault.content)
    assert str(body.findtext(".//faultcode")).endswith("Client.NotFound")
    assert body.xpath("string(//*[local-name()='detail']//*[local-name()='kind'])") == "not_found"

    ws = WsClient(gateway.url)
    try:
        with pytest.raises(RemoteError) as error:
            ws.call("get_book", isbn=unknown)
        assert error.value.details["code"] == -32004
        assert error.value.details["data"]["kind"] == "not_found"
    finally:
        ws.close()
