from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime

import pytest

from services.errors import InvalidInput
from services.events import CutOff, Event, EventHub, validate_patterns
from tests.unit.services.fakes import FakeStorage

pytestmark = pytest.mark.anyio
AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_patterns_must_match_some_event_type() -> None:
    assert validate_patterns(["book.*", "loan.opened", "*"]) == {"book.*", "loan.opened", "*"}
    with pytest.raises(InvalidInput) as error:
        validate_patterns(["book.*", "books.added", 3])
    assert [e.field for e in error.value.errors] == ["events.1", "events.2"]


async def test_hub_delivers_matching_events_in_seq_order() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=60)
    await hub.start()
    books = hub.attach()
    books.subscribe(frozenset({"book.*"}))
    loans = hub.attach()
    loans.subscribe(frozenset({"loan.closed"}))
    for kind in ("book.added", "loan.opened", "loan.closed", "book.removed"):
        storage.events.append(Event(len(storage.events) + 1, kind, AT, {}))
    hub.notify()
    await hub.drain()
    await hub.stop()
    assert [books.queue.get_nowait().seq for _ in range(books.queue.qsize())] == [1, 4]
    assert [loans.queue.get_nowait() for _ in range(loans.queue.qsize())] == [
        Event(3, "loan.closed", AT, {})
    ]


async def test_hub_starts_after_the_events_already_stored() -> None:
    storage = FakeStorage()
    storage.events.append(Event(1, "book.added", AT, {}))
    hub = EventHub(storage, poll_interval=60)
    await hub.start()
    everyone = hub.attach()
    everyone.subscribe(frozenset({"*"}))
    await hub.drain()
    await hub.stop()
    assert everyone.queue.empty()


async def test_a_slow_subscriber_is_cut_off_at_its_bound() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=60, queue_size=2)
    await hub.start()
    slow = hub.attach()
    slow.subscribe(frozenset({"*"}))
    for seq in range(1, 5):
        storage.events.append(Event(seq, "book.added", AT, {}))
    await hub.drain()
    await hub.stop()
    assert slow.cut_off is CutOff.TOO_SLOW
    assert slow.queue.qsize() == 2
    assert hub.subscriber_count == 0


async def test_the_hub_wakes_on_notify_without_waiting_for_the_poll() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=3600)
    await hub.start()
    listener = hub.attach()
    listener.subscribe(frozenset({"*"}))
    storage.events.append(Event(1, "book.added", AT, {}))
    hub.notify()
    event = await asyncio.wait_for(listener.queue.get(), timeout=10)
    await hub.stop()
    assert event.seq == 1


def test_a_subscriber_knows_its_event_types_as_soon_as_its_patterns_change() -> None:
    subscriber = EventHub(FakeStorage()).attach()
    subscriber.subscribe(frozenset({"book.*", "loan.closed"}))
    assert subscriber.types == {"book.added", "book.updated", "book.removed", "loan.closed"}
    subscriber.unsubscribe(frozenset({"book.*"}))
    assert subscriber.types == {"loan.closed"}
    assert not subscriber.wants("book.added")
    subscriber.unsubscribe(None)
    assert subscriber.types == frozenset()


async def test_the_collector_rests_during_a_fan_out_and_runs_again_after_it() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=60)
    await hub.start()
    subscribers = [hub.attach() for _ in range(3)]
    for subscriber in subscribers:
        subscriber.subscribe(frozenset({"*"}))
    storage.events.append(Event(1, "book.added", AT, {}))
    assert gc.isenabled()
    await hub.drain()
    assert not gc.isenabled()  # the woken subscribers have not run yet
    await asyncio.sleep(0)
    assert gc.isenabled()
    await hub.stop()
    assert [s.queue.qsize() for s in subscribers] == [1, 1, 1]


async def test_an_idle_subscriber_takes_events_directly_and_a_busy_one_keeps_seq_order() -> None:
    storage = FakeStorage()
    hub = EventHub(storage, poll_interval=60)
    await hub.start()
    taken: list[int] = []
    accepting = True

    def deliver(event: Event) -> bool:
        if accepting:
            taken.append(event.seq)
        return accepting

    listener = hub.attach()
    listener.subscribe(frozenset({"book.*"}))
    listener.deliver = deliver
    storage.events += [Event(1, "book.added", AT, {}), Event(2, "loan.opened", AT, {})]
    await hub.drain()
    accepting = False  # its transport is full: the next event waits in the queue
    storage.events.append(Event(3, "book.added", AT, {}))
    await hub.drain()
    accepting = True  # free again, but an event still waits: the next must queue behind it
    storage.events.append(Event(4, "book.updated", AT, {}))
    await hub.drain()
    await hub.stop()
    assert taken == [1]
    assert [listener.queue.get_nowait().seq for _ in range(listener.queue.qsize())] == [3, 4]
    assert hub.delivered == 3
