"""The one reader of `key=value` arguments, for `rosetta call`, `rosetta compare` and the
client scripts (`python -m clients.rest get_book isbn=...`).

Operations and their keys come from the contract's table (services/operations.py), and values
are typed by the parameter they fill, not guessed from their look: `isbn=9780132350884` stays
text and `price=12.50` keeps its two digits, while `limit=5` is a number, `open_only=true` a
flag, and `tags=a tags=b` (or `tags='["a", "b"]'`) a list. Bare values fill the keys in order.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from services.operations import OPERATIONS, Operation, ValueType

LIST_HINT = 'a list key may repeat (tags=a tags=b) or take a JSON list (tags=\'["a", "b"]\')'


class ArgumentError(Exception):
    """The command line names an operation or a key the tools do not know, lacks a required
    key, or gives a value of the wrong type. The message says what to type instead."""


def parse_arguments(
    operation: str, words: Sequence[str], supplied: Collection[str] = ()
) -> dict[str, Any]:
    """`key=value` words (or bare values, filling the keys in order) as typed arguments.

    `supplied` names required keys the caller fills itself when absent (compare's scratch books).
    """
    if operation not in OPERATIONS:
        raise ArgumentError(
            f"unknown operation {operation!r}; choose one of: {', '.join(OPERATIONS)}"
        )
    contract = OPERATIONS[operation]
    names = contract.parameter_names
    arguments: dict[str, Any] = {}
    for position, word in enumerate(words):
        key, sep, text = word.partition("=")
        if not (sep and key.isidentifier()):
            if position >= len(names) or any("=" in earlier for earlier in words[:position]):
                raise ArgumentError(
                    f"unexpected argument {word!r}; write it as key=value. usage: {usage(contract)}"
                )
            key, text = names[position], word
        if key not in names:
            keys = ", ".join(names) or "no keys"
            raise ArgumentError(f"{operation} takes no {key!r}; its keys: {keys}")
        value = _typed(contract, key, text)
        if contract.parameter(key).type == ValueType.TEXT_LIST and key in arguments:
            value = [*arguments[key], *value]
        arguments[key] = value
    missing = [name for name in contract.required if name not in arguments and name not in supplied]
    if missing:
        raise ArgumentError(f"{operation} needs {' and '.join(missing)}; usage: {usage(contract)}")
    return arguments


# How a usage line shows what a key takes; text and lists of text show `...`.
PLACEHOLDERS: dict[ValueType, str] = {
    ValueType.WHOLE_NUMBER: "N",
    ValueType.FLAG: "true|false",
    ValueType.DATE: "YYYY-MM-DD",
    ValueType.DECIMAL: "0.00",
}


def usage(operation: Operation) -> str:
    """`get_book isbn=...`, `list_books [q=...] [limit=N] ...`: required keys first."""
    words = [operation.name]
    for parameter in sorted(operation.parameters, key=lambda p: not p.required):
        word = f"{parameter.name}={PLACEHOLDERS.get(parameter.type, '...')}"
        words.append(word if parameter.required else f"[{word}]")
    return " ".join(words)


def operations_help() -> str:
    """Every operation with its keys, for the tools' --help."""
    lines = ["operations (keys in brackets are optional):"]
    for operation in OPERATIONS.values():
        lines += [f"  {usage(operation)}", f"      {operation.summary}"]
    lists = sorted(
        {
            p.name
            for op in OPERATIONS.values()
            for p in op.parameters
            if p.type == ValueType.TEXT_LIST
        }
    )
    lines.append(f"{', '.join(lists)}: {LIST_HINT}")
    return "\n".join(lines)


def describe(operation: str, arguments: dict[str, Any]) -> str:
    """The call as a command line would write it: `get_book isbn=9780132350884`."""
    words = [operation]
    for key, value in arguments.items():
        if isinstance(value, list):
            words.extend(f"{key}={item}" for item in value)
        else:
            words.append(f"{key}={json.dumps(value) if isinstance(value, bool) else value}")
    return " ".join(words)


def _typed(operation: Operation, key: str, text: str) -> Any:
    kind = operation.parameter(key).type
    if kind == ValueType.WHOLE_NUMBER:
        try:
            return int(text)
        except ValueError:
            message = f"{key} must be a whole number, not {text!r}; e.g. {key}=5"
            raise ArgumentError(message) from None
    if kind == ValueType.FLAG:
        if text.lower() not in ("true", "false"):
            raise ArgumentError(f"{key} must be true or false, not {text!r}; e.g. {key}=true")
        return text.lower() == "true"
    if kind == ValueType.TEXT_LIST:
        if not text.startswith("["):
            return [text]
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ArgumentError(f"{key} must be a list of text, not {text!r}; {LIST_HINT}")
        return items
    # Text, dates and decimals go as written: the service judges them, in every protocol.
    return text
