"""The OpenAPI document and the interactive docs, as served under the /rest mount."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from gateway.rest.formats import MEDIA_TYPES, Format
from services.errors import ERROR_KINDS
from tests.live import LiveGateway

# As a server without a token declares them: no change can answer 401 or 403 there. Every
# operation but the entry point reads the database, so may answer 503 while it is down.
OPERATIONS = {
    ("/", "get"): ("entry_point", {"200", "304", "406", "422", "500"}),
    ("/books", "get"): ("list_books", {"200", "304", "406", "422", "500", "503"}),
    ("/books", "post"): (
        "add_book",
        {"201", "406", "408", "409", "413", "415", "422", "500", "503"},
    ),
    ("/books/{isbn}", "get"): ("get_book", {"200", "304", "404", "406", "422", "500", "503"}),
    ("/books/{isbn}", "patch"): (
        "update_book",
        {"200", "404", "406", "408", "409", "412", "413", "415", "422", "500", "503"},
    ),
    ("/books/{isbn}", "delete"): (
        "remove_book",
        {"204", "404", "409", "412", "422", "500", "503"},
    ),
    ("/loans", "get"): ("list_loans", {"200", "304", "406", "422", "500", "503"}),
    ("/loans", "post"): (
        "borrow_book",
        {"201", "404", "406", "408", "409", "413", "415", "422", "500", "503"},
    ),
    ("/loans/{loan_id}", "get"): ("get_loan", {"200", "304", "404", "406", "422", "500", "503"}),
    ("/loans/{loan_id}", "patch"): (
        "return_book",
        {"200", "404", "406", "408", "409", "413", "415", "422", "500", "503"},
    ),
}


@pytest.fixture(scope="module")
def document(gateway: LiveGateway) -> dict[str, Any]:
    answer = httpx.get(f"{gateway.rest_url}/openapi.json")
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)  # the OpenAPI 3.1 schema, and every reference resolved


def test_the_validator_refuses_a_document_that_breaks_openapi(document: dict[str, Any]) -> None:
    # Proof that the check above can fail: every response must have a description.
    broken = {**document, "paths": {"/books": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_docs_page_loads_the_document_under_the_mount(gateway: LiveGateway) -> None:
    page = httpx.get(f"{gateway.rest_url}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "url: '/rest/openapi.json'" in page.text
    assert httpx.get(f"{gateway.url}/rest/openapi.json").status_code == 200


def test_the_document_serves_paths_relative_to_the_rest_mount(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/rest"}]


def test_every_operation_is_listed_once_with_its_contract_name(document: dict[str, Any]) -> None:
    listed = {
        (path, method): operation["operationId"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert listed == {key: name for key, (name, _) in OPERATIONS.items()}


def test_without_a_token_no_operation_declares_security(document: dict[str, Any]) -> None:
    assert "securitySchemes" not in document["components"]
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "security" not in operation


@pytest.mark.parametrize(
    ("key", "expected"), OPERATIONS.items(), ids=[v[0] for v in OPERATIONS.values()]
)
def test_every_response_is_declared(
    document: dict[str, Any], key: tuple[str, str], expected: tuple[str, set[str]]
) -> None:
    path, method = key
    responses = document["paths"][path][method]["responses"]
    assert set(responses) == expected[1]
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            content = response["content"]
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            assert "application/problem+xml" in content
        elif status in ("200", "201"):
            assert set(response["content"]) == set(MEDIA_TYPES)
            assert "ETag" in response["headers"]
    if "201" in responses:
        assert "Location" in responses["201"]["headers"]


def test_request_bodies_reference_the_input_schemas(document: dict[str, Any]) -> None:
    paths = document["paths"]
    bodies = {
        "add_book": paths["/books"]["post"],
        "update_book": paths["/books/{isbn}"]["patch"],
        "borrow_book": paths["/loans"]["post"],
        "return_book": paths["/loans/{loan_id}"]["patch"],
    }
    expected = {
        "add_book": "BookIn",
        "update_book": "BookChanges",
        "borrow_book": "BorrowIn",
        "return_book": "LoanReturn",
    }
    schemas = document["components"]["schemas"]
    for name, operation in bodies.items():
        body = operation["requestBody"]
        assert body["required"] is True
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{expected[name]}"
        assert expected[name] in schemas


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def test_the_problem_schema_names_every_kind(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert problem["properties"]["kind"]["enum"] == list(ERROR_KINDS)
    assert {"type", "title", "status", "detail", "instance", "kind"} <= set(problem["required"])


def test_representations_declare_their_links(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "_links" in schemas["BookResource"]["properties"]
    assert set(schemas["LoanLinks"]["properties"]) == {"self", "collection", "book", "return"}
    assert set(schemas["PageLinks"]["properties"]) == {"self", "first", "last", "prev", "next"}


def test_conditional_headers_are_declared(document: dict[str, Any]) -> None:
    paths = document["paths"]

    def headers(operation: dict[str, Any]) -> set[str]:
        return {p["name"] for p in operation["parameters"] if p["in"] == "header"}

    assert headers(paths["/books/{isbn}"]["get"]) == {"If-None-Match"}
    assert headers(paths["/books/{isbn}"]["patch"]) == {"If-Match"}
    assert headers(paths["/books"]["get"]) == {"If-None-Match"}


def test_the_return_design_is_documented(document: dict[str, Any]) -> None:
    operation = document["paths"]["/loans/{loan_id}"]["patch"]
    assert '{"returned": true}' in operation["description"]
    assert "409" in operation["description"]


def test_the_xml_form_is_described(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["BookResource"]["xml"] == {"name": "book"}
    assert schemas["BookResource"]["properties"]["authors"]["items"]["xml"] == {"name": "author"}
    assert schemas["BookPage"]["properties"]["items"]["xml"] == {"wrapped": True}
    assert schemas["Problem"]["xml"]["namespace"] == "urn:ietf:rfc:7807"
    assert "<link rel=" in schemas["LoanResource"]["properties"]["_links"]["description"]


def test_every_get_declares_the_format_override(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        (parameter,) = [p for p in operations["get"]["parameters"] if p["name"] == "format"]
        assert parameter["in"] == "query", path
        ref = parameter["schema"]["anyOf"][0]["$ref"].removeprefix("#/components/schemas/")
        assert document["components"]["schemas"][ref]["enum"] == [f.value for f in Format], path
