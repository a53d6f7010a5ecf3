"""JSON-RPC 2.0 itself over /ws: notifications, batches, the standard errors, limits, faults."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import gateway_settings
from tests.integration.ws.support import SAMPLE_ISBN, rpc
from tests.live import LiveGateway, serve
from tests.support import book_fields, fresh_isbn

GET_SAMPLE = {"jsonrpc": "2.0", "id": 1, "method": "get_book", "params": {"isbn": SAMPLE_ISBN}}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param("{not json", -32700, id="not-json"),
        pytest.param('{"jsonrpc": "2.0", "id": 1, "method": "list_books', -32700, id="cut-short"),
        pytest.param(
            '{"jsonrpc": "2.0", "id": 1, "method": "list_books", "params": {"limit": NaN}}',
            -32700,
            id="nan-is-not-json",
        ),
        pytest.param(b'{"jsonrpc": "2.0", "id": 1, "method": "list_books"}', -32600, id="binary"),
        pytest.param("42", -32600, id="not-an-object"),
        pytest.param('"get_book"', -32600, id="a-string"),
        pytest.param('{"jsonrpc": "1.0", "method": "list_books"}', -32600, id="old-version"),
        pytest.param('{"method": "list_books", "id": 2}', -32600, id="no-version"),
        pytest.param('{"jsonrpc": "2.0", "method": 5, "id": 2}', -32600, id="method-a-number"),
        pytest.param('{"jsonrpc": "2.0", "method": "list_books", "id": {}}', -32600, id="id-obj"),
        pytest.param(
            '{"jsonrpc": "2.0", "method": "list_books", "id": true}', -32600, id="id-bool"
        ),
        pytest.param(
            '{"jsonrpc": "2.0", "method": "list_books", "id": 1, "params": 3}',
            -32600,
            id="params-a-number",
        ),
        pytest.param(
            '{"jsonrpc": "2.0", "method": "list_books", "id": 1, "param": {}}',
            -32600,
            id="misspelt-member",
        ),
        pytest.param('{"jsonrpc": "2.0", "method": "drop_books", "id": 1}', -32601, id="unknown"),
        pytest.param('{"jsonrpc": "2.0", "method": "get_book", "id": 1}', -32602, id="missing"),
        pytest.param(
            '{"jsonrpc": "2.0", "method": "get_book", "id": 1, "params": ["9780132350884"]}',
            -32602,
            id="params-by-position",
        ),
        pytest.param(
            '{"jsonrpc": "2.0", "method": "list_books", "id": 1, "params": {"size": 3}}',
            -32602,
            id="unknown-param",
        ),
        pytest.param(
            '{"jsonrpc": "2.0", "method": "list_books", "id": 1, "params": {"limit": "many"}}',
            -32602,
            id="wrong-type",
        ),
    ],
)
def test_a_bad_message_gets_its_error_and_the_connection_goes_on(
    gateway: LiveGateway, frame: str | bytes, code: int
) -> None:
    with rpc(gateway) as ws:
        ws.send(frame)
        reply = ws.answer()
        ws.still_answers()
    assert reply["jsonrpc"] == "2.0"
    assert reply["error"]["code"] == code
    assert reply["error"]["data"]["kind"] == "invalid_input"
    assert reply["error"]["message"]


def test_invalid_requests_echo_a_readable_id_and_null_otherwise(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        ws.send({"jsonrpc": "1.0", "id": "abc", "method": "list_books"})
        readable = ws.answer()
        ws.send({"jsonrpc": "1.0", "id": [1], "method": "list_books"})
        unreadable = ws.answer()
        ws.send("nonsense")
        unparsable = ws.answer()
    assert readable["id"] == "abc"
    assert unreadable["id"] is None
    assert unparsable["id"] is None


def test_unknown_params_are_named_in_the_errors(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        error = ws.error("get_book", {"isbn": SAMPLE_ISBN, "format": "short"})
    assert error["data"]["errors"] == [
        {"field": "format", "message": "is not a param of get_book; it takes ['isbn']"}
    ]


def test_missing_params_are_required_alongside_every_other_broken_rule(
    gateway: LiveGateway,
) -> None:
    with rpc(gateway) as ws:
        alone = ws.error("get_book", {})
        together = ws.error("add_book", {"isbn": fresh_isbn(), "copies": -1})
    assert alone["data"]["errors"] == [{"field": "isbn", "message": "is required"}]
    assert {e["field"] for e in together["data"]["errors"]} == {
        "title",
        "authors",
        "published",
        "price",
        "copies",
    }


def test_ids_of_every_json_kind_are_echoed(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        for ident in ("req-1", 7, 2.5, None):
            ws.send({**GET_SAMPLE, "id": ident})
            reply = ws.answer()
            assert reply["id"] == ident
            assert reply["result"]["isbn"] == SAMPLE_ISBN


def test_notifications_run_but_are_never_answered(gateway: LiveGateway) -> None:
    fields = book_fields()
    with rpc(gateway) as ws:
        ws.notify("add_book", fields)
        ws.notify("get_book", {"isbn": fresh_isbn()})  # fails: still no answer
        ws.notify("no_such_method")
        # Calls run in order, so an answer to any of the above would come before this one.
        ws.send(GET_SAMPLE)
        first = ws.answer()
        added = ws.call("get_book", {"isbn": fields["isbn"]})
    assert first["id"] == 1
    assert first["result"]["isbn"] == SAMPLE_ISBN
    assert added["title"] == fields["title"]


def test_a_batch_is_answered_in_one_array_in_order(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        ws.send(
            [
                {"jsonrpc": "2.0", "id": "a", "method": "add_book", "params": book_fields(isbn)},
                {"jsonrpc": "2.0", "method": "update_book", "params": {"isbn": isbn, "copies": 5}},
                {"jsonrpc": "2.0", "id": "b", "method": "get_book", "params": {"isbn": isbn}},
                {"jsonrpc": "2.0", "id": "c", "method": "nope"},
                1,
                {"jsonrpc": "2.0", "id": "d", "method": "get_book", "params": {"isbn": "x"}},
            ]
        )
        answers = ws.answer()
    assert isinstance(answers, list)
    assert [a["id"] for a in answers] == ["a", "b", "c", None, "d"]
    assert answers[0]["result"]["copies"] == 2
    assert answers[1]["result"]["copies"] == 5  # the notification ran before it
    assert [a.get("error", {}).get("code") for a in answers[2:]] == [-32601, -32600, -32602]


def test_an_empty_batch_is_one_invalid_request(gateway: LiveGateway) -> None:
    with rpc(gateway) as ws:
        ws.send("[]")
        reply = ws.answer()
        ws.still_answers()
    assert isinstance(reply, dict)
    assert reply["error"]["code"] == -32600
    assert reply["id"] is None


def test_a_batch_of_notifications_only_gets_no_answer(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        ws.send(
            [
                {"jsonrpc": "2.0", "method": "add_book", "params": book_fields(isbn)},
                {"jsonrpc": "2.0", "method": "get_book", "params": {"isbn": fresh_isbn()}},
            ]
        )
        ws.send(GET_SAMPLE)
        first = ws.answer()
        added = ws.call("get_book", {"isbn": isbn})
    assert isinstance(first, dict)
    assert first["id"] == 1
    assert added["isbn"] == isbn


def test_a_message_at_the_limit_is_read(gateway: LiveGateway) -> None:
    frame = json.dumps(GET_SAMPLE)
    frame += " " * (gateway.settings.max_body - len(frame))
    with rpc(gateway) as ws:
        ws.send(frame)
        assert ws.answer()["result"]["isbn"] == SAMPLE_ISBN


def test_a_message_over_the_limit_closes_with_1009(gateway: LiveGateway) -> None:
    frame = json.dumps(GET_SAMPLE)
    frame += " " * (gateway.settings.max_body + 1 - len(frame))
    with rpc(gateway) as ws:
        ws.send(frame)
        with pytest.raises(ConnectionClosed) as closed:
            ws.answer()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


@pytest.fixture(scope="module")
def broken_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway whose database has a loans table of the wrong shape: loan reads fail."""
    directory: Path = tmp_path_factory.mktemp("broken")
    settings = gateway_settings(directory)
    with sqlite3.connect(settings.db) as db:
        db.execute("CREATE TABLE loans (unrelated INTEGER)")
    db.close()
    with serve(settings) as live:
        yield live


def test_a_server_fault_is_32603_without_internals_and_is_logged(
    broken_gateway: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="gateway"), rpc(broken_gateway) as ws:
        error = ws.error("list_loans")
        ws.still_answers()
    assert error["code"] == -32603
    assert error["data"] == {"kind": "server_fault"}
    assert "Traceback" not in error["message"]
    assert "loans" not in error["message"]
    assert "websocket call list_loans failed" in caplog.text
