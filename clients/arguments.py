"""The operations `rosetta call` and `rosetta compare` know, and their `key=value` arguments.

Values are typed by the parameter they fill, not guessed from their look: `isbn=9780132350884`
stays text and `price=12.50` keeps its two digits, while `limit=5` is a number and
`tags=a tags=b` (or `tags='["a", "b"]'`) a list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from services.models import UPDATABLE_BOOK_FIELDS, WRITABLE_BOOK_FIELDS

TEXT = "text"
NUMBER = "number"
FLAG = "flag"
LIST = "list"

KINDS: dict[str, str] = {
    "isbn": TEXT,
    "title": TEXT,
    "published": TEXT,
    "price": TEXT,
    "currency": TEXT,
    "q": TEXT,
    "author": TEXT,
    "tag": TEXT,
    "member": TEXT,
    "loan_id": TEXT,
    "limit": NUMBER,
    "offset": NUMBER,
    "copies": NUMBER,
    "expected_version": NUMBER,
    "open_only": FLAG,
    "authors": LIST,
    "tags": LIST,
}

# Each operation's parameters, first the ones a positional argument fills, in order.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "get_book": ("isbn",),
    "list_books": ("q", "author", "tag", "limit", "offset"),
    "add_book": WRITABLE_BOOK_FIELDS,
    "update_book": ("isbn", "expected_version", *UPDATABLE_BOOK_FIELDS),
    "remove_book": ("isbn",),
    "borrow_book": ("isbn", "member"),
    "return_book": ("loan_id",),
    "list_loans": ("member", "open_only", "isbn"),
}
OPERATIONS = tuple(PARAMETERS)
WRITES = frozenset({"add_book", "update_book", "remove_book", "borrow_book", "return_book"})


class ArgumentError(Exception):
    """The command line names an operation or an argument the tools do not know, or a bad value."""


def parse_arguments(operation: str, words: Sequence[str]) -> dict[str, Any]:
    """`key=value` words (or bare values, filling the parameters in order) as typed arguments."""
    if operation not in PARAMETERS:
        raise ArgumentError(
            f"unknown operation {operation!r}; choose one of: {', '.join(OPERATIONS)}"
        )
    names = PARAMETERS[operation]
    arguments: dict[str, Any] = {}
    for position, word in enumerate(words):
        key, sep, text = word.partition("=")
        if not (sep and key.isidentifier()):
            if position >= len(names) or any("=" in earlier for earlier in words[:position]):
                raise ArgumentError(f"unexpected argument {word!r}; write it as key=value")
            key, text = names[position], word
        if key not in names:
            raise ArgumentError(f"{operation} takes no {key!r}; it takes: {', '.join(names)}")
        value = _typed(key, text)
        if KINDS[key] == LIST and key in arguments and not text.startswith("["):
            value = [*arguments[key], *value]
        arguments[key] = value
    return arguments


def describe(operation: str, arguments: dict[str, Any]) -> str:
    """The call as a command line would write it: `get_book isbn=9780132350884`."""
    words = [operation]
    for key, value in arguments.items():
        if isinstance(value, list):
            words.extend(f"{key}={item}" for item in value)
        else:
            words.append(f"{key}={json.dumps(value) if isinstance(value, bool) else value}")
    return " ".join(words)


def _typed(key: str, text: str) -> Any:
    kind = KINDS[key]
    if kind == NUMBER:
        try:
            return int(text)
        except ValueError:
            raise ArgumentError(f"{key} must be a whole number, not {text!r}") from None
    if kind == FLAG:
        if text.lower() not in ("true", "false"):
            raise ArgumentError(f"{key} must be true or false, not {text!r}")
        return text.lower() == "true"
    if kind == LIST:
        if not text.startswith("["):
            return [text]
        try:
            items = json.loads(text)
        except ValueError:
            raise ArgumentError(f"{key} must be a JSON list of strings, not {text!r}") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ArgumentError(f"{key} must be a JSON list of strings, not {text!r}")
        return items
    return text
