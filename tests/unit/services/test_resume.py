"""The hub's resume: replay after a position, then live, each event once; and positions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.errors import InvalidInput, ResyncRequired
from services.events import CutOff, Event, EventHub, Position, Subscriber
from tests.unit.services.fakes import FakeStorage

pytestmark = pytest.mark.anyio
AT = datetime(2026, 1, 1, tzinfo=UTC)
WAIT = 10.0  # seconds before a test that waits for the hub fails; never asserted on
EVERYTHING = frozenset({"*"})


def store(storage: FakeStorage, *kinds: str) -> list[Event]:
    return [storage.append(kind, AT, {}) for kind in kinds]


def queued(subscriber: Subscriber) -> list[Event | Position]:
    return [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]


def seqs(items: list[Event | Position]) -> list[int]:
    return [item.seq for item in items if isinstance(item, Event)]


class GatedStorage(FakeStorage):
    """Holds the next read of events at a gate, so a test can act while a replay waits."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = asyncio.Event()
        self.gate = asyncio.Event()
        self.gate.set()

    def hold(self) -> None:
        self.reading.clear()
        self.gate.clear()

    async def events_after(self, seq: int, limit: int) -> list[Event]:
        if not self.gate.is_set():
            self.reading.set()
            await self.gate.wait()
        return await super().events_after(seq, limit)


async def started(storage: FakeStorage, queue_size: int = 1000) -> EventHub:
    hub = EventHub(storage, poll_interval=3600, queue_size=queue_size)
    await hub.start()
    return hub


async def until_live(hub: EventHub, subscriber: Subscriber) -> None:
    if subscriber.replay is not None:
        await asyncio.wait_for(asyncio.shield(subscriber.replay), WAIT)


async def test_a_first_subscribe_without_after_starts_at_the_head() -> None:
    storage = FakeStorage()
    store(storage, "book.added", "book.updated", "book.removed")
    hub = await started(storage)
    subscriber = hub.attach()
    subscription = await hub.follow(subscriber, EVERYTHING)
    store(storage, "book.added")
    await hub.drain()
    await hub.stop()
    assert (subscription.epoch, subscription.seq) == ("fake-epoch", 3)
    assert subscription.patterns == EVERYTHING
    assert seqs(queued(subscriber)) == [4]


async def test_resuming_replays_the_stored_events_after_the_position_then_goes_live() -> None:
    storage = FakeStorage()
    store(storage, "book.added", "loan.opened", "book.updated", "loan.closed", "book.removed")
    hub = await started(storage)
    subscriber = hub.attach()
    subscription = await hub.follow(subscriber, frozenset({"book.*"}), after=1, epoch="fake-epoch")
    await until_live(hub, subscriber)
    store(storage, "book.added", "loan.opened", "book.updated")
    await hub.drain()
    await hub.stop()
    assert subscription.seq == 5
    assert seqs(queued(subscriber)) == [3, 5, 6, 8]


async def test_events_fanned_out_while_a_replay_reads_are_given_once() -> None:
    storage = GatedStorage()
    store(storage, *["book.updated"] * 4)
    hub = await started(storage)
    subscriber = hub.attach()
    storage.hold()
    await hub.follow(subscriber, EVERYTHING, after=2)
    await asyncio.wait_for(storage.reading.wait(), WAIT)
    # While the replay's read waits, the hub reads and fans out newer events.
    store(storage, *["book.updated"] * 3)
    drain = asyncio.create_task(hub.drain())
    storage.gate.set()
    await drain
    await until_live(hub, subscriber)
    store(storage, "book.updated")
    await hub.drain()
    await hub.stop()
    assert seqs(queued(subscriber)) == [3, 4, 5, 6, 7, 8]


async def test_a_replay_longer_than_the_queue_waits_for_the_reader_and_loses_nothing() -> None:
    storage = FakeStorage()
    store(storage, *["book.updated"] * 50)
    hub = await started(storage, queue_size=4)
    subscriber = hub.attach()
    await hub.follow(subscriber, EVERYTHING, after=0)
    received: list[int] = []
    while len(received) < 60:
        item = await asyncio.wait_for(subscriber.queue.get(), WAIT)
        assert isinstance(item, Event)
        received.append(item.seq)
        if item.seq % 10 == 0 and storage.head < 60:
            # Changes go on during the replay: they come from the replay or the fan-out.
            store(storage, *["book.updated"] * 5)
            await hub.drain()
    await hub.stop()
    assert received == list(range(1, 61))
    assert subscriber.cut_off is None


@pytest.mark.parametrize(
    ("after", "epoch"),
    [
        pytest.param(3, "another-epoch", id="another-epoch"),
        pytest.param(4, None, id="pruned"),
        pytest.param(11, "fake-epoch", id="past-the-head"),
    ],
)
async def test_a_position_the_stream_does_not_hold_is_resync_required(
    after: int, epoch: str | None
) -> None:
    storage = FakeStorage()
    store(storage, *["book.added"] * 10)
    await storage.prune_events(through=5, limit=100)
    hub = await started(storage)
    subscriber = hub.attach()
    with pytest.raises(ResyncRequired) as refused:
        await hub.follow(subscriber, EVERYTHING, after=after, epoch=epoch)
    await hub.stop()
    assert refused.value.details == {"epoch": "fake-epoch", "seq": 10, "pruned_through": 5}
    assert not subscriber.following


async def test_resuming_from_the_oldest_position_still_held_replays_everything_kept() -> None:
    storage = FakeStorage()
    store(storage, *["book.added"] * 10)
    await storage.prune_events(through=5, limit=100)
    hub = await started(storage)
    subscriber = hub.attach()
    await hub.follow(subscriber, EVERYTHING, after=5)
    await until_live(hub, subscriber)
    await hub.stop()
    assert seqs(queued(subscriber)) == [6, 7, 8, 9, 10]


async def test_after_is_taken_by_the_first_subscribe_only() -> None:
    hub = await started(FakeStorage())
    subscriber = hub.attach()
    await hub.follow(subscriber, frozenset({"book.*"}))
    with pytest.raises(InvalidInput) as refused:
        await hub.follow(subscriber, frozenset({"loan.*"}), after=0)
    await hub.stop()
    assert [e.field for e in refused.value.errors] == ["after"]
    assert subscriber.patterns == {"book.*"}


async def test_retention_overtaking_a_replay_cuts_the_subscriber_off_at_a_true_position() -> None:
    storage = GatedStorage()
    store(storage, *["book.added"] * 10)
    hub = await started(storage)
    subscriber = hub.attach()
    storage.hold()
    await hub.follow(subscriber, EVERYTHING, after=2)
    await asyncio.wait_for(storage.reading.wait(), WAIT)
    await storage.prune_events(through=6, limit=100)
    storage.gate.set()
    await until_live(hub, subscriber)
    await hub.stop()
    assert subscriber.cut_off is CutOff.OVERTAKEN
    assert queued(subscriber) == [Position(2)]


async def test_a_subscriber_whose_patterns_filter_events_out_is_told_the_head() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=0.01, position_interval=0.01)
    await hub.start()
    subscriber = hub.attach()
    await hub.follow(subscriber, frozenset({"loan.*"}))
    store(storage, "loan.opened", "book.added", "book.updated")
    hub.notify()
    first = await asyncio.wait_for(subscriber.queue.get(), WAIT)
    told = await asyncio.wait_for(subscriber.queue.get(), WAIT)
    await hub.stop()
    assert isinstance(first, Event)
    assert first.seq == 1
    assert told == Position(3)
    assert subscriber.high_water == 3


async def test_a_subscriber_given_every_event_gets_no_position() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=0.01, position_interval=0.01)
    await hub.start()
    subscriber = hub.attach()
    await hub.follow(subscriber, EVERYTHING)
    store(storage, "loan.opened", "book.added")
    hub.notify()
    for _ in range(2):
        await asyncio.wait_for(subscriber.queue.get(), WAIT)
    # Several rounds of positions pass while the hub polls; none has anything to tell.
    await asyncio.sleep(0.1)
    await hub.stop()
    assert queued(subscriber) == []
