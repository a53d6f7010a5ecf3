"""PostgreSQL out of reach under live gateways, either stopped (it refuses connections) or
hung (alive, its sockets open, answering nothing): every protocol answers `unavailable` in its
own idiom rather than hang, /healthz says so, and once the server is back the gateways recover
by themselves: acknowledged writes are all there and event streams go on."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
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
from services.errors import Unavailable
from services.storage.database import open_storage
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
# Only its deadline tells a hung server from a slow one: a small deadline keeps these tests
# quick, and the clients' own bounds (ANSWER_WAIT) stay far above it to detect a hang.
HUNG_DB_TIMEOUT = 1.0


@contextmanager
def stopped(server: PostgresServer) -> Iterator[None]:
    server.stop()
    try:
        yield
    finally:
        server.start()


@dataclass(frozen=True)
class Outage:
    name: str
    during: Callable[[PostgresServer], AbstractContextManager[None]]
    db_timeout: float | None  # ROSETTA_DB_TIMEOUT for it; None keeps the default


OUTAGES = [
    Outage("stopped", stopped, None),
    Outage("hung", PostgresServer.paused, HUNG_DB_TIMEOUT),
]


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A server of this module's own: its tests stop, hang and restart it."""
    POSTGRES.need()
    with restartable_postgres_server() as running:
        yield running


@pytest.fixture(params=OUTAGES, ids=lambda outage: outage.name)
def outage(request: pytest.FixtureRequest) -> Outage:
    chosen: Outage = request.param
    return chosen


@pytest.fixture
def instances(
    server: PostgresServer, outage: Outage, tmp_path: Path
) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    # Polling once an hour: events arrive only if the listener wakes the hub, including the
    # catch-up read after it reconnects.
    update: dict[str, object] = {"db": create_database(server.url), "event_poll_interval": 3600.0}
    if outage.db_timeout is not None:
        update["db_timeout"] = outage.db_timeout
    settings = gateway_settings(tmp_path).model_copy(update=update)
    with serve(settings) as first, serve(settings) as second:
        yield first, second


def refusal(call: Callable[..., object], *args: Any, **kwargs: Any) -> RemoteError:
    """The error that `call` is answered with. The clients wait for an answer as long as it
    takes, so the call runs on a thread of its own, and one still unanswered after ANSWER_WAIT
    fails the test as a hang."""
    worker = ThreadPoolExecutor(1)
    try:
        answer = worker.submit(call, *args, **kwargs)
        try:
            answer.result(ANSWER_WAIT)
        except RemoteError as error:
            return error
        except TimeoutError:
            raise AssertionError(f"no answer within {ANSWER_WAIT} s: the call hangs") from None
    finally:
        worker.shutdown(wait=False)
    raise AssertionError("the call succeeded with the database out of reach")


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


def test_with_the_database_out_of_reach_each_protocol_answers_unavailable_then_recovers(
    server: PostgresServer, outage: Outage, instances: tuple[LiveGateway, LiveGateway]
) -> None:
    a, b = instances
    subscriber = WsClient(a.url)
    clients: list[LibraryClient] = [RestClient(b.url), SoapClient(b.url), WsClient(b.url)]
    try:
        subscriber.subscribe("book.*")
        with outage.during(server):
            for client in clients:
                refused = refusal(client.get_book, ISBN)
                assert refused.kind == "unavailable", client.protocol
                refused = refusal(client.add_book, **book_fields())
                assert refused.kind == "unavailable", client.protocol

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


def test_an_outage_under_load_loses_no_acknowledged_write_and_no_event(
    server: PostgresServer, outage: Outage, instances: tuple[LiveGateway, LiveGateway]
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
        with outage.during(server):
            writer.wait_for(lambda: writer.refused >= 3)
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


# Forty rounds of the pool's ten connections: were calls to queue for a connection, the last
# would wait out some forty deadlines, far past ANSWER_WAIT.
CALLS_AT_ONCE = 400


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_calls_at_once_on_a_hung_database_each_end_at_their_own_deadline(
    server: PostgresServer,
) -> None:
    """With every pooled connection stuck on a server that answers nothing, calls that wait
    for a connection must not wait out the steps of every call queued before them."""
    storage = await open_storage(create_database(server.url), HUNG_DB_TIMEOUT)
    try:
        with server.paused():
            outcomes = await asyncio.wait_for(
                asyncio.gather(
                    *(storage.get_book(ISBN) for _ in range(CALLS_AT_ONCE)),
                    return_exceptions=True,
                ),
                ANSWER_WAIT,
            )
    finally:
        await storage.close()
    assert all(isinstance(outcome, Unavailable) for outcome in outcomes), outcomes
