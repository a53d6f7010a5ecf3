from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from services.errors import Unavailable
from services.retention import Retention
from tests.unit.services.fakes import FakeStorage

pytestmark = pytest.mark.anyio
AT = datetime(2026, 1, 1, tzinfo=UTC)


class CountingStorage(FakeStorage):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    async def prune_events(self, through: int, limit: int) -> int:
        deleted = await super().prune_events(through, limit)
        self.batches.append(deleted)
        return deleted


async def test_retention_keeps_the_newest_events_and_prunes_the_rest_in_batches() -> None:
    storage = CountingStorage()
    for _ in range(25):
        storage.append("book.added", AT, {})
    pruned = await Retention(storage, keep=10, batch=4).prune()
    assert pruned == 15
    assert [e.seq for e in storage.events] == list(range(16, 26))
    assert storage.pruned == 15
    assert storage.batches == [4, 4, 4, 3]


async def test_retention_within_its_bound_deletes_nothing() -> None:
    storage = CountingStorage()
    for _ in range(10):
        storage.append("book.added", AT, {})
    assert await Retention(storage, keep=10).prune() == 0
    assert storage.batches == []
    assert len(storage.events) == 10


def test_retention_keeps_at_least_the_head() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Retention(FakeStorage(), keep=0)


class DownThenBack(FakeStorage):
    """An outbox whose database is unavailable for its first `outage` checks."""

    def __init__(self, outage: int) -> None:
        super().__init__()
        self.outage = outage
        self.checks = 0

    async def last_event_seq(self) -> int:
        self.checks += 1
        if self.checks <= self.outage:
            raise Unavailable()
        return await super().last_event_seq()


async def test_an_outage_pauses_pruning_with_one_warning_and_no_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = DownThenBack(outage=5)
    retention = Retention(storage, keep=10, interval=0.001)
    await retention.start()
    for _ in range(10_000):  # a bound, not a measure: the checks come every millisecond
        if storage.checks > storage.outage + 1:
            break
        await asyncio.sleep(0.001)
    await retention.stop()
    assert storage.checks > storage.outage + 1
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "services.retention"]
    assert said == [
        (logging.WARNING, "pruning events paused: the database is unavailable"),
        (logging.WARNING, "pruning events resumed"),
    ]
