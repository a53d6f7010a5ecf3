"""The operations the demo page offers, the form fields of each, and the run requests it sends.

Fields come from the JSON schema of each WebSocket method's params (gateway/ws/methods.py),
which is where the contract's inputs are declared once for the AsyncAPI document too: a field
added to the contract appears on the page without touching it. Only the prefilled values and
the notes about scratch copies belong to the demo. A run request is checked here for shape
only: its values are for the three protocols to judge, each in its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.ws.methods import METHODS, Method
from services.errors import FieldError, InvalidInput
from services.operations import OPERATIONS as CONTRACT
from services.sample_data import SAMPLE_BOOKS

# The contract's operations, in its order: every protocol has each of them. subscribe and
# unsubscribe are WebSocket's own, so they cannot be compared.
OPERATIONS: tuple[str, ...] = tuple(CONTRACT)

SAMPLE_ISBN = "9780132350884"
_SAMPLE = SAMPLE_BOOKS[0]

# What the form shows before anyone types, so that a first click already tells something.
PREFILLED: dict[str, dict[str, Any]] = {
    "list_books": {"q": "design", "limit": 3},
    "get_book": {"isbn": SAMPLE_ISBN},
    "add_book": {k: v for k, v in _SAMPLE.items() if k != "isbn"} | {"currency": "EUR"},
    "update_book": {"isbn": SAMPLE_ISBN, "price": "39.99"},
    "remove_book": {"isbn": SAMPLE_ISBN},
    "borrow_book": {"isbn": SAMPLE_ISBN, "member": "ada"},
    "list_loans": {"open_only": True},
}

# Fields whose value the demo supplies itself, because each protocol needs its own target.
SET_BY_DEMO: dict[str, dict[str, str]] = {
    "add_book": {"isbn": "a fresh scratch ISBN for each protocol"},
    "return_book": {"loan_id": "a loan of a scratch book, opened for each protocol"},
    "get_loan": {"loan_id": "a loan of a scratch book, opened for the three protocols"},
}

# Changes run on scratch books, made and removed as `rosetta compare` does (its Scratchpad).
NOTES: dict[str, str] = {
    "add_book": (
        "Each protocol adds its own book under a fresh ISBN; the three are removed afterwards."
    ),
    "update_book": (
        "Each protocol changes its own scratch copy of this book (a copy starts at version 1);"
        " the copies are removed afterwards and the book itself is left as it was."
    ),
    "remove_book": "Each protocol removes its own scratch copy of this book; the book stays.",
    "borrow_book": (
        "Each protocol borrows from its own scratch copy of this book; the loans are then "
        "returned and the copies removed (returned loans stay in the loan history)."
    ),
    "return_book": (
        "Each protocol returns its own loan of a scratch book, borrowed by the demo just "
        "before; the scratch books are removed afterwards."
    ),
    "get_loan": (
        "The three protocols read the same loan of a scratch book, borrowed by the demo just "
        "before; it is then returned and the book removed (the loan stays in the history)."
    ),
}


def catalogue(token_required: bool) -> dict[str, Any]:
    """What the page needs to build its form: each operation with its fields."""
    return {
        "token_required": token_required,
        "operations": [describe(METHODS[name]) for name in OPERATIONS],
    }


def describe(method: Method) -> dict[str, Any]:
    schema = method.params.model_json_schema()
    required = set(schema.get("required", ()))
    names = sorted(schema["properties"], key=lambda name: name not in required)
    set_by_demo = SET_BY_DEMO.get(method.name, {})
    prefilled = PREFILLED.get(method.name, {})
    return {
        "name": method.name,
        "summary": CONTRACT[method.name].summary,
        "change": CONTRACT[method.name].changes,
        "note": NOTES.get(method.name),
        "fields": [
            field(
                name,
                schema["properties"][name],
                required=name in required,
                value=prefilled.get(name),
                set_by_demo=set_by_demo.get(name),
            )
            for name in names
        ],
    }


def field(
    name: str,
    schema: dict[str, Any],
    *,
    required: bool,
    value: Any,
    set_by_demo: str | None,
) -> dict[str, Any]:
    """One input of the form: its kind (text, integer, boolean, date, list) and its limits."""
    # Optional fields are declared as anyOf [the type, null]; the form only needs the type.
    variants = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    shape = variants[0] if variants else {}
    kind = _kind(shape)
    limits = {
        key: shape[key]
        for key in ("minimum", "maximum", "minLength", "maxLength", "pattern", "maxItems")
        if key in shape
    }
    examples = shape.get("examples") or schema.get("examples") or []
    return {
        "name": name,
        "kind": kind,
        "required": required,
        "description": schema.get("description") or shape.get("description") or "",
        "default": schema.get("default"),
        "example": examples[0] if examples else None,
        "value": value,
        "limits": limits,
        "set_by_demo": set_by_demo,
    }


def _kind(shape: dict[str, Any]) -> str:
    if shape.get("type") == "array":
        return "list"
    if shape.get("format") == "date":
        return "date"
    if shape.get("type") in {"integer", "boolean"}:
        return str(shape["type"])
    return "text"


_REQUEST_KEYS = frozenset({"operation", "params", "token"})


@dataclass(frozen=True)
class RunRequest:
    operation: str
    params: dict[str, Any]
    token: str | None = None

    @property
    def change(self) -> bool:
        return CONTRACT[self.operation].changes


def parse_run(body: object) -> RunRequest:
    """The page's request, checked for shape; the values are for the protocols to judge."""
    if not isinstance(body, dict):
        raise InvalidInput(
            "the run request must be a JSON object",
            [FieldError("body", "must be an object with operation, params and token")],
        )
    errors = [
        FieldError(key, f"is not a member of a run request; use {sorted(_REQUEST_KEYS)}")
        for key in body
        if key not in _REQUEST_KEYS
    ]
    operation = body.get("operation")
    if operation not in OPERATIONS:
        errors.append(FieldError("operation", f"must be one of {', '.join(OPERATIONS)}"))
    params = body.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        errors.append(FieldError("params", "must be an object with the params by name"))
    elif operation in OPERATIONS:
        errors += _param_errors(str(operation), params)
    token = body.get("token")
    if token is not None and not isinstance(token, str):
        errors.append(FieldError("token", "must be a string"))
    if errors:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise InvalidInput(f"invalid run request: {summary}", errors)
    return RunRequest(str(operation), params, token or None)


def _param_errors(operation: str, params: Mapping[str, Any]) -> list[FieldError]:
    known = METHODS[operation].param_names
    set_by_demo = SET_BY_DEMO.get(operation, {})
    errors = []
    for name in params:
        if name not in known:
            message = f"is not a param of {operation}; it takes {list(known)}"
            errors.append(FieldError(f"params.{name}", message))
        elif name in set_by_demo:
            errors.append(FieldError(f"params.{name}", f"is set by the demo: {set_by_demo[name]}"))
    return errors
