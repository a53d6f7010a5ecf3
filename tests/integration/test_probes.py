"""The probes: liveness at /healthz, metrics by protocol and operation at /metrics."""

from __future__ import annotations

import httpx
import pytest

from clients.interface import RemoteError
from tests.live import LiveGateway


def test_healthz_answers_ok(gateway: LiveGateway) -> None:
    answer = httpx.get(gateway.url + "/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_metrics_count_calls_by_protocol_and_operation(gateway: LiveGateway) -> None:
    from clients.rest import RestClient
    from clients.soap import SoapClient
    from clients.ws import WsClient

    for make in (RestClient, SoapClient, WsClient):
        client = make(gateway.url)
        client.get_book("9780132350884")
        with pytest.raises(RemoteError):
            client.get_book("9780000000002")
        client.close()
    text = httpx.get(gateway.url + "/metrics").text
    for protocol in ("rest", "soap", "websocket"):
        labels = f'operation="get_book",protocol="{protocol}"'
        assert f"rosetta_requests_total{{{labels}}}" in text
        assert f"rosetta_request_duration_seconds_count{{{labels}}}" in text
        assert f"rosetta_sent_bytes_total{{{labels}}}" in text
        assert f'rosetta_errors_total{{kind="not_found",{labels}}}' in text
