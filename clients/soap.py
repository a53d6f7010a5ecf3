"""SOAP 1.1 with zeep: the WSDL is the contract, zeep builds every call from it.

python -m clients.soap get_book 9780132350884
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import zeep
from zeep.exceptions import Fault, TransportError, ValidationError
from zeep.helpers import serialize_object
from zeep.wsse.username import UsernameToken

from clients.interface import RemoteError, book_from, loan_from, page_from, without_none
from services.models import Book, Loan, Page


class SoapClient:
    protocol = "soap"

    def __init__(self, base_url: str = "http://127.0.0.1:8000", token: str | None = None) -> None:
        # The first thing zeep does is GET the WSDL: it reads the contract before it can speak.
        # The token travels in the SOAP header, as a WS-Security UsernameToken.
        wsse = UsernameToken("rosetta", token) if token else None
        wsdl = f"{base_url}/soap?wsdl"
        try:
            self.zeep = zeep.Client(wsdl, wsse=wsse)
        except TransportError as error:
            raise ConnectionError(f"no WSDL at {wsdl}: HTTP {error.status_code}") from None
        self.service = self.zeep.service

    def list_books(
        self,
        q: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page:
        page = self._call(self.service.ListBooks, q=q, author=author, tag=tag, limit=limit,
                          offset=offset)  # fmt: skip
        page["items"] = [_book_dict(item) for item in _items(page["items"], "book")]
        return page_from(page)

    def get_book(self, isbn: str) -> Book:
        return book_from(_book_dict(self._call(self.service.GetBook, isbn=isbn)))

    def add_book(self, **fields: Any) -> Book:
        return book_from(_book_dict(self._call(self.service.AddBook, **_lists_wrapped(fields))))

    def update_book(self, isbn: str, expected_version: int | None = None, **changes: Any) -> Book:
        book = self._call(
            self.service.UpdateBook,
            isbn=isbn,
            expected_version=expected_version,
            **_lists_wrapped(changes),
        )
        return book_from(_book_dict(book))

    def remove_book(self, isbn: str) -> None:
        self._call(self.service.RemoveBook, isbn=isbn)

    def borrow_book(self, isbn: str, member: str) -> Loan:
        return loan_from(self._call(self.service.BorrowBook, isbn=isbn, member=member))

    def return_book(self, loan_id: str) -> Loan:
        return loan_from(self._call(self.service.ReturnBook, loan_id=loan_id))

    def list_loans(
        self, member: str | None = None, open_only: bool | None = None, isbn: str | None = None
    ) -> list[Loan]:
        loans = self._call(self.service.ListLoans, member=member, open_only=open_only, isbn=isbn)
        return [loan_from(loan) for loan in _items(loans, "loan")]

    def get_loan(self, loan_id: str) -> Loan:
        return loan_from(self._call(self.service.GetLoan, loan_id=loan_id))

    def close(self) -> None:
        self.zeep.transport.session.close()

    def _call(self, operation: Callable[..., Any], **arguments: Any) -> Any:
        try:
            answer = operation(**without_none(**arguments))
        except Fault as fault:
            # The gateway puts the domain error kind in <detail><kind>; faultcode says Client.Kind.
            kind = _detail_text(fault.detail, "kind") or "server_fault"
            raise RemoteError(kind, fault.message, self.protocol, fault.code) from None
        except (TypeError, ValueError, ValidationError) as refused:
            # zeep checks each call against the WSDL before sending it: an unknown or a missing
            # element, or text XML cannot carry, never leaves this process. The other protocols
            # hear it from the server.
            message = str(refused).split(". Signature:")[0]
            raise RemoteError("invalid_input", message, self.protocol) from None
        return serialize_object(answer, dict)


def _lists_wrapped(fields: dict[str, Any]) -> dict[str, Any]:
    """The WSDL wraps lists: <authors><author>..</author></authors>.

    zeep writes a bare string as a list of one entry, which the server then cannot tell from
    a real list; the other protocols refuse a string where the contract has a list, so this
    client refuses it too, before anything is sent.
    """
    wrapped = dict(fields)
    for name, item in (("authors", "author"), ("tags", "tag")):
        value = wrapped.get(name)
        if isinstance(value, str):
            message = f"{name} must be a list of strings, not a string"
            raise RemoteError("invalid_input", message, SoapClient.protocol)
        if isinstance(value, list | tuple):
            wrapped[name] = {item: list(value)}
    return wrapped


def _items(wrapper: Any, item: str) -> list[Any]:
    """The items of a wrapped array, whichever way zeep hands it over.

    zeep reads an empty wrapper (<tags/>) as None, and unwraps a response whose only element
    is an array (ListLoans' <loans>) into a plain list; other arrays come as {item: [...]}.
    """
    if wrapper is None:
        return []
    if isinstance(wrapper, dict):
        return list(wrapper.get(item) or [])
    return list(wrapper)


def _book_dict(book: dict[str, Any]) -> dict[str, Any]:
    return {
        **book,
        "authors": _items(book["authors"], "author"),
        "tags": _items(book["tags"], "tag"),
    }


def _detail_text(detail: Any, name: str) -> str | None:
    if detail is None:
        return None
    for element in detail.iter():
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] == name:
            return str(element.text)
    return None


if __name__ == "__main__":
    from clients.command_line import run_script

    raise SystemExit(run_script(SoapClient))
