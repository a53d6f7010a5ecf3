"""What every adapter shares at run time: settings, metrics, and the open catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.metrics import Metrics
from gateway.settings import Settings
from services.catalogue import Catalogue, open_catalogue
from services.events import EventHub
from services.service import LibraryService
from services.storage.postgres import PostgresStorage
from services.storage.sqlite import SqliteStorage


@dataclass
class Runtime:
    settings: Settings
    metrics: Metrics
    catalogue: Catalogue | None = None

    @property
    def service(self) -> LibraryService:
        return self._open().service

    @property
    def hub(self) -> EventHub:
        return self._open().hub

    @property
    def storage(self) -> SqliteStorage | PostgresStorage:
        return self._open().storage

    def _open(self) -> Catalogue:
        if self.catalogue is None:
            raise RuntimeError("the catalogue is opened by the app's lifespan; it has not run")
        return self.catalogue


async def open_from_settings(settings: Settings) -> Catalogue:
    """The catalogue as the settings describe it: whatever serves it, the gateway or another."""
    return await open_catalogue(
        settings.db,
        seed=settings.seed,
        poll_interval=settings.event_poll_interval,
        queue_size=settings.event_queue_size,
        call_timeout=settings.db_timeout,
        retention=settings.event_retention,
        position_interval=settings.event_position_interval,
    )
