"""Assembles storage, event hub and service: what a process runs, whatever serves it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from services.errors import Conflict
from services.events import EventHub
from services.retention import Retention
from services.sample_data import SAMPLE_BOOKS
from services.service import LibraryService
from services.storage.database import open_storage
from services.storage.postgres import DEFAULT_TIMEOUT, PostgresStorage
from services.storage.sqlite import SqliteStorage


@dataclass
class Catalogue:
    service: LibraryService
    hub: EventHub
    storage: SqliteStorage | PostgresStorage
    retention: Retention

    async def close(self) -> None:
        await self.retention.stop()
        await self.hub.stop()
        await self.storage.close()


async def open_catalogue(
    db: str,
    seed: bool = True,
    poll_interval: float = 0.5,
    queue_size: int = 1000,
    call_timeout: float = DEFAULT_TIMEOUT,
    retention: int = 100_000,
    position_interval: float = 5.0,
) -> Catalogue:
    """Opens (creating if needed) the database, loads sample books into an empty one."""
    storage = await open_storage(db, call_timeout)
    hub = EventHub(
        storage,
        poll_interval=poll_interval,
        queue_size=queue_size,
        position_interval=position_interval,
    )
    service = LibraryService(storage, on_change=hub.notify)
    if seed and await storage.count_books() == 0:
        await load_sample_books(service)
    await hub.start()
    # Commits of other instances wake the hub at once where storage can signal them.
    await storage.follow_commits(hub.notify)
    pruning = Retention(storage, keep=retention)
    await pruning.start()
    return Catalogue(service=service, hub=hub, storage=storage, retention=pruning)


async def load_sample_books(service: LibraryService) -> None:
    for fields in SAMPLE_BOOKS:
        # Another worker process may seed the same book at the same moment.
        with contextlib.suppress(Conflict):
            await service.add_book(fields)
