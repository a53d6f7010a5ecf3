"""SOAP 1.1 by hand, with lxml and httpx: the envelopes zeep writes for you, written out.

No WSDL is read. What zeep learns from it (operation names, the order of elements, which
elements wrap lists, the types) this file knows by heart, and it has to stay in step.

python -m clients.raw_soap get_book 9780132350884
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from lxml import etree

from clients.interface import RemoteError, book_from, loan_from, page_from
from services.models import Book, Loan, Page

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:rosetta:library"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PLAIN_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
PREFIXES = {SOAP_ENV: "soapenv", TNS: "lib", WSSE: "wsse"}

# The WSDL's xs:sequence fixes the order of a book's elements in AddBook and UpdateBook.
BOOK_ORDER = ("isbn", "title", "authors", "published", "price", "currency", "tags", "copies")
# Lists travel wrapped, each item named as the singular: <authors><author>..</author></authors>.
WRAPPED = {"authors": "author", "tags": "tag", "items": "book", "loans": "loan", "errors": "error"}
# Answers come from the network: no DTD, no entities, nothing fetched while parsing.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class RawSoapClient:
    protocol = "soap"

    def __init__(self, base_url: str = "http://127.0.0.1:8000", token: str | None = None) -> None:
        self.http = httpx.Client(base_url=base_url)
        self.token = token

    def list_books(
        self,
        q: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page:
        params = {"q": q, "author": author, "tag": tag, "limit": limit, "offset": offset}
        return page_from(self._call("ListBooks", params))

    def get_book(self, isbn: str) -> Book:
        return book_from(self._call("GetBook", {"isbn": isbn}))

    def add_book(self, **fields: Any) -> Book:
        return book_from(self._call("AddBook", in_book_order(fields)))

    def update_book(self, isbn: str, expected_version: int | None = None, **changes: Any) -> Book:
        params = {**in_book_order({"isbn": isbn, **changes}), "expected_version": expected_version}
        return book_from(self._call("UpdateBook", params))

    def remove_book(self, isbn: str) -> None:
        self._call("RemoveBook", {"isbn": isbn})

    def borrow_book(self, isbn: str, member: str) -> Loan:
        return loan_from(self._call("BorrowBook", {"isbn": isbn, "member": member}))

    def return_book(self, loan_id: str) -> Loan:
        return loan_from(self._call("ReturnBook", {"loan_id": loan_id}))

    def list_loans(
        self, member: str | None = None, open_only: bool | None = None, isbn: str | None = None
    ) -> list[Loan]:
        params = {"member": member, "open_only": open_only, "isbn": isbn}
        return [loan_from(loan) for loan in self._call("ListLoans", params)]

    def get_loan(self, loan_id: str) -> Loan:
        return loan_from(self._call("GetLoan", {"loan_id": loan_id}))

    def close(self) -> None:
        self.http.close()

    def _call(self, operation: str, params: dict[str, Any]) -> Any:
        # document/literal wrapped: the Body holds one element named after the operation,
        # whose children are the parameters; an absent parameter is an absent element.
        try:
            children = [param(name, value) for name, value in params.items() if value is not None]
        except ValueError as error:  # lxml refuses text that XML cannot carry
            raise RemoteError("invalid_input", str(error), self.protocol) from None
        request = xml(TNS, operation, *children)
        header = [xml(SOAP_ENV, "Header", security(self.token))] if self.token else []
        envelope = xml(SOAP_ENV, "Envelope", *header, xml(SOAP_ENV, "Body", request))
        response = self.http.post(
            "/soap",
            content=etree.tostring(envelope, xml_declaration=True, encoding="utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation}"'},
        )
        answer = self._body_of(response)
        if answer.tag == f"{{{SOAP_ENV}}}Fault":
            raise fault_error(answer)
        # <GetBookResponse><book>..</book></GetBookResponse>: the one child is the result.
        return None if len(answer) == 0 else value_of(answer[0])

    def _body_of(self, response: httpx.Response) -> etree._Element:
        """The one element in the answer's Body: a response or a Fault (which comes with 500)."""
        try:
            body = etree.fromstring(response.content, PARSER).find(f"{{{SOAP_ENV}}}Body")
        except etree.XMLSyntaxError:
            body = None
        if body is None or len(body) == 0:
            message = f"HTTP {response.status_code} without a SOAP envelope"
            raise RemoteError("server_fault", message, self.protocol)
        return body[0]


def xml(
    namespace: str, name: str, *children: etree._Element | str, **attributes: str
) -> etree._Element:
    """<prefix:name attributes>children</prefix:name>; a str child is the element's text."""
    made = etree.Element(
        f"{{{namespace}}}{name}", attributes, nsmap={PREFIXES[namespace]: namespace}
    )
    for child in children:
        if isinstance(child, str):
            made.text = child
        else:
            made.append(child)
    return made


def param(name: str, value: Any) -> etree._Element:
    """One parameter as XML text: the wire knows no types, the WSDL says how to read them."""
    if name in WRAPPED and isinstance(value, list | tuple):
        return xml(TNS, name, *(xml(TNS, WRAPPED[name], str(item)) for item in value))
    if isinstance(value, bool):
        return xml(TNS, name, "true" if value else "false")  # xs:boolean, not Python's True
    if isinstance(value, date):
        return xml(TNS, name, value.isoformat())
    return xml(TNS, name, str(value))


def in_book_order(fields: dict[str, Any]) -> dict[str, Any]:
    """Book fields in the WSDL's order; unknown names go last, for the server to refuse."""
    rank = {name: position for position, name in enumerate(BOOK_ORDER)}
    return dict(sorted(fields.items(), key=lambda item: rank.get(item[0], len(rank))))


def security(token: str) -> etree._Element:
    """The WS-Security header zeep's UsernameToken writes: the API token as the password."""
    username = xml(WSSE, "Username", "rosetta")
    password = xml(WSSE, "Password", token, Type=PLAIN_TEXT)
    return xml(WSSE, "Security", xml(WSSE, "UsernameToken", username, password))


def value_of(node: etree._Element) -> Any:
    """An answer element as plain data: text leaves, records as dicts, wrapped lists as lists.

    Every leaf stays text ("49.99", "2008-08-01"); interface.book_from types it, as zeep would
    from the WSDL's xs:decimal and xs:date.
    """
    name = etree.QName(node).localname
    if name in WRAPPED:
        return [value_of(item) for item in node]
    if len(node) == 0:
        return None if node.get(XSI_NIL) == "true" else node.text or ""
    return {etree.QName(child).localname: value_of(child) for child in node}


def fault_error(fault: etree._Element) -> RemoteError:
    # faultcode says soap11env:Client.NotFound; <detail><kind> says not_found, the name the
    # other protocols use. spyne writes faultcode, faultstring and detail unqualified.
    detail = fault.find("detail")
    details = value_of(detail) if detail is not None and len(detail) else {}
    details["faultcode"] = fault.findtext("faultcode")
    kind = details.get("kind") or "server_fault"
    return RemoteError(kind, fault.findtext("faultstring") or "", "soap", details)


if __name__ == "__main__":
    from clients.command_line import run_script

    raise SystemExit(run_script(RawSoapClient))
