"""The SOAP operations, one per operation of services.operations, and their spyne Application.

Each hands its typed parameters to the domain service and turns the result into the XSD types;
domain errors become faults through gateway.soap.faults. spyne runs them where
gateway.soap.endpoint puts it: a small envelope on the event loop itself, in a greenlet that
awaits the service directly (gateway.soap.loop_bridge); a large envelope, or a list, in a worker
thread that hands each service call to the loop with anyio.from_thread.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

import anyio.from_thread
from spyne import Application, Fault, ServiceBase, rpc

from gateway.runtime import Runtime
from gateway.soap import faults as soap_faults
from gateway.soap.answers import answer
from gateway.soap.auth import check_credentials
from gateway.soap.loop_bridge import in_bridge, wait_for
from gateway.soap.protocol import LibrarySoap11
from gateway.soap.xsd_types import (
    TNS,
    AuthorList,
    BookOut,
    BookPageOut,
    Copies,
    Currency,
    Isbn,
    Limit,
    LoanId,
    LoanList,
    LoanOut,
    Member,
    Offset,
    OpenOnly,
    Price,
    Published,
    Query,
    Tag,
    TagList,
    Title,
    Version,
    book_out,
    loan_out,
    page_out,
    required,
)
from services.errors import DomainError
from services.operations import OPERATIONS as CONTRACT
from services.service import LibraryService

log = logging.getLogger(__name__)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

OPERATIONS: dict[str, str] = {op.soap_name: op.name for op in CONTRACT.values()}
"""SOAP operation -> the contract's operation name, as metrics and the other protocols say it."""


def operation(*parameters: Any, **options: Any) -> Callable[[F], F]:
    """spyne's @rpc (document/literal wrapped), typed so the operation keeps its signature."""
    return cast(Callable[[F], F], rpc(*parameters, **options))


def call_domain(ctx: Any, call: Callable[[LibraryService], Coroutine[Any, Any, T]]) -> T:
    """Runs one domain call on the gateway's event loop and waits for it.

    spyne runs either on the loop itself, in a greenlet (gateway.soap.loop_bridge), or in a worker
    thread that hands the call to the loop.
    """
    runtime: Runtime = ctx.app.config
    if in_bridge():
        return wait_for(call(runtime.service))
    return anyio.from_thread.run(functools.partial(call, runtime.service))


class Library(ServiceBase):  # type: ignore[misc]  # spyne is untyped
    """The port type `Library` of the WSDL service `LibraryService`.

    spyne hands every operation its method context first, in place of `self` (hence N805).
    """

    __service_name__ = "LibraryService"

    @operation(
        Query, Query, Tag, Limit, Offset, _returns=required(BookPageOut), _out_variable_name="page"
    )
    def ListBooks(
        ctx: Any,  # noqa: N805
        q: str | None,
        author: str | None,
        tag: str | None,
        limit: int | None,
        offset: int | None,
    ) -> BookPageOut | None:
        page = call_domain(
            ctx, lambda s: s.list_books(q=q, author=author, tag=tag, limit=limit, offset=offset)
        )
        return answer(ctx, page, page_out)

    @operation(required(Isbn), _returns=required(BookOut), _out_variable_name="book")
    def GetBook(ctx: Any, isbn: str | None) -> BookOut | None:  # noqa: N805
        return answer(ctx, call_domain(ctx, lambda s: s.get_book(isbn)), book_out)

    @operation(
        required(Isbn),
        required(Title),
        required(AuthorList),
        required(Published),
        required(Price),
        Currency,
        TagList,
        required(Copies),
        _returns=required(BookOut),
        _out_variable_name="book",
    )
    def AddBook(
        ctx: Any,  # noqa: N805
        isbn: str | None,
        title: str | None,
        authors: list[str] | None,
        published: date | None,
        price: Decimal | None,
        currency: str | None,
        tags: list[str] | None,
        copies: int | None,
    ) -> BookOut:
        fields = {
            "isbn": isbn,
            "title": title,
            "authors": authors,
            "published": published,
            "price": price,
            "currency": currency,
            "tags": tags,
            "copies": copies,
        }
        return book_out(call_domain(ctx, lambda s: s.add_book(fields)))

    @operation(
        required(Isbn),
        Title,
        AuthorList,
        Published,
        Price,
        Currency,
        TagList,
        Copies,
        Version,
        _returns=required(BookOut),
        _out_variable_name="book",
    )
    def UpdateBook(
        ctx: Any,  # noqa: N805
        isbn: str | None,
        title: str | None,
        authors: list[str] | None,
        published: date | None,
        price: Decimal | None,
        currency: str | None,
        tags: list[str] | None,
        copies: int | None,
        expected_version: int | None,
    ) -> BookOut:
        # An absent element (None) leaves its field as it is; an empty <tags/> clears the tags.
        changes = {
            "title": title,
            "authors": authors,
            "published": published,
            "price": price,
            "currency": currency,
            "tags": tags,
            "copies": copies,
        }
        book = call_domain(ctx, lambda s: s.update_book(isbn, changes, expected_version))
        return book_out(book)

    @operation(required(Isbn))
    def RemoveBook(ctx: Any, isbn: str | None) -> None:  # noqa: N805
        call_domain(ctx, lambda s: s.remove_book(isbn))

    @operation(
        required(Isbn), required(Member), _returns=required(LoanOut), _out_variable_name="loan"
    )
    def BorrowBook(ctx: Any, isbn: str | None, member: str | None) -> LoanOut:  # noqa: N805
        return loan_out(call_domain(ctx, lambda s: s.borrow_book(isbn, member)))

    @operation(required(LoanId), _returns=required(LoanOut), _out_variable_name="loan")
    def ReturnBook(ctx: Any, loan_id: str | None) -> LoanOut:  # noqa: N805
        return loan_out(call_domain(ctx, lambda s: s.return_book(loan_id)))

    @operation(Member, OpenOnly, Isbn, _returns=required(LoanList), _out_variable_name="loans")
    def ListLoans(
        ctx: Any,  # noqa: N805
        member: str | None,
        open_only: bool | None,
        isbn: str | None,
    ) -> list[LoanOut] | None:
        loans = call_domain(
            ctx, lambda s: s.list_loans(member=member, open_only=open_only, isbn=isbn)
        )
        return answer(ctx, tuple(loans), lambda kept: [loan_out(loan) for loan in kept])

    @operation(required(LoanId), _returns=required(LoanOut), _out_variable_name="loan")
    def GetLoan(ctx: Any, loan_id: str | None) -> LoanOut | None:  # noqa: N805
        return answer(ctx, call_domain(ctx, lambda s: s.get_loan(loan_id)), loan_out)

    @classmethod
    def call_wrapper(cls, ctx: Any, args: Any = None) -> Any:
        """The one place where a domain error becomes a fault, and a bug a logged Server fault."""
        try:
            return super().call_wrapper(ctx, args)
        except Fault:
            raise
        except DomainError as error:
            if error.kind in soap_faults.NAMED_KINDS:
                raise soap_faults.from_domain(error) from None
            log.exception("SOAP %s failed", ctx.descriptor.name)
            raise soap_faults.server_fault() from None
        except Exception:
            log.exception("SOAP %s failed", ctx.descriptor.name)
            raise soap_faults.server_fault() from None


def build_application(runtime: Runtime) -> Application:
    """One spyne Application per gateway: its `config` is the runtime the operations use."""
    in_protocol = LibrarySoap11()
    in_protocol.event_manager.add_listener("before_deserialize", check_credentials)
    return Application(
        [Library],
        tns=TNS,
        name="Library",
        in_protocol=in_protocol,
        out_protocol=LibrarySoap11(),
        config=runtime,
    )
