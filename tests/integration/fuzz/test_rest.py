"""The REST API fuzzed from its own OpenAPI document with schemathesis.

Every generated request, valid or not, must get an answer the document declares: a declared
status, a declared media type, a body and headers that match their schemas, and never a 5xx.
The gateway runs with an API token, so the authentication checks have something to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import settings
from schemathesis import Case, HookContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.schemas import BaseSchema

from gateway.metrics import Metrics
from gateway.rest.api import create_rest_app
from gateway.runtime import Runtime
from gateway.settings import Settings
from tests.conftest import gateway_settings
from tests.live import LiveGateway, serve

TOKEN = "fuzz-token"
EXAMPLES = 40  # per operation and phase
STEPS = 20  # calls per stateful scenario

CONFIG: dict[str, Any] = {
    "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
    "request-timeout": 10,  # an answer slower than this is a hang, and a failure
    "checks": {
        # "Schema-valid data is accepted" cannot hold for this API, by design: an ISBN's
        # checksum, a real calendar date or an empty filter are rules JSON Schema does not
        # express, and the domain answers them with a 422 that the document does declare.
        "positive_data_acceptance": {"enabled": False},
        # A stale If-Match answers 412 before the body is read, as RFC 9110 13.2.2 orders it.
        "negative_data_rejection": {
            "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 412, 415, 422, 428, 429]
        },
    },
    # Unknown query parameters and body fields are refused (422), so the fuzzer adds some and
    # checks that they are.
    "generation": {"allow-extra-parameters": True},
}


def document() -> dict[str, Any]:
    """The adapter's OpenAPI document, built without a socket.

    pytest collects test parameters before any fixture runs, so the operations to fuzz come
    from the adapter itself; a test below checks that the live gateway serves the same.
    """
    settings = Settings(api_token=TOKEN)
    runtime = Runtime(settings=settings, metrics=Metrics(settings.instance_name))
    return create_rest_app(runtime).openapi()


def load(raw: dict[str, Any], base_url: str | None = None) -> BaseSchema:
    config = CONFIG if base_url is None else {**CONFIG, "base-url": base_url}
    loaded = schemathesis.openapi.from_dict(raw, config=SchemathesisConfig.from_dict(config))

    @loaded.hook
    def filter_failure(
        context: HookContext, failure: Failure, case: Case[Any], response: Response
    ) -> bool:
        # A query parameter "mutated" into an array of one value goes out as that one value,
        # the very text of a valid parameter, and an empty array as no parameter at all: not
        # invalid on the wire, so their acceptance is no failure. Arrays of more values go out
        # repeated and must be refused, like every other mutation (limit=0, open_only=maybe,
        # a parameter the document does not name).
        del context, response
        meta = case.meta
        location = None if meta is None else meta.phase.data.parameter_location
        at_most_one = any(
            isinstance(value, list) and len(value) <= 1 for value in (case.query or {}).values()
        )
        return not (
            isinstance(failure, AcceptedNegativeData)
            and location == ParameterLocation.QUERY
            and at_most_one
        )

    return loaded


schema = load(document())


@pytest.fixture(scope="module")
def fuzzed_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway of its own: the fuzzer adds, changes and removes books and loans."""
    with serve(gateway_settings(tmp_path_factory.mktemp("fuzz-rest"), api_token=TOKEN)) as live:
        yield live


def test_the_fuzzed_document_is_the_one_served(fuzzed_gateway: LiveGateway) -> None:
    served = httpx.get(f"{fuzzed_gateway.rest_url}/openapi.json", timeout=10).json()
    # Mounted under /rest, the served copy names its server; the operations are the same.
    assert served.pop("servers") == [{"url": "/rest"}]
    assert served == document()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True)
def test_every_operation_answers_as_its_document_says(
    case: Case[Any], fuzzed_gateway: LiveGateway
) -> None:
    case.call_and_validate(base_url=fuzzed_gateway.rest_url)


def test_sequences_of_calls_answer_as_the_document_says(fuzzed_gateway: LiveGateway) -> None:
    """Stateful: the document's links chain calls (add a book, borrow it, return the loan...)."""
    served = httpx.get(f"{fuzzed_gateway.rest_url}/openapi.json", timeout=10).json()
    load(served, base_url=fuzzed_gateway.rest_url).as_state_machine().run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            print_blob=True,
        )
    )


@pytest.mark.parametrize(
    ("path", "status"),
    [("/books/978%0Aabc", 422), ("/no%0Awhere", 404), ("/loans/a%0Ab", 404)],
)
def test_a_newline_in_the_path_gets_a_problem_too(
    fuzzed_gateway: LiveGateway, path: str, status: int
) -> None:
    """Found by the fuzzer: such paths used to miss the REST adapter and get a plain-text 404."""
    answer = httpx.get(fuzzed_gateway.rest_url + path, timeout=10)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
