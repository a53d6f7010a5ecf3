"""What the Flask, Django and Tornado versions share, none of it tied to a web framework.

Each framework parses, calls LibraryService and serialises in its own idiom; the facts they
must agree on come from where the FastAPI adapter declares them: the error table
(gateway/rest/problem_details.py), ETags and If-Match (gateway/rest/preconditions.py), the
JSON body rules (gateway/rest/json_body.py), links (gateway/rest/links.py), the XML form
(gateway/rest/xml_form.py) and the catalogue's opening (gateway/runtime.py).
"""

from __future__ import annotations

import json

from gateway.rest.problem_details import Problem, domain_problem, server_fault
from gateway.rest.refusals import RestProblem
from services.errors import DomainError

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
