"""A failure inside the service: each protocol answers its own server error, with no internals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clients.interface import LibraryClient, RemoteError
from gateway.settings import Settings
from services.catalogue import Catalogue
from services.events import EventHub
from services.models import Book
from services.retention import Retention
from services.service import LibraryService
from services.storage.sqlite import SqliteStorage
from tests.conftest import gateway_settings
from tests.integration.conftest import CLIENTS
from tests.live import LiveGateway, serve

SECRET = "disk on fire at /var/lib/secret"


class BrokenStorage(SqliteStorage):
    """Storage whose reads of one book fail the way a bug or a dead disk would."""

    async def get_book(self, isbn: str) -> Book | None:
        raise RuntimeError(SECRET)


async def open_broken(settings: Settings) -> Catalogue:
    storage = BrokenStorage(settings.db)
    await storage.create_schema()
    hub = EventHub(storage)
    await hub.start()
    service = LibraryService(storage, on_change=hub.notify)
    return Catalogue(service, hub, storage, Retention(storage, keep=settings.event_retention))


@pytest.fixture(scope="module")
def broken_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    directory: Path = tmp_path_factory.mktemp("broken")
    with serve(gateway_settings(directory), opener=open_broken) as live:
        yield live


@pytest.mark.parametrize("protocol", sorted(CLIENTS))
def test_a_server_fault_is_named_without_internals(
    broken_gateway: LiveGateway, protocol: str
) -> None:
    client: LibraryClient = CLIENTS[protocol](broken_gateway.url)
    try:
        with pytest.raises(RemoteError) as error:
            client.get_book("9780201633610")
        assert error.value.kind == "server_fault"
        assert SECRET not in str(error.value.details)
        assert SECRET not in error.value.message
        # The connection or session still works after the fault.
        assert client.list_books(limit=1).limit == 1
    finally:
        client.close()
