"""PostgreSQL stopped under live gateways: every protocol answers `unavailable` at once, in
its own idiom, /healthz says so, and once the server is back the gateways recover by
themselves: acknowledged writes are all there and event streams go on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from websockets.sync.client import connect

from clients.interface import LibraryClient, RemoteError
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from tests.conftest import gateway_settings
from tests.live import LiveGateway, serve
from tests.postgres import POSTGRES, PostgresServer, create_database, restartable_postgres_server
from tests.support import book_fields, fresh_isbn

# Bounds on waiting, never measured: an answer that takes longer fails the test as a hang.
ANSWER_WAIT = 30.0
RECOVERY_WAIT = 60.0
EVENT_WAIT = 20.0
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ISBN = "9780132350884"  # a sample book


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A server of this module's own: its tests stop and start it."""
    POSTGRES.need()
    with restartable_postgres_server() as running:
        yield running


@pytest.fixture
def instances(server: PostgresServer, tmp_path: Path) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    # Polling once an hour: events arrive only if the listener wakes the hub, including the
    # catch-up read after it reconnects.
    settings = gateway_settings(tmp_path).model_copy(
        update={"db": create_database(server.url), "event_poll_interval": 3600.0}
    )
    with serve(settings) as first, serve(settings) as second:
        yield first, second


def wait_until_healthy(gateway: LiveGateway) -> None:
    deadline = time.monotonic() + RECOVERY_WAIT
    while time.monotonic() < deadline:
        if httpx.get(f"{gateway.url}/healthz", timeout=ANSWER_WAIT).status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"{gateway.url} did not recover within {RECOVERY_WAIT} s")


def soap_get_book(gateway: LiveGateway) -> httpx.Response:
    body = f'<l:GetBook xmlns:l="urn:rosetta:library"><l:isbn>{ISBN}</l:isbn></l:GetBook>'
    envelope = f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body>{body}</s:Body></s:Envelope>'
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetBook"'}
    return httpx.post(gateway.soap_url, content=envelope, headers=headers, timeout=ANSWER_WAIT)


def rpc_get_book(gateway: LiveGateway) -> dict[str, Any]:
    with connect(gateway.ws_url, open_timeout=ANSWER_WAIT) as ws:
        ws.send(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "get_book", "params": {"isbn": ISBN}})
        )
        answer: dict[str, Any] = json.loads(ws.recv(timeout=ANSWER_WAIT))
    return answer


def test_with_the_database_down_each_protocol_answers_unavailable_then_recovers(
    server: PostgresServer, instances: tuple[LiveGateway, LiveGateway]
) -> None:
    a, b = instances
    subscriber = WsClient(a.url)
    clients: list[LibraryClient] = [RestClient(b.url), SoapClient(b.url), WsClient(b.url)]
    try:
        subscriber.subscribe("book.*")
        server.stop()
        try:
            for client in clients:
                with pytest.raises(RemoteError) as refused:
                    client.get_book(ISBN)
                assert refused.value.kind == "unavailable", client.protocol
                with pytest.raises(RemoteError) as refused:
                    client.add_book(**book_fields())
                assert refused.value.kind == "unavailable", client.protocol

            rest = httpx.get(f"{b.rest_url}/books/{ISBN}", timeout=ANSWER_WAIT)
            assert rest.status_code == 503
            assert rest.headers["content-type"] == "application/problem+json"
            assert int(rest.headers["retry-after"]) > 0
            assert rest.json()["kind"] == "unavailable"
            assert rest.json()["retry_after"] == int(rest.headers["retry-after"])
            assert "asyncpg" not in rest.text
            assert "Connection" not in rest.text

            soap = soap_get_book(b)
            assert soap.status_code == 500  # SOAP 1.1 sends every fault with 500
            fault = etree.fromstring(soap.content).find(f".//{{{SOAP_ENV}}}Fault")
            assert fault is not None
            assert fault.findtext("faultcode", "").endswith(":Server.Unavailable")
            assert fault.findtext("detail/kind") == "unavailable"
            assert fault.findtext("detail/retry_after") == rest.headers["retry-after"]

            error = rpc_get_book(b)["error"]
            assert error["code"] == -32053
            assert error["data"]["kind"] == "unavailable"
            assert error["data"]["retry_after"] == int(rest.headers["retry-after"])

            health = httpx.get(f"{a.url}/healthz", timeout=ANSWER_WAIT)
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable"
        finally:
            server.start()
        wait_until_healthy(a)
        wait_until_healthy(b)
        # A change on B after the restart reaches A's subscriber: A listens again.
        isbn = fresh_isbn()
        clients[0].add_book(**book_fields(isbn))
        arrived = next(
            (e for e in subscriber.events(timeout=EVENT_WAIT) if e["data"]["isbn"] == isbn), None
        )
        assert arrived is not None
        assert arrived["type"] == "book.added"
        assert clients[1].get_book(isbn).isbn == isbn
    finally:
        for client in [subscriber, *clients]:
            client.close()


class Writer(threading.Thread):
    """Adds books in turn through each client until told to stop; keeps what was acknowledged."""

    def __init__(self, clients: list[LibraryClient]) -> None:
        super().__init__(name="writer", daemon=True)
        self.clients = clients
        self.acknowledged: list[str] = []
        self.refused = 0
        self.unexpected: list[BaseException] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        turn = 0
        while not self.stopping.is_set():
            client = self.clients[turn % len(self.clients)]
            turn += 1
            isbn = fresh_isbn()
            try:
                client.add_book(**book_fields(isbn))
            except RemoteError as error:
                if error.kind != "unavailable":
                    self.unexpected.append(error)
                self.refused += 1
                time.sleep(0.05)
            except Exception as error:  # a hang, a dropped connection: what must not happen
                self.unexpected.append(error)
                return
            else:
                self.acknowledged.append(isbn)

    def wait_for(self, condition: Any) -> None:
        deadline = time.monotonic() + RECOVERY_WAIT
        while not condition() and not self.unexpected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.unexpected, self.unexpected
        assert condition(), "the writer made no progress"


def test_postgresql_restarted_under_load_loses_no_acknowledged_write_and_no_event(
    server: PostgresServer, instances: tuple[LiveGateway, LiveGateway]
) -> None:
    a, b = instances
    subscriber = WsClient(a.url)
    clients: list[LibraryClient] = [
        RestClient(a.url),
        SoapClient(b.url),
        WsClient(a.url),
        RestClient(b.url),
        SoapClient(a.url),
        WsClient(b.url),
    ]
    writer = Writer(clients)
    try:
        subscriber.subscribe("book.added")
        writer.start()
        writer.wait_for(lambda: len(writer.acknowledged) >= 10)
        server.stop()
        writer.wait_for(lambda: writer.refused >= 3)
        server.start()
        before = len(writer.acknowledged)
        writer.wait_for(lambda: len(writer.acknowledged) >= before + 12)  # both instances, twice
        writer.stopping.set()
        writer.join(ANSWER_WAIT)
        assert not writer.unexpected, writer.unexpected

        acknowledged = set(writer.acknowledged)
        checker = RestClient(b.url)
        stored = {checker.get_book(isbn).isbn for isbn in acknowledged}
        checker.close()
        assert stored == acknowledged

        seen: list[dict[str, Any]] = []
        waiting = set(acknowledged)
        for event in subscriber.events(timeout=EVENT_WAIT):
            seen.append(event)
            waiting.discard(event["data"]["isbn"])
            if not waiting:
                break
        assert not waiting, f"{len(waiting)} acknowledged writes never reached the subscriber"
        seqs = [e["seq"] for e in seen]
        assert seqs == sorted(set(seqs)), "each event once, in seq order"
    finally:
        writer.stopping.set()
        for client in [subscriber, *clients]:
            client.close()
