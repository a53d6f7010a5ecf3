"""JSON-RPC messages read and written as the stdlib's json would, through the faster orjson."""

from __future__ import annotations

import json

import pytest

from gateway.ws import jsonrpc


@pytest.mark.parametrize(
    "text",
    [
        '{"jsonrpc":"2.0","id":7,"method":"get_book","params":{"isbn":"978-0-00-000000-2"}}',
        '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"get_book"}',
        '{"jsonrpc":"2.0","id":-9223372036854775809,"method":"list_books"}',
        '{"jsonrpc":"2.0","id":1.5e300,"method":"list_books","params":{"limit":2.0}}',
        '[{"a":"\\ud83d\\ude00 é"},{"b":[[[[[]]]]]}]',
        "[" * 250 + "]" * 250,
    ],
)
def test_a_message_reads_as_the_stdlib_reads_it(text: str) -> None:
    value = jsonrpc.decode(text)
    assert value == json.loads(text)
    assert json.dumps(value) == json.dumps(json.loads(text))  # same types: ints stay ints


@pytest.mark.parametrize(
    "text", ['{"id": NaN}', '{"id": Infinity}', '{"id": "\\ud800"}', "[" * 100_000, "{"]
)
def test_what_is_not_json_is_a_parse_error(text: str) -> None:
    with pytest.raises(jsonrpc.RpcError) as error:
        jsonrpc.decode(text)
    assert error.value.code == jsonrpc.PARSE_ERROR


def test_an_answer_is_written_as_the_stdlib_writes_it() -> None:
    answer = jsonrpc.success(2**70, {"title": "Été", "authors": ["Ann"], "copies": 3})
    assert jsonrpc.encode(answer) == json.dumps(answer, separators=(",", ":"), ensure_ascii=False)


def test_an_id_that_reads_as_infinity_is_refused_rather_than_echoed() -> None:
    entry = jsonrpc.decode('{"jsonrpc":"2.0","id":1e400,"method":"get_book"}')
    with pytest.raises(jsonrpc.RpcError) as error:
        jsonrpc.request_of(entry)
    assert error.value.code == jsonrpc.INVALID_REQUEST
    assert jsonrpc.reply_id(entry) is None
