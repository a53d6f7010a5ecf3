"""The same bad input is refused by REST, SOAP and JSON-RPC with the same error kind.

Each rule of the contract's input is broken once per protocol, on the wire, in that protocol's
own form: a query string or a JSON body over httpx, an envelope over httpx, a JSON-RPC frame
over websockets. Each answer must be that protocol's invalid-input error (a 422 problem, a
Client.InvalidInput fault, a -32602 error) that names the kind and the field at fault. The
clients' view follows: one bad call through every client maps back to the same kind.

Some rules have no form in some protocols, and those cells are absent: XML carries every
value as text, so "a number where text belongs" cannot be written in SOAP; a query string
carries no objects; a JSON object cannot repeat a name in a way its parsers keep, so a JSON
param given twice is written as a list where one value belongs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from lxml import etree
from websockets.sync.client import connect

from clients.interface import LibraryClient, RemoteError
from clients.raw_soap import SOAP_ENV, TNS, in_book_order, param, xml
from tests.live import LiveGateway
from tests.support import book_fields, fresh_isbn

WAIT = 10.0  # seconds to wait for a WebSocket answer before the test fails; never asserted on


@dataclass(frozen=True)
class Refusal:
    """What an invalid-input answer says, in any protocol: its kind and the fields it names."""

    kind: str
    fields: frozenset[str]


@pytest.fixture(scope="module")
def own_isbn(gateway: LiveGateway) -> str:
    """A book of this module's own, for UpdateBook: a refusal that failed would change it."""
    isbn = fresh_isbn()
    answer = httpx.post(f"{gateway.rest_url}/books", json=book_fields(isbn=isbn), timeout=30)
    assert answer.status_code == 201, answer.text
    return isbn


# --- one sender per protocol, each checking its protocol's own form of invalid input --------


def rest(gateway: LiveGateway, method: str, path: str, **request: Any) -> Refusal:
    answer = httpx.request(method, gateway.rest_url + path, timeout=30, **request)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == "urn:rosetta:problem:invalid_input"
    return Refusal(body["kind"], frozenset(error["field"] for error in body["errors"]))


def soap(gateway: LiveGateway, operation: str, *params: etree._Element) -> Refusal:
    envelope = xml(SOAP_ENV, "Envelope", xml(SOAP_ENV, "Body", xml(TNS, operation, *params)))
    answer = httpx.post(
        gateway.soap_url,
        content=etree.tostring(envelope),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation}"'},
        timeout=30,
    )
    assert answer.status_code == 500, answer.text  # SOAP 1.1 sends every fault with 500
    fault = etree.fromstring(answer.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, answer.text
    assert (fault.findtext("faultcode") or "").endswith(":Client.InvalidInput"), answer.text
    fields = frozenset(e.findtext("field") or "" for e in fault.iterfind("detail/errors/error"))
    return Refusal(fault.findtext("detail/kind") or "", fields)


def jsonrpc(gateway: LiveGateway, method: str, params: dict[str, Any]) -> Refusal:
    with connect(gateway.ws_url, proxy=None) as connection:
        connection.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        answer = json.loads(connection.recv(WAIT))
    assert answer["id"] == 1, answer
    error = answer["error"]
    assert error["code"] == -32602, error
    data = error["data"]
    return Refusal(data["kind"], frozenset(e["field"] for e in data["errors"]))


def book_params(**fields: Any) -> list[etree._Element]:
    """A book's fields as AddBook's elements, in the WSDL's order, as raw_soap writes them."""
    return [param(name, value) for name, value in in_book_order(fields).items()]


def element(name: str, *children: etree._Element | str) -> etree._Element:
    return xml(TNS, name, *children)


# --- the rules: each one broken once per protocol that can express it ----------------------

Call = Callable[[LiveGateway, str], Refusal]


@dataclass(frozen=True)
class Rule:
    name: str
    field: str  # the field every protocol's answer must name
    calls: dict[str, Call]  # protocol -> the bad call; gets the gateway and the module's book


RULES = [
    Rule(
        "unknown parameter of a read",
        "colour",
        {
            "rest": lambda g, _: rest(g, "GET", "/books", params={"colour": "red"}),
            "soap": lambda g, _: soap(g, "ListBooks", element("colour", "red")),
            "jsonrpc": lambda g, _: jsonrpc(g, "list_books", {"colour": "red"}),
        },
    ),
    Rule(
        "unknown parameter of the loans list",
        "x",
        {
            "rest": lambda g, _: rest(g, "GET", "/loans", params={"x": "1"}),
            "soap": lambda g, _: soap(g, "ListLoans", element("x", "1")),
            "jsonrpc": lambda g, _: jsonrpc(g, "list_loans", {"x": 1}),
        },
    ),
    Rule(
        "unknown parameter of one book",
        "x",
        {
            "rest": lambda g, isbn: rest(g, "GET", f"/books/{isbn}", params={"x": "1"}),
            "soap": lambda g, isbn: soap(g, "GetBook", element("isbn", isbn), element("x", "1")),
            "jsonrpc": lambda g, isbn: jsonrpc(g, "get_book", {"isbn": isbn, "x": 1}),
        },
    ),
    Rule(
        "unknown field of a new book",
        "colour",
        {
            "rest": lambda g, _: rest(g, "POST", "/books", json=book_fields(colour="red")),
            "soap": lambda g, _: soap(g, "AddBook", *book_params(**book_fields(colour="red"))),
            "jsonrpc": lambda g, _: jsonrpc(g, "add_book", book_fields(colour="red")),
        },
    ),
    Rule(
        "a single parameter given twice",
        "limit",
        {
            "rest": lambda g, _: rest(g, "GET", "/books", params=[("limit", "5"), ("limit", "6")]),
            "soap": lambda g, _: soap(g, "ListBooks", element("limit", "5"), element("limit", "6")),
            "jsonrpc": lambda g, _: jsonrpc(g, "list_books", {"limit": [5, 6]}),
        },
    ),
    Rule(
        "a text filter given twice",
        "q",
        {
            "rest": lambda g, _: rest(g, "GET", "/books", params=[("q", "a"), ("q", "b")]),
            "soap": lambda g, _: soap(g, "ListBooks", element("q", "a"), element("q", "b")),
            "jsonrpc": lambda g, _: jsonrpc(g, "list_books", {"q": ["a", "b"]}),
        },
    ),
    Rule(
        "a string where the authors list belongs",
        "authors",
        {
            "rest": lambda g, _: rest(g, "POST", "/books", json=book_fields(authors="Ada")),
            "soap": lambda g, _: soap(g, "AddBook", *book_params(**book_fields(authors="Ada"))),
            "jsonrpc": lambda g, _: jsonrpc(g, "add_book", book_fields(authors="Ada")),
        },
    ),
    Rule(
        "a string where the tags list belongs, in a change",
        "tags",
        {
            "rest": lambda g, isbn: rest(g, "PATCH", f"/books/{isbn}", json={"tags": "x"}),
            "soap": lambda g, isbn: soap(
                g, "UpdateBook", element("isbn", isbn), element("tags", "x")
            ),
            "jsonrpc": lambda g, isbn: jsonrpc(g, "update_book", {"isbn": isbn, "tags": "x"}),
        },
    ),
    Rule(
        "list entries under another name",
        "tags",
        {
            "rest": lambda g, isbn: rest(
                g, "PATCH", f"/books/{isbn}", json={"tags": [{"name": "x"}]}
            ),
            "soap": lambda g, isbn: soap(
                g,
                "UpdateBook",
                element("isbn", isbn),
                element("tags", element("name", "x")),
            ),
            "jsonrpc": lambda g, isbn: jsonrpc(
                g, "update_book", {"isbn": isbn, "tags": [{"name": "x"}]}
            ),
        },
    ),
    Rule(
        "text where a number belongs, in a query",
        "limit",
        {
            "rest": lambda g, _: rest(g, "GET", "/books", params={"limit": "five"}),
            "soap": lambda g, _: soap(g, "ListBooks", element("limit", "five")),
            "jsonrpc": lambda g, _: jsonrpc(g, "list_books", {"limit": "five"}),
        },
    ),
    Rule(
        "a number written as text in a JSON body",
        "copies",
        {
            "rest": lambda g, _: rest(g, "POST", "/books", json=book_fields(copies="3")),
            "jsonrpc": lambda g, _: jsonrpc(g, "add_book", book_fields(copies="3")),
        },
    ),
    Rule(
        "text where a number belongs, in a new book",
        "copies",
        {
            "rest": lambda g, _: rest(g, "POST", "/books", json=book_fields(copies="three")),
            "soap": lambda g, _: soap(g, "AddBook", *book_params(**book_fields(copies="three"))),
            "jsonrpc": lambda g, _: jsonrpc(g, "add_book", book_fields(copies="three")),
        },
    ),
    Rule(
        "text where a boolean belongs",
        "open_only",
        {
            "rest": lambda g, _: rest(g, "GET", "/loans", params={"open_only": "maybe"}),
            "soap": lambda g, _: soap(g, "ListLoans", element("open_only", "maybe")),
            "jsonrpc": lambda g, _: jsonrpc(g, "list_loans", {"open_only": "true"}),
        },
    ),
    Rule(
        "a number where text belongs",
        "title",
        {
            "rest": lambda g, _: rest(g, "POST", "/books", json=book_fields(title=5)),
            "jsonrpc": lambda g, _: jsonrpc(g, "add_book", book_fields(title=5)),
        },
    ),
    Rule(
        "an object where text belongs",
        "title",
        {
            "rest": lambda g, _: rest(g, "POST", "/books", json=book_fields(title={"x": "1"})),
            "soap": lambda g, _: soap(
                g,
                "AddBook",
                *[
                    element("title", element("x", "1")) if e.tag == f"{{{TNS}}}title" else e
                    for e in book_params(**book_fields())
                ],
            ),
            "jsonrpc": lambda g, _: jsonrpc(g, "add_book", book_fields(title={"x": "1"})),
        },
    ),
    Rule(
        "an object where an ISBN belongs",
        "isbn",
        {
            "rest": lambda g, _: rest(g, "POST", "/loans", json={"isbn": {}, "member": "ada"}),
            "soap": lambda g, _: soap(
                g, "BorrowBook", element("isbn", element("x", "1")), element("member", "ada")
            ),
            "jsonrpc": lambda g, _: jsonrpc(g, "borrow_book", {"isbn": {}, "member": "ada"}),
        },
    ),
]


def cells() -> Iterator[Any]:
    for rule in RULES:
        for protocol in rule.calls:
            yield pytest.param(rule, protocol, id=f"{rule.name}-{protocol}".replace(" ", "_"))


@pytest.mark.parametrize(("rule", "protocol"), list(cells()))
def test_each_protocol_refuses_the_broken_rule_as_invalid_input(
    gateway: LiveGateway, own_isbn: str, rule: Rule, protocol: str
) -> None:
    refusal = rule.calls[protocol](gateway, own_isbn)
    assert refusal == Refusal("invalid_input", frozenset({rule.field}))


# --- the same through the clients: one bad call, one kind, whichever client made it ----------


@pytest.mark.parametrize(
    ("operation", "arguments"),
    [
        pytest.param("add_book", book_fields(authors="Ada"), id="a string for the authors"),
        pytest.param("add_book", book_fields(tags="x"), id="a string for the tags"),
        pytest.param("add_book", book_fields(colour="red"), id="an unknown field"),
        pytest.param("add_book", book_fields(copies="three"), id="text for the copies"),
        pytest.param("list_books", {"limit": "five"}, id="text for the limit"),
    ],
)
def test_every_client_hears_the_same_kind(
    all_clients: dict[str, LibraryClient], operation: str, arguments: dict[str, Any]
) -> None:
    kinds = {}
    for name, client in all_clients.items():
        with pytest.raises(RemoteError) as refused:
            getattr(client, operation)(**arguments)
        kinds[name] = refused.value.kind
    assert set(kinds.values()) == {"invalid_input"}, kinds
