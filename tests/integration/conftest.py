from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from clients.interface import LibraryClient
from clients.raw_soap import RawSoapClient
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from tests.live import LiveGateway

CLIENTS: dict[str, Callable[..., LibraryClient]] = {
    "rest": RestClient,
    "soap": SoapClient,
    "websocket": WsClient,
    "raw_soap": RawSoapClient,  # SOAP again, without zeep: must give the very same answers
}


@pytest.fixture(params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest, gateway: LiveGateway) -> Iterator[LibraryClient]:
    """The same test once per protocol, through that protocol's client."""
    made = CLIENTS[request.param](gateway.url)
    yield made
    made.close()


@pytest.fixture
def all_clients(gateway: LiveGateway) -> Iterator[dict[str, LibraryClient]]:
    made = {name: make(gateway.url) for name, make in CLIENTS.items()}
    yield made
    for each in made.values():
        each.close()
