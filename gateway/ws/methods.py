"""The WebSocket methods, in one table: the dispatcher runs it, the AsyncAPI document describes it.

A method's name is the contract's operation name and its params are the operation's inputs by
name. Params are checked here only for shape (an object with known names); the service
validates every value, so a bad value reads the same through every protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from gateway.json_models import BookIn, BookOut, BookPageOut, BorrowIn, LoanOut
from gateway.ws import schemas as s
from services.errors import FieldError, InvalidInput
from services.events import validate_patterns
from services.models import Page, book_as_dict, loan_as_dict
from services.service import LibraryService


class Caller(Protocol):
    """What a handler may use of the connection that called it (gateway.ws.connection)."""

    @property
    def service(self) -> LibraryService: ...

    def subscribe(self, patterns: frozenset[str]) -> frozenset[str]: ...

    def unsubscribe(self, patterns: frozenset[str] | None) -> frozenset[str]: ...


Handler = Callable[[Caller, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    params: type[BaseModel]
    result: Any  # a type pydantic can describe: the shape of the `result` member
    handler: Handler
    change: bool = False  # needs the API token when the server has one

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.params.model_fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n, f in self.params.model_fields.items() if f.is_required())


async def run(method: Method, caller: Caller, params: object) -> Any:
    """Calls the method's handler with the params by name, once their shape fits the method.

    Unknown names are refused here. A missing required param is passed on as null, so that
    the service reports it together with every other broken rule, as "is required".
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidInput(
            f"{method.name} takes its params by name",
            [FieldError("params", "must be an object with the params by name")],
        )
    missing = [name for name in method.required if name not in params]
    unknown = [
        FieldError(name, f"is not a param of {method.name}; it takes {list(method.param_names)}")
        for name in params
        if name not in method.param_names
    ]
    if unknown:
        raise _invalid_params(method, unknown + [FieldError(n, "is required") for n in missing])
    try:
        return await method.handler(caller, {**dict.fromkeys(missing), **params})
    except InvalidInput as invalid:
        if not missing:
            raise
        errors = [
            FieldError(e.field, "is required") if e.field in missing else e for e in invalid.errors
        ]
        raise _invalid_params(method, errors) from None


def _invalid_params(method: Method, errors: list[FieldError]) -> InvalidInput:
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return InvalidInput(f"invalid params of {method.name}: {summary}", errors)


def page_as_dict(page: Page) -> dict[str, Any]:
    return {
        "items": [book_as_dict(b) for b in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


async def _list_books(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return page_as_dict(await caller.service.list_books(**p))


async def _get_book(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return book_as_dict(await caller.service.get_book(p["isbn"]))


async def _add_book(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return book_as_dict(await caller.service.add_book(p))


async def _update_book(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in p.items() if k not in {"isbn", "expected_version"}}
    book = await caller.service.update_book(p["isbn"], changes, p.get("expected_version"))
    return book_as_dict(book)


async def _remove_book(caller: Caller, p: dict[str, Any]) -> None:
    await caller.service.remove_book(p["isbn"])


async def _borrow_book(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return loan_as_dict(await caller.service.borrow_book(p["isbn"], p["member"]))


async def _return_book(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return loan_as_dict(await caller.service.return_book(p["loan_id"]))


async def _get_loan(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    return loan_as_dict(await caller.service.get_loan(p["loan_id"]))


async def _list_loans(caller: Caller, p: dict[str, Any]) -> list[dict[str, Any]]:
    return [loan_as_dict(loan) for loan in await caller.service.list_loans(**p)]


async def _subscribe(caller: Caller, p: dict[str, Any]) -> list[str]:
    return sorted(caller.subscribe(_patterns(p["events"])))


async def _unsubscribe(caller: Caller, p: dict[str, Any]) -> list[str]:
    events = p.get("events")
    return sorted(caller.unsubscribe(None if events is None else _patterns(events)))


def _patterns(value: object) -> frozenset[str]:
    # A bare string is iterable too: without this check "book.*" would be read letter by letter.
    if not isinstance(value, list):
        raise InvalidInput(
            "invalid event patterns",
            [FieldError("events", "must be a list of patterns such as ['book.*']")],
        )
    return validate_patterns(value)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "list_books",
            "A page of books, filtered by text, author or tag.",
            s.ListBooksParams,
            BookPageOut,
            _list_books,
        ),
        Method("get_book", "One book by ISBN.", s.IsbnParams, BookOut, _get_book),
        Method(
            "add_book",
            "Adds a book; params are its writable fields.",
            BookIn,
            BookOut,
            _add_book,
            change=True,
        ),
        Method(
            "update_book",
            "Changes some fields of a book, optionally only if it is at `expected_version`.",
            s.UpdateBookParams,
            BookOut,
            _update_book,
            change=True,
        ),
        Method(
            "remove_book",
            "Removes a book that has no open loans; the result is null.",
            s.IsbnParams,
            None,
            _remove_book,
            change=True,
        ),
        Method(
            "borrow_book",
            "Lends a free copy of a book to a member; due in 21 days.",
            BorrowIn,
            LoanOut,
            _borrow_book,
            change=True,
        ),
        Method(
            "return_book",
            "Closes an open loan.",
            s.LoanIdParams,
            LoanOut,
            _return_book,
            change=True,
        ),
        Method(
            "get_loan",
            "One loan by id (an extension of the contract, as REST has /rest/loans/{id}).",
            s.LoanIdParams,
            LoanOut,
            _get_loan,
        ),
        Method(
            "list_loans",
            "Loans, filtered by member, by book, or to the open ones.",
            s.ListLoansParams,
            list[LoanOut],
            _list_loans,
        ),
        Method(
            "subscribe",
            "Adds event patterns to this connection's subscription; returns all of them.",
            s.SubscribeParams,
            s.Subscription,
            _subscribe,
        ),
        Method(
            "unsubscribe",
            "Drops the given patterns (or, without `events`, all of them); returns what is left.",
            s.UnsubscribeParams,
            s.Subscription,
            _unsubscribe,
        ),
    )
}
