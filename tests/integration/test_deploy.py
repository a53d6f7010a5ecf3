"""docs/deploy.md as written: nginx with docs/deploy/nginx.conf in front of two gateway
instances sharing one PostgreSQL database. Every call goes through nginx with the real
clients; each instance is also asked directly, at its own /metrics, what it served."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from clients.interface import LibraryClient
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from tests.integration.test_readme import free_port
from tests.integration.test_serve import rosetta_server, stop
from tests.metrics import sample_sum
from tests.nginx import NGINX, nginx_serving
from tests.postgres import create_database
from tests.support import book_fields

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "deploy.md"
SITE = ROOT / "docs" / "deploy" / "nginx.conf"
# What the file says, to be replaced by this test's own addresses.
DOCUMENTED_INSTANCES = ("10.0.0.11:8000", "10.0.0.12:8000")
DOCUMENTED_LISTEN = "listen 80;"
ROUNDS = 4  # calls of each kind: round robin over two instances sends some to each
WAIT = 30.0


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]

    def scrape(self) -> str:
        return httpx.get(f"{self.url}/metrics").text


@dataclass
class Deployment:
    url: str  # nginx's
    instances: list[Instance]


def site_for(instances: list[Instance], port: int) -> str:
    text = SITE.read_text()
    for documented, instance in zip(DOCUMENTED_INSTANCES, instances, strict=True):
        assert text.count(documented) == 1, documented
        text = text.replace(documented, instance.url.removeprefix("http://"))
    assert text.count(DOCUMENTED_LISTEN) == 1
    return text.replace(DOCUMENTED_LISTEN, f"listen 127.0.0.1:{port};")


@contextmanager
def deployment(postgres: str, folder: Path) -> Iterator[Deployment]:
    NGINX.need()
    database = create_database(postgres)
    with ExitStack() as stack:
        instances = []
        # The first instance loads the sample books and, as the page's example does, runs
        # two worker processes; the second starts once the first is up.
        for name, more in (("a", ["--workers", "2"]), ("b", ["--no-seed"])):
            args = ["--db", database, "--instance", name, *more]
            url, process = stack.enter_context(rosetta_server(args))
            instances.append(Instance(url, process))
        port = free_port()
        stack.enter_context(nginx_serving(site_for(instances, port), folder / "nginx", port))
        yield Deployment(f"http://127.0.0.1:{port}", instances)


@contextmanager
def clients(url: str) -> Iterator[list[LibraryClient]]:
    made: list[LibraryClient] = [RestClient(url), SoapClient(url), WsClient(url)]
    try:
        yield made
    finally:
        for client in made:
            client.close()


def test_the_page_shows_the_configuration_the_tests_run() -> None:
    (shown,) = re.findall(r"^```nginx\n(.*?)^```", PAGE.read_text(), re.DOTALL | re.MULTILINE)
    assert shown == SITE.read_text()


@pytest.fixture(scope="module")
def site(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One deployment for the tests that leave both instances running."""
    with deployment(postgres, tmp_path_factory.mktemp("deployment")) as running:
        yield running


def test_every_protocol_works_through_nginx_on_both_instances(site: Deployment) -> None:
    watcher = WsClient(site.url)
    watcher.subscribe("book.added")
    added = []
    with clients(site.url) as each:
        for client in each:
            # Calls in a row, so that nginx's round robin sends some to each instance.
            for _ in range(ROUNDS):
                added.append(client.add_book(**book_fields()).isbn)
                assert client.get_book(added[-1]).isbn == added[-1]
    # REST and SOAP calls went to both instances.
    for instance in site.instances:
        text = instance.scrape()
        for protocol in ("rest", "soap"):
            assert sample_sum(text, "rosetta_requests_total", protocol=protocol) > 0, protocol
    # Made on either instance, every change reaches the subscriber through nginx.
    seen = []
    for event in watcher.events(timeout=WAIT):
        seen.append(event["data"]["isbn"])
        if len(seen) == len(added):
            break
    watcher.close()
    assert sorted(seen) == sorted(added)


def test_nginx_keeps_the_gateway_s_own_answers(site: Deployment) -> None:
    # The WSDL sends SOAP clients back through nginx, not to the instance behind it.
    wsdl = httpx.get(f"{site.url}/soap?wsdl").text
    assert re.findall(r'location="([^"]+)"', wsdl) == [f"{site.url}/soap"]
    # A body over the gateway's limit is refused by the gateway, in problem+json.
    too_big = httpx.post(
        f"{site.url}/rest/books",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    assert too_big.headers["Content-Type"].startswith("application/problem+json")
    assert too_big.json()["kind"] == "invalid_input"
    # A page of the site may open /ws: its Origin matches the Host that nginx passes on.
    ws_url = site.url.replace("http://", "ws://") + "/ws"
    with connect(ws_url, origin=Origin(site.url)) as page:
        page.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "list_books"}))
        assert "result" in json.loads(page.recv(timeout=WAIT))
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin=Origin("http://elsewhere.example"))
    assert refused.value.response.status_code == 403
    assert httpx.get(f"{site.url}/healthz").json() == {"status": "ok"}
    # Metrics are scraped from each instance, not through the load balancer.
    assert httpx.get(f"{site.url}/metrics").status_code == 403


def test_with_one_instance_stopped_every_call_succeeds_through_the_other(
    postgres: str, tmp_path: Path
) -> None:
    with deployment(postgres, tmp_path) as site:
        subscriber = WsClient(site.url)
        subscriber.subscribe("book.*")
        # The instance that holds the subscriber's connection is the one to stop.
        (holder,) = (
            instance
            for instance in site.instances
            if sample_sum(instance.scrape(), "rosetta_websocket_connections") == 1
        )
        stop(holder.process)
        # Its WebSockets were closed as a server going away closes them.
        with pytest.raises(ConnectionClosed) as closed:
            subscriber.connection.recv(timeout=WAIT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
        subscriber.close()
        for _ in range(ROUNDS):
            with clients(site.url) as each:
                for client in each:
                    isbn = client.add_book(**book_fields()).isbn
                    assert client.get_book(isbn).isbn == isbn
        # nginx did try the stopped instance, and passed those calls on to the other.
        assert "Connection refused" in (tmp_path / "nginx" / "error.log").read_text()
