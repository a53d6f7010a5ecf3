"""Runs one client method from the command line: `python -m clients.rest get_book 978...`.

Arguments bind to the method's parameters in order, or by name as `key=value`; values that
read as JSON (numbers, booleans, lists) are passed as such, anything else as text.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from clients.interface import LibraryClient, RemoteError
from services.models import Book, Loan, Page, book_as_dict, loan_as_dict

DEFAULT_URL = "http://127.0.0.1:8000"


def parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def bind(method: Callable[..., Any], words: Sequence[str]) -> dict[str, Any]:
    """Positional words fill the method's parameters in order; `key=value` names one."""
    names = [
        p.name for p in inspect.signature(method).parameters.values() if p.kind != p.VAR_KEYWORD
    ]
    arguments: dict[str, Any] = {}
    for position, word in enumerate(words):
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            arguments[key] = parse_value(value)
        elif position < len(names):
            # ISBNs and ids stay text even when they look like numbers.
            arguments[names[position]] = word
        else:
            raise SystemExit(f"unexpected argument {word!r}; use key=value")
    return arguments


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
    if not words:
        print(f"usage: python -m {make_client.__module__} OPERATION [ARG ...] [key=value ...]")
        return 2
    url = os.environ.get("ROSETTA_URL", DEFAULT_URL)
    client = make_client(url, token=os.environ.get("ROSETTA_API_TOKEN") or None)
    try:
        method = getattr(client, words[0], None)
        if method is None or words[0].startswith("_"):
            print(f"unknown operation {words[0]!r}", file=sys.stderr)
            return 2
        result = method(**bind(method, words[1:]))
        print(json.dumps(as_json(result), indent=2))
        return 0
    except RemoteError as error:
        print(f"{error.protocol} error, kind {error.kind}: {error.message}", file=sys.stderr)
        return 1
    finally:
        client.close()
