"""The requests every server is sent: the same operation, in each protocol's own form.

Every server under test answers the same paths (`/rest/books`, `/soap`, `/ws`), so one request
text fits the gateway and its baseline alike and their bytes compare directly.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass

from services.isbn import isbn13_check_digit

ISBN = "9780132350884"  # Clean Code, one of the sample books every server is seeded with
OPERATIONS = ("get_book", "list_books", "add_book")
PROTOCOLS = ("rest", "soap", "websocket")

SOAP_NS = "urn:rosetta:library"
ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    f'xmlns:lib="{SOAP_NS}"><soapenv:Body>{{}}</soapenv:Body></soapenv:Envelope>'
)
SOAP_ACTIONS = {"get_book": "GetBook", "list_books": "ListBooks", "add_book": "AddBook"}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def wire(self, host: str) -> bytes:
        """The bytes on the socket, as a lean HTTP/1.1 client (or wrk) sends them."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def isbns(run: int) -> Iterator[str]:
    """Fresh valid ISBNs in the 979-8 range: two digits of run, then a counter."""
    for n in itertools.count():
        first12 = f"9798{run % 100:02d}{n % 1_000_000:06d}"
        yield first12 + isbn13_check_digit(first12)


def book_fields(isbn: str) -> dict[str, object]:
    return {
        "isbn": isbn,
        "title": "Protocols in Practice",
        "authors": ["Ada Lovelace", "Roy Fielding"],
        "published": "2024-05-17",
        "price": "12.50",
        "currency": "EUR",
        "tags": ["apis", "testing"],
        "copies": 2,
    }


def rest_request(operation: str, isbn: str = ISBN) -> HttpRequest:
    if operation == "get_book":
        return HttpRequest("GET", f"/rest/books/{isbn}")
    if operation == "list_books":
        return HttpRequest("GET", "/rest/books")
    body = json.dumps(book_fields(isbn), separators=(",", ":")).encode()
    return HttpRequest("POST", "/rest/books", (("Content-Type", "application/json"),), body)


def soap_body(operation: str, isbn: str = ISBN) -> str:
    if operation == "get_book":
        return f"<lib:GetBook><lib:isbn>{isbn}</lib:isbn></lib:GetBook>"
    if operation == "list_books":
        return "<lib:ListBooks/>"
    fields = book_fields(isbn)
    authors = "".join(f"<lib:author>{a}</lib:author>" for a in fields["authors"])  # type: ignore[attr-defined]
    tags = "".join(f"<lib:tag>{t}</lib:tag>" for t in fields["tags"])  # type: ignore[attr-defined]
    return (
        f"<lib:AddBook><lib:isbn>{isbn}</lib:isbn><lib:title>{fields['title']}</lib:title>"
        f"<lib:authors>{authors}</lib:authors><lib:published>{fields['published']}"
        f"</lib:published><lib:price>{fields['price']}</lib:price>"
        f"<lib:currency>{fields['currency']}</lib:currency><lib:tags>{tags}</lib:tags>"
        f"<lib:copies>{fields['copies']}</lib:copies></lib:AddBook>"
    )


def soap_request(operation: str, isbn: str = ISBN) -> HttpRequest:
    headers = (
        ("Content-Type", "text/xml; charset=utf-8"),
        ("SOAPAction", f'"{SOAP_ACTIONS[operation]}"'),
    )
    return HttpRequest(
        "POST", "/soap", headers, ENVELOPE.format(soap_body(operation, isbn)).encode()
    )


def http_request(protocol: str, operation: str, isbn: str = ISBN) -> HttpRequest:
    return rest_request(operation, isbn) if protocol == "rest" else soap_request(operation, isbn)


def rpc_frame(operation: str, ident: int, isbn: str = ISBN) -> str:
    params: dict[str, object]
    if operation == "get_book":
        params = {"isbn": isbn}
    elif operation == "list_books":
        params = {}
    else:
        params = book_fields(isbn)
    message = {"jsonrpc": "2.0", "id": ident, "method": operation, "params": params}
    return json.dumps(message, separators=(",", ":"))
