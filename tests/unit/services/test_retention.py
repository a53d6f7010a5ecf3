from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
