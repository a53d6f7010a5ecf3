"""Runs one client method from the command line: `python -m clients.rest get_book 978...`.

Arguments bind to the method's parameters in order, or by name as `key=value`. Values of text
fields (ISBNs, ids, names, dates, prices) stay text even when they look like numbers; other
values that read as JSON (numbers, booleans, lists) are passed as such.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clients.interface import UNREACHABLE, LibraryClient, RemoteError
from services.models import Book, Loan, Page, book_as_dict, loan_as_dict

DEFAULT_URL = "http://127.0.0.1:8000"

OPERATIONS = (
    "list_books",
    "get_book",
    "add_book",
    "update_book",
    "remove_book",
    "borrow_book",
    "return_book",
    "list_loans",
)
"""The contract's operations: what every client offers, so what every script runs."""

# Book fields that **fields and **changes take, with the type the contract gives them.
_BOOK_FIELD_TYPES: Mapping[str, str] = {
    name: str(annotation) for name, annotation in Book.__annotations__.items()
}
_TEXT_TYPES = ("str", "date", "Decimal")


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def bind(method: Callable[..., Any], words: Sequence[str]) -> dict[str, Any]:
    """Positional words fill the method's parameters in order; `key=value` names one."""
    signature = inspect.signature(method)
    parameters = signature.parameters
    names = [name for name, p in parameters.items() if p.kind != p.VAR_KEYWORD]
    arguments: dict[str, Any] = {}
    for position, word in enumerate(words):
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            name = key
        elif position < len(names):
            name, value = names[position], word
        else:
            raise SystemExit(f"unexpected argument {word!r}; use key=value")
        arguments[name] = value if _is_text(parameters, name) else parse_value(value)
    try:
        signature.bind(**arguments)
    except TypeError as error:
        raise SystemExit(f"{error}; usage: {method.__name__} {usage(signature)}") from None
    return arguments


def usage(signature: inspect.Signature) -> str:
    """`update_book isbn [expected_version=...] [field=value ...]`, from the method itself."""
    words = []
    for name, parameter in signature.parameters.items():
        if parameter.kind == parameter.VAR_KEYWORD:
            words.append("[field=value ...]")
        elif parameter.default is parameter.empty:
            words.append(name)
        else:
            words.append(f"[{name}=...]")
    return " ".join(words)


def _is_text(parameters: Mapping[str, inspect.Parameter], name: str) -> bool:
    declared = parameters[name].annotation if name in parameters else None
    annotation = str(declared or _BOOK_FIELD_TYPES.get(name, ""))
    return annotation.split(" |")[0] in _TEXT_TYPES


def as_json(result: Any) -> Any:
    if isinstance(result, Book):
        return book_as_dict(result)
    if isinstance(result, Loan):
        return loan_as_dict(result)
    if isinstance(result, Page):
        return {
            "items": [book_as_dict(book) for book in result.items],
            "total": result.total,
            "limit": result.limit,
            "offset": result.offset,
        }
    if isinstance(result, list):
        return [as_json(item) for item in result]
    return result


def run_script(make_client: Callable[..., LibraryClient], argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or words[0] not in OPERATIONS:
        if words:
            print(f"unknown operation {words[0]!r}", file=sys.stderr)
        module = getattr(sys.modules["__main__"].__spec__, "name", make_client.__module__)
        print(f"usage: python -m {module} OPERATION [ARG ...] [key=value ...]")
        print(f"operations: {', '.join(OPERATIONS)}")
        return 2
    url = os.environ.get("ROSETTA_URL", DEFAULT_URL)
    try:
        # SOAP and WebSocket clients talk at once (WSDL, handshake); REST on its first call.
        client = make_client(url, token=os.environ.get("ROSETTA_API_TOKEN") or None)
        try:
            method = getattr(client, words[0])
            result = method(**bind(method, words[1:]))
        finally:
            client.close()
    except RemoteError as error:
        print(f"{error.protocol} error, kind {error.kind}: {error.message}", file=sys.stderr)
        return 1
    except UNREACHABLE as error:
        print(f"cannot reach the gateway at {url}: {error}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(as_json(result), indent=2), flush=True)
    except BrokenPipeError:
        # The reader left early (`| head`): fine. Point stdout at devnull so that Python's
        # last flush on exit does not complain either, as the Python docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
