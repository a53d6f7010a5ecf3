"""The AsyncAPI document of /ws, and the WebSocket metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from gateway.ws.methods import METHODS
from services.events import EVENT_TYPES
from tests.integration.ws.support import about, rpc
from tests.live import LiveGateway
from tests.metrics import sample_sum
from tests.support import book_fields, fresh_isbn

# The official JSON schema of AsyncAPI 3.0.0, as the AsyncAPI project publishes it (the npm
# package @asyncapi/specs 6.11.1, schemas/3.0.0.json, Apache-2.0). No package on PyPI ships it
# with a validator of its own, so it is kept here as test data and read by jsonschema.
ASYNCAPI_3_SCHEMA = Path(__file__).with_name("asyncapi-3.0.0.schema.json")
CHANGES = {"add_book", "update_book", "remove_book", "borrow_book", "return_book"}
CONTRACT_OPERATIONS = {
    "list_books",
    "get_book",
    "add_book",
    "update_book",
    "remove_book",
    "borrow_book",
    "return_book",
    "list_loans",
}


def fetch_document(gateway: LiveGateway) -> dict[str, Any]:
    answer = httpx.get(gateway.url + "/ws/asyncapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document: dict[str, Any] = answer.json()
    return document


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node: Any = document
    for token in ref[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_asyncapi_3_for_this_server(gateway: LiveGateway) -> None:
    document = fetch_document(gateway)
    server = document["servers"]["rosetta"]
    assert document["asyncapi"] == "3.0.0"
    assert server["host"] == gateway.url.removeprefix("http://")
    assert server["protocol"] == "ws"
    assert document["channels"]["rpc"]["address"] == "/ws"
    assert document["defaultContentType"] == "application/json"


def test_the_document_is_valid_against_the_asyncapi_3_schema(gateway: LiveGateway) -> None:
    schema = json.loads(ASYNCAPI_3_SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = list(validator_class(schema).iter_errors(fetch_document(gateway)))
    assert not errors, jsonschema.exceptions.best_match(errors)


def test_the_schema_check_refuses_a_document_that_breaks_asyncapi_3(gateway: LiveGateway) -> None:
    # Proof that the check above can fail: a channel address must be a string or null.
    document = fetch_document(gateway)
    document["channels"]["rpc"]["address"] = 42
    schema = json.loads(ASYNCAPI_3_SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not validator.is_valid(document)


def test_ws_opened_as_a_page_answers_426_pointing_to_the_document(gateway: LiveGateway) -> None:
    answer = httpx.get(gateway.url + "/ws")
    assert answer.status_code == 426
    assert answer.headers["upgrade"] == "websocket"
    assert "/ws/asyncapi.json" in answer.text


def test_every_method_and_event_type_is_described(gateway: LiveGateway) -> None:
    document = fetch_document(gateway)
    operations = document["operations"]
    messages = document["channels"]["rpc"]["messages"]
    assert CONTRACT_OPERATIONS | {"subscribe", "unsubscribe"} <= set(METHODS)
    for name in METHODS:
        assert operations[name]["action"] == "receive"
        assert f"{name}.request" in messages
        assert f"{name}.result" in messages
        request = resolve(document, messages[name + ".request"]["$ref"])
        payload = resolve(document, request["payload"]["$ref"])
        assert payload["properties"]["method"] == {"const": name}
    assert operations["event"]["action"] == "send"
    event_refs = [m["$ref"] for m in operations["event"]["messages"]]
    for event_type in EVENT_TYPES:
        assert f"#/channels/rpc/messages/event.{event_type}" in event_refs
        message = resolve(document, messages[f"event.{event_type}"]["$ref"])
        params = resolve(document, message["payload"]["$ref"])["properties"]["params"]
        assert set(params["required"]) == {"seq", "type", "at", "data"}
        assert params["properties"]["type"] == {"const": event_type}


def test_every_ref_resolves_within_the_document(gateway: LiveGateway) -> None:
    document = fetch_document(gateway)
    found = list(refs(document))
    assert len(found) > 50
    for ref in found:
        assert resolve(document, ref) is not None, ref


def test_params_follow_the_contracts_inputs(gateway: LiveGateway) -> None:
    schemas = fetch_document(gateway)["components"]["schemas"]

    def params(method: str) -> dict[str, Any]:
        schema: dict[str, Any] = schemas["".join(p.title() for p in method.split("_")) + "Request"]
        found: dict[str, Any] = resolve(
            {"components": {"schemas": schemas}}, schema["properties"]["params"]["$ref"]
        )
        return found

    assert set(params("get_book")["required"]) == {"isbn"}
    assert set(params("add_book")["required"]) == {
        "isbn",
        "title",
        "authors",
        "published",
        "price",
        "copies",
    }
    assert set(params("update_book")["required"]) == {"isbn"}
    assert "expected_version" in params("update_book")["properties"]
    assert set(params("list_loans")["properties"]) == {"member", "open_only", "isbn"}
    assert set(params("return_book")["required"]) == {"loan_id"}


def test_change_operations_declare_the_token_only_when_the_server_has_one(
    gateway: LiveGateway, token_gateway: LiveGateway
) -> None:
    open_operations = fetch_document(gateway)["operations"]
    guarded = fetch_document(token_gateway)["operations"]
    assert not any("security" in op for op in open_operations.values())
    assert {name for name, op in guarded.items() if "security" in op} == CHANGES


def metric(gateway: LiveGateway, name: str, **labels: str) -> float:
    return sample_sum(httpx.get(gateway.url + "/metrics").text, name, **labels)


def test_calls_connections_and_events_are_measured(gateway: LiveGateway) -> None:
    labels = {"protocol": "websocket", "operation": "get_book"}
    not_found = {**labels, "kind": "not_found"}
    calls_before = metric(gateway, "rosetta_requests_total", **labels)
    errors_before = metric(gateway, "rosetta_errors_total", **not_found)
    events_before = metric(gateway, "rosetta_events_pushed_total")
    unknown = {"protocol": "websocket", "operation": "unknown"}
    unknown_before = metric(gateway, "rosetta_requests_total", **unknown)
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        open_connections = metric(gateway, "rosetta_websocket_connections")
        ws.call("subscribe", {"events": ["book.added"]})
        ws.error("get_book", {"isbn": isbn})
        ws.error("drop_all_tables")
        ws.call("add_book", book_fields(isbn))
        ws.call("get_book", {"isbn": isbn})
        ws.event(about(isbn))
    assert open_connections >= 1
    assert metric(gateway, "rosetta_requests_total", **labels) == calls_before + 2
    assert metric(gateway, "rosetta_errors_total", **not_found) == errors_before + 1
    # A method name the client made up is never a label: it is counted as "unknown".
    assert metric(gateway, "rosetta_requests_total", operation="drop_all_tables") == 0
    assert metric(gateway, "rosetta_requests_total", **unknown) == unknown_before + 1
    assert metric(gateway, "rosetta_received_bytes_total", **labels) > 0
    assert metric(gateway, "rosetta_events_pushed_total") >= events_before + 1
