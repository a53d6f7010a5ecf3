"""The WebSocket methods, in one table: the dispatcher runs it, the AsyncAPI document describes it.

The contract's operations come from services.operations; subscribe and unsubscribe are this
protocol's own.

A method's name is the contract's operation name and its params are the operation's inputs by
name. Params are checked here only for shape (an object with known names); the service
validates every value, so a bad value reads the same through every protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from pydantic import BaseModel

from gateway.json_models import BookIn, BookOut, BookPageOut, BorrowIn, LoanOut
from gateway.ws import schemas as s
from services.errors import FieldError, InvalidInput
from services.events import Subscription, validate_patterns
from services.models import Page, book_as_dict, loan_as_dict
from services.operations import OPERATIONS
from services.service import LibraryService


class Caller(Protocol):
    """What a handler may use of the connection that called it (gateway.ws.connection)."""

    @property
    def service(self) -> LibraryService: ...

    async def subscribe(
        self, patterns: frozenset[str], after: int | None, epoch: str | None
    ) -> Subscription: ...

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

    # Cached: run() reads both on every call, and the model's fields never change.
    @cached_property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.params.model_fields)

    @cached_property
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


async def _subscribe(caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
    patterns = _patterns(p["events"])
    after, epoch = p.get("after"), p.get("epoch")
    errors = []
    # bool is an int in Python, not in JSON: `true` is no seq.
    if after is not None and (not isinstance(after, int) or isinstance(after, bool) or after < 0):
        errors.append(FieldError("after", "must be a seq: an integer, zero or more"))
    if epoch is not None and (not isinstance(epoch, str) or not 0 < len(epoch) <= s.EPOCH_MAX):
        errors.append(FieldError("epoch", f"must be a string of 1 to {s.EPOCH_MAX} characters"))
    if errors:
        raise InvalidInput("invalid position to resume from", errors)
    subscription = await caller.subscribe(patterns, after, epoch)
    return {
        "events": sorted(subscription.patterns),
        "epoch": subscription.epoch,
        "seq": subscription.seq,
    }


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


def _operation(name: str, params: type[BaseModel], result: Any, handler: Handler) -> Method:
    """The method of a contract operation, with the table's summary and change flag.

    Its params model describes the params for the AsyncAPI document; it must name exactly the
    table's parameters, and require the same ones, or the gateway does not start.
    """
    operation = OPERATIONS[name]
    method = Method(name, operation.summary, params, result, handler, change=operation.changes)
    if set(method.param_names) != set(operation.parameter_names) or set(method.required) != set(
        operation.required
    ):
        raise TypeError(f"the params of the WebSocket method {name} differ from the contract's")
    return method


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        _operation("list_books", s.ListBooksParams, BookPageOut, _list_books),
        _operation("get_book", s.IsbnParams, BookOut, _get_book),
        _operation("add_book", BookIn, BookOut, _add_book),
        _operation("update_book", s.UpdateBookParams, BookOut, _update_book),
        _operation("remove_book", s.IsbnParams, None, _remove_book),
        _operation("borrow_book", BorrowIn, LoanOut, _borrow_book),
        _operation("return_book", s.LoanIdParams, LoanOut, _return_book),
        _operation("list_loans", s.ListLoansParams, list[LoanOut], _list_loans),
        _operation("get_loan", s.LoanIdParams, LoanOut, _get_loan),
        # The event methods are this protocol's own: REST and SOAP have no subscriptions.
        Method(
            "subscribe",
            "Adds event patterns to this connection's subscription; returns all of them, with "
            "the stream's epoch and head seq. The first subscribe of a connection may resume: "
            "with `after`, the stored events after that seq are replayed before live ones.",
            s.SubscribeParams,
            s.Subscribed,
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
