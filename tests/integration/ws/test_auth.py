"""The API token over /ws: given at the handshake, checked on every change, never on reads."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.conftest import API_TOKEN
from tests.integration.ws.support import SAMPLE_ISBN, rpc
from tests.live import LiveGateway
from tests.support import book_fields

HANDSHAKES: dict[str, tuple[str, dict[str, Any]]] = {
    "query": (f"?token={API_TOKEN}", {}),
    "header": ("", {"additional_headers": {"Authorization": f"Bearer {API_TOKEN}"}}),
    "subprotocol": ("", {"subprotocols": ["bearer", API_TOKEN]}),
}


@pytest.mark.parametrize("way", list(HANDSHAKES))
def test_a_token_given_at_the_handshake_allows_changes(
    token_gateway: LiveGateway, way: str
) -> None:
    query, options = HANDSHAKES[way]
    with rpc(token_gateway, query, **options) as ws:
        book = ws.call("add_book", book_fields())
        ws.call("remove_book", {"isbn": book["isbn"]})
        subprotocol = ws.connection.subprotocol
    # The token itself is never echoed back as the chosen subprotocol.
    assert subprotocol == ("bearer" if way == "subprotocol" else None)


def test_without_a_token_reads_work_and_changes_are_32003_missing(
    token_gateway: LiveGateway,
) -> None:
    fields = book_fields()
    with rpc(token_gateway) as ws:
        assert ws.call("get_book", {"isbn": SAMPLE_ISBN})["isbn"] == SAMPLE_ISBN
        ws.call("subscribe", {"events": ["book.*"]})
        error = ws.error("add_book", fields)
        missing = ws.error("get_book", {"isbn": fields["isbn"]})
    assert error["code"] == -32003
    assert error["data"] == {"kind": "not_allowed", "credentials": "missing"}
    assert missing["code"] == -32004


@pytest.mark.parametrize(
    ("query", "options"),
    [
        pytest.param("?token=wrong", {}, id="query"),
        pytest.param("", {"additional_headers": {"Authorization": "Bearer wrong"}}, id="header"),
        pytest.param("", {"subprotocols": ["bearer", "wrong"]}, id="subprotocol"),
    ],
)
def test_a_wrong_token_is_32003_invalid_on_changes_only(
    token_gateway: LiveGateway, query: str, options: dict[str, Any]
) -> None:
    with rpc(token_gateway, query, **options) as ws:
        error = ws.error("borrow_book", {"isbn": SAMPLE_ISBN, "member": "mallory"})
        ws.still_answers()
    assert error["code"] == -32003
    assert error["data"] == {"kind": "not_allowed", "credentials": "invalid"}


def test_the_token_is_checked_before_the_params(token_gateway: LiveGateway) -> None:
    with rpc(token_gateway) as ws:
        error = ws.error("update_book", {"isbn": "not an isbn"})
    assert error["data"]["kind"] == "not_allowed"


def test_a_gateway_without_a_token_lets_anyone_change(gateway: LiveGateway) -> None:
    with rpc(gateway, "?token=anything") as ws:
        book = ws.call("add_book", book_fields())
    assert book["version"] == 1


def test_a_token_in_the_url_is_kept_out_of_the_server_log(
    token_gateway: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    server_log = logging.getLogger("uvicorn.error")  # does not propagate to the root logger
    server_log.addHandler(caplog.handler)
    try:
        with (
            caplog.at_level(logging.INFO, logger="uvicorn.error"),
            rpc(token_gateway, f"?token={API_TOKEN}&lang=en") as ws,
        ):
            ws.still_answers()
    finally:
        server_log.removeHandler(caplog.handler)
    assert "/ws?token=[redacted]&lang=en" in caplog.text
    assert API_TOKEN not in caplog.text
