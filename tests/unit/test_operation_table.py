"""Everything that exposes the contract's operations exposes exactly the table's, as it says."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from clients.arguments import parse_arguments
from clients.interface import LibraryClient
from clients.raw_soap import RawSoapClient
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from demo.operations import OPERATIONS as DEMO_OPERATIONS
from demo.operations import catalogue
from gateway.soap.auth import CHANGES as SOAP_CHANGES
from gateway.soap.operations import OPERATIONS as SOAP_OPERATIONS
from gateway.soap.operations import Library
from gateway.ws.methods import METHODS
from services.operations import CHANGES, OPERATIONS, Operation, ValueType

WEBSOCKET_ONLY = {"subscribe", "unsubscribe"}
CLIENTS = (LibraryClient, RestClient, SoapClient, RawSoapClient, WsClient)


def test_the_soap_service_has_one_operation_per_entry_under_its_soap_name() -> None:
    assert set(Library.public_methods) == {op.soap_name for op in OPERATIONS.values()}
    assert {op.soap_name: op.name for op in OPERATIONS.values()} == SOAP_OPERATIONS


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_each_soap_operation_takes_the_tables_parameters(operation: Operation) -> None:
    elements: dict[str, Any] = Library.public_methods[operation.soap_name].in_message._type_info
    required = {name for name, xsd in elements.items() if xsd.Attributes.min_occurs >= 1}
    assert tuple(elements) == operation.parameter_names
    assert required == set(operation.required)


def test_soap_asks_for_the_token_on_the_tables_changes_only() -> None:
    assert {SOAP_OPERATIONS[name] for name in SOAP_CHANGES} == CHANGES


def test_the_websocket_methods_are_the_table_and_subscriptions() -> None:
    assert set(METHODS) == set(OPERATIONS) | WEBSOCKET_ONLY
    for name, operation in OPERATIONS.items():
        method = METHODS[name]
        assert (method.summary, method.change) == (operation.summary, operation.changes)
        assert set(method.param_names) == set(operation.parameter_names)
        assert set(method.required) == set(operation.required)


def test_the_demo_offers_every_operation_with_the_tables_fields() -> None:
    offered = catalogue(token_required=True)["operations"]

    assert tuple(OPERATIONS) == DEMO_OPERATIONS
    assert [entry["name"] for entry in offered] == list(OPERATIONS)
    for entry in offered:
        operation = OPERATIONS[entry["name"]]
        assert entry["change"] == operation.changes
        assert {f["name"] for f in entry["fields"]} == set(operation.parameter_names)
        assert {f["name"] for f in entry["fields"] if f["required"]} == set(operation.required)


@pytest.mark.parametrize("client", CLIENTS, ids=[c.__name__ for c in CLIENTS])
def test_every_client_has_a_method_per_operation(client: type) -> None:
    for operation in OPERATIONS.values():
        method = getattr(client, operation.name)
        keywords = inspect.signature(method).parameters
        takes_any = any(p.kind == p.VAR_KEYWORD for p in keywords.values())
        assert takes_any or set(operation.parameter_names) <= set(keywords)


# One command-line word per type, and the value it must become.
WORDS: dict[ValueType, tuple[str, object]] = {
    ValueType.TEXT: ("0123", "0123"),
    ValueType.WHOLE_NUMBER: ("7", 7),
    ValueType.FLAG: ("true", True),
    ValueType.TEXT_LIST: ("a", ["a"]),
    ValueType.DATE: ("2024-05-17", "2024-05-17"),
    ValueType.DECIMAL: ("12.50", "12.50"),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_the_command_line_takes_every_key_of_every_operation_typed(operation: Operation) -> None:
    words = [f"{p.name}={WORDS[p.type][0]}" for p in operation.parameters]

    assert parse_arguments(operation.name, words) == {
        p.name: WORDS[p.type][1] for p in operation.parameters
    }
