"""What the Flask, Django and Tornado versions share, none of it tied to a web framework.

Each framework parses, calls LibraryService and serialises in its own idiom; the facts they
must agree on come from where the FastAPI adapter declares them: the error table
(gateway/rest/problem_details.py), ETags and If-Match (gateway/rest/preconditions.py), the
JSON body rules (gateway/rest/json_body.py), links (gateway/rest/links.py), the XML form
(gateway/rest/xml_form.py) and the catalogue's opening (gateway/runtime.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from gateway.rest.problem_details import Problem, domain_problem, server_fault
from gateway.rest.refusals import RestProblem
from services.errors import DomainError
from services.operations import OPERATIONS, ValueType

REST_ROOT = "/rest"
"""Where every framework mounts the contract, as the gateway does: links start with it."""

JSON = "application/json"
XML = "application/xml"
OFFERS = (JSON, XML)
"""The media types of every representation, JSON first: it wins a tie."""


def problem_of(error: BaseException) -> Problem:
    """The problem any exception answers as: a domain error by its kind, anything else a 500."""
    if isinstance(error, DomainError):
        return domain_problem(error)
    if isinstance(error, RestProblem):
        return Problem(
            error.name, error.title, error.status, error.detail, error.kind, {}, error.headers
        )
    return server_fault()


def problem_json(problem: Problem, instance: str) -> bytes:
    return json.dumps(problem.body(instance), ensure_ascii=False).encode()


def query_arguments(operation: str, get: Callable[[str], str | None]) -> dict[str, object]:
    """An operation's query-string parameters, typed as the contract's table types them.

    A query string carries text only; FastAPI types it from each route's declaration, and these
    frameworks from the one table (services/operations.py). Text that is not a number or a flag
    where one belongs is handed on as it came, so the service refuses it as invalid input.
    """
    arguments: dict[str, object] = {}
    for parameter in OPERATIONS[operation].parameters:
        text = get(parameter.name)
        if text is not None:
            arguments[parameter.name] = _typed(parameter.type, text)
    return arguments


def _typed(kind: ValueType, text: str) -> object:
    if kind is ValueType.WHOLE_NUMBER and text.strip().lstrip("-").isdigit():
        return int(text)
    if kind is ValueType.FLAG and text in {"true", "false"}:
        return text == "true"
    return text
