"""Change events: recorded by storage with the change, fanned out here to subscribers.

Storage writes each event in the same transaction as the change it describes, so `seq` is
durable and strictly increasing across restarts and worker processes. The hub reads new events
after every local commit, when storage signals a commit of another process (PostgreSQL's
LISTEN/NOTIFY), and by polling, for commits nothing signals; it hands each one to every
subscriber whose patterns match, in seq order. A read that fails (the database down) pauses
delivery; the next read resumes from the last seq delivered, so nothing is skipped or
repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import gc
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from services.errors import FieldError, InvalidInput, Unavailable
from services.models import iso_utc

BOOK_ADDED = "book.added"
BOOK_UPDATED = "book.updated"
BOOK_REMOVED = "book.removed"
LOAN_OPENED = "loan.opened"
LOAN_CLOSED = "loan.closed"
EVENT_TYPES: tuple[str, ...] = (BOOK_ADDED, BOOK_UPDATED, BOOK_REMOVED, LOAN_OPENED, LOAN_CLOSED)

log = logging.getLogger(__name__)

RETRY_INTERVAL = 0.2  # seconds between reads of the outbox while they fail


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "at": iso_utc(self.at), "data": self.data}


class EventSource(Protocol):
    async def last_event_seq(self) -> int: ...

    async def events_after(self, seq: int, limit: int) -> list[Event]: ...


def validate_patterns(patterns: Iterable[object]) -> frozenset[str]:
    """Glob patterns over event types (`book.*`, `*`); each must match at least one type."""
    valid: set[str] = set()
    errors: list[FieldError] = []
    for index, pattern in enumerate(patterns):
        if not isinstance(pattern, str) or not fnmatch.filter(EVENT_TYPES, pattern):
            errors.append(
                FieldError(f"events.{index}", f"{pattern!r} matches no event type {EVENT_TYPES}")
            )
        else:
            valid.add(pattern)
    if errors:
        raise InvalidInput("invalid event patterns", errors)
    return frozenset(valid)


@functools.cache
def matching_types(patterns: frozenset[str]) -> frozenset[str]:
    """The event types `patterns` match. The types are a small fixed set, so a subscriber's
    patterns are matched once, when they change, never per event."""
    return frozenset(
        kind for kind in EVENT_TYPES if any(fnmatch.fnmatchcase(kind, p) for p in patterns)
    )


@dataclass(eq=False)
class Subscriber:
    """One listener's patterns and its bounded queue; `overflowed` is set when it fell behind."""

    queue_size: int
    patterns: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()  # the event types its patterns match
    overflowed: bool = False
    # Hands an event over at once, bypassing the queue, or answers False to have it queued:
    # the hub calls it only while the queue is empty, so events still arrive in seq order.
    # A WebSocket writes the frame on the spot, sparing a task wake-up per subscriber.
    deliver: Callable[[Event], bool] | None = None
    queue: asyncio.Queue[Event] = field(init=False)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.queue_size)

    def wants(self, event_type: str) -> bool:
        return event_type in self.types

    def subscribe(self, patterns: frozenset[str]) -> frozenset[str]:
        return self._follow(self.patterns | patterns)

    def unsubscribe(self, patterns: frozenset[str] | None) -> frozenset[str]:
        return self._follow(frozenset() if patterns is None else self.patterns - patterns)

    def _follow(self, patterns: frozenset[str]) -> frozenset[str]:
        self.patterns = patterns
        self.types = matching_types(patterns)
        return patterns


class EventHub:
    """Reads committed events in seq order and fans them out to subscribers."""

    def __init__(
        self, source: EventSource, poll_interval: float = 0.5, queue_size: int = 1000
    ) -> None:
        self._source = source
        self._poll_interval = poll_interval
        self._queue_size = queue_size
        self._subscribers: set[Subscriber] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_seq = 0
        self._stopping = False
        self.delivered = 0

    async def start(self) -> None:
        self._last_seq = await self._source.last_event_seq()
        self._task = asyncio.create_task(self._run(), name="event-hub")

    async def stop(self) -> None:
        # Ask the loop to finish rather than cancel it: a database read cancelled half-way
        # can leave its pooled connection unable to close.
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            await self._task
            self._task = None

    def notify(self) -> None:
        """Called after a local commit: read the new events now rather than at the next poll."""
        self._wake.set()

    def attach(self) -> Subscriber:
        subscriber = Subscriber(self._queue_size)
        self._subscribers.add(subscriber)
        return subscriber

    def detach(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def queue_size(self) -> int:
        """How many undelivered events one subscriber may hold before it is cut off."""
        return self._queue_size

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def drain(self) -> None:
        """Deliver every event committed so far; tests and shutdown use it to settle."""
        await self._deliver_new()

    async def _run(self) -> None:
        failing = False
        while True:
            # After a failed read, try again soon even if nothing wakes the hub: the wake-up
            # that would have announced the database's return may have come and gone.
            wait = min(self._poll_interval, RETRY_INTERVAL) if failing else self._poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self._deliver_new()
            except Unavailable:
                # The database is down: delivery pauses, and resumes from the same seq.
                if not failing:
                    log.warning("events paused: the database is unavailable")
                failing = True
            except Exception:
                # A failed read must not end delivery for good: log and try again.
                log.exception("reading events failed")
                failing = True
            else:
                if failing:
                    log.warning("events resumed")
                failing = False

    async def _deliver_new(self) -> None:
        while True:
            events = await self._source.events_after(self._last_seq, 500)
            self._fan_out_batch(events)
            if len(events) < 500:
                return

    def _fan_out_batch(self, events: list[Event]) -> None:
        # Waking ten thousand subscribers allocates as many futures, callbacks and frames; a
        # full pass of the cyclic collector in the middle would rescan every connection's
        # objects. None of it is cyclic garbage (reference counts free it), so the collector
        # rests from here until the woken subscribers have taken their first step: their
        # wake-ups are queued on the loop before the callback that turns it back on.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for event in events:
                if event.seq <= self._last_seq:
                    continue  # drain() and the loop may read the same batch
                self._last_seq = event.seq
                self._fan_out(event)
        finally:
            if collecting:
                asyncio.get_running_loop().call_soon(gc.enable)

    def _fan_out(self, event: Event) -> None:
        kind = event.type
        cut_off: list[Subscriber] = []
        for subscriber in self._subscribers:
            if kind not in subscriber.types or subscriber.overflowed:
                continue
            if subscriber.deliver is not None and subscriber.queue.empty():
                try:
                    if subscriber.deliver(event):
                        self.delivered += 1
                        continue
                except Exception:
                    log.exception("handing an event to a subscriber failed; it is queued")
            try:
                subscriber.queue.put_nowait(event)
                self.delivered += 1
            except asyncio.QueueFull:
                # A slow consumer is cut off rather than allowed to grow memory without bound.
                subscriber.overflowed = True
                cut_off.append(subscriber)
        self._subscribers.difference_update(cut_off)
