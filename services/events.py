"""Change events: recorded by storage with the change, fanned out here to subscribers.

Storage writes each event in the same transaction as the change it describes, so `seq` is
durable and strictly increasing across restarts and worker processes. The hub reads new events
after every local commit, when storage signals a commit of another process (PostgreSQL's
LISTEN/NOTIFY), and by polling, for commits nothing signals; it hands each one to every
subscriber whose patterns match, in seq order. A read that fails (the database down) pauses
delivery; the next read resumes from the last seq delivered, so nothing is skipped or
repeated.

A subscriber may resume: it names the last seq it was given (`after`) and the stream's epoch,
and the hub replays the stored events after it, then hands it over to the live fan-out. Each
subscriber keeps a high-water mark, the last seq it has learnt of, and is never given an event
at or below it, so the switch from replay to live loses nothing and repeats nothing.
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
from enum import Enum
from typing import Any, Protocol

from services.errors import FieldError, InvalidInput, ResyncRequired, Unavailable
from services.models import iso_utc

BOOK_ADDED = "book.added"
BOOK_UPDATED = "book.updated"
BOOK_REMOVED = "book.removed"
LOAN_OPENED = "loan.opened"
LOAN_CLOSED = "loan.closed"
EVENT_TYPES: tuple[str, ...] = (BOOK_ADDED, BOOK_UPDATED, BOOK_REMOVED, LOAN_OPENED, LOAN_CLOSED)

log = logging.getLogger(__name__)

READ_BATCH = 500  # events read from storage at a time, live or replayed
RETRY_INTERVAL = 0.2  # seconds between reads of the outbox while they fail


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    type: str
    at: datetime
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "at": iso_utc(self.at), "data": self.data}


@dataclass(frozen=True, slots=True)
class Position:
    """Tells a subscriber that it has been given every event it wants up to `seq`, so that one
    whose patterns filter most events out still resumes from the stream's head."""

    seq: int

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq}


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a subscribe answers: the patterns held, the stream's epoch and its head seq."""

    patterns: frozenset[str]
    epoch: str
    seq: int


class CutOff(Enum):
    """Why the hub stopped feeding a subscriber. What it had queued is still delivered; then
    its connection closes, and the client resumes with `after`, losing nothing."""

    TOO_SLOW = (
        "events were not read fast enough; reconnect and subscribe with after, the last seq "
        "received"
    )
    OVERTAKEN = "retention pruned events this subscriber had not yet received; subscribe again"
    FAILED = "reading stored events failed; reconnect and subscribe with after to resume"


class EventSource(Protocol):
    async def last_event_seq(self) -> int: ...

    async def events_after(self, seq: int, limit: int) -> list[Event]: ...

    async def event_epoch(self) -> str:
        """The stream's epoch: drawn once when the database is created, shared by every process
        on it; another epoch means other seqs."""
        ...

    async def pruned_through(self) -> int:
        """The highest seq that retention may have deleted: every event after it is stored."""
        ...


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
    """One listener's patterns, its bounded queue, and its high-water mark."""

    queue_size: int
    high_water: int = 0  # the last seq it has learnt of; it is never given one at or below
    patterns: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()  # the event types its patterns match
    cut_off: CutOff | None = None
    following: bool = False  # it has subscribed once, so its position is set
    # Hands an event over at once, bypassing the queue, or answers False to have it queued:
    # the hub calls it only while the queue is empty, so events still arrive in seq order.
    # A WebSocket writes the frame on the spot, sparing a task wake-up per subscriber.
    deliver: Callable[[Event], bool] | None = None
    queue: asyncio.Queue[Event | Position] = field(init=False)
    replay: asyncio.Task[None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.queue_size)

    def wants(self, event_type: str) -> bool:
        return event_type in self.types

    def ended(self) -> CutOff | None:
        """Why nothing more will come, once the hub has cut this subscriber off (it fell
        behind, or retention overtook it) and what it had queued is all delivered; then its
        connection closes saying why, and the client resumes with `after`."""
        return self.cut_off if self.queue.empty() else None

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
        self,
        source: EventSource,
        poll_interval: float = 0.5,
        queue_size: int = 1000,
        position_interval: float = 5.0,
    ) -> None:
        self._source = source
        self._poll_interval = poll_interval
        self._queue_size = queue_size
        self._position_interval = position_interval
        self._subscribers: set[Subscriber] = set()  # live: fed by the fan-out
        self._catching_up: set[Subscriber] = set()  # fed by their replay, until it catches up
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_seq = 0
        self._next_positions = 0.0
        self._stopping = False
        self.epoch = ""
        self.delivered = 0

    async def start(self) -> None:
        self.epoch = await self._source.event_epoch()
        self._last_seq = await self._source.last_event_seq()
        self._task = asyncio.create_task(self._run(), name="event-hub")

    async def stop(self) -> None:
        replays = [s.replay for s in self._catching_up if s.replay is not None]
        for replay in replays:
            replay.cancel()
        await asyncio.gather(*replays, return_exceptions=True)
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
        """A live subscriber with no patterns yet, placed at the events delivered so far."""
        subscriber = Subscriber(self._queue_size, high_water=self._last_seq)
        self._subscribers.add(subscriber)
        return subscriber

    def detach(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        self._catching_up.discard(subscriber)
        if subscriber.replay is not None:
            subscriber.replay.cancel()

    async def follow(
        self,
        subscriber: Subscriber,
        patterns: frozenset[str],
        after: int | None = None,
        epoch: str | None = None,
    ) -> Subscription:
        """Adds patterns to an attached subscriber. Its first call sets its position: after the
        stream's head, or with `after`, after that seq, replaying the stored events it missed.

        Raises ResyncRequired when `epoch` is not the stream's, or `after` is a position the
        stream no longer holds (pruned) or never held (past its head).
        """
        if after is not None and subscriber.following:
            raise InvalidInput(
                "after sets where a stream resumes, once per connection",
                [FieldError("after", "is taken by the first subscribe of a connection only")],
            )
        stored_head = await self._source.last_event_seq()
        pruned = 0 if after is None else await self._source.pruned_through()
        # From here on nothing awaits: no event can be fanned out between reading the head and
        # placing the subscriber, so the head answered is exactly where it starts.
        head = max(stored_head, self._last_seq)
        if epoch is not None and epoch != self.epoch:
            raise self._resync(f"the stream's epoch is {self.epoch}, not {epoch}", head, pruned)
        if after is not None and after > head:
            raise self._resync(f"seq {after} is past the stream's head, {head}", head, pruned)
        if after is not None and after < pruned:
            raise self._resync(
                f"events after seq {after} are no longer kept; the oldest kept follows {pruned}",
                head,
                pruned,
            )
        subscriber.subscribe(patterns)
        if not subscriber.following:
            subscriber.following = True
            if after is None:
                subscriber.high_water = head
            else:
                subscriber.high_water = after
                self._subscribers.discard(subscriber)
                self._catching_up.add(subscriber)
                subscriber.replay = asyncio.create_task(
                    self._replay(subscriber), name="event-replay"
                )
        return Subscription(subscriber.patterns, self.epoch, head)

    def _resync(self, why: str, head: int, pruned: int) -> ResyncRequired:
        return ResyncRequired(
            f"cannot resume: {why}; re-read what you need, then subscribe without after",
            epoch=self.epoch,
            seq=head,
            pruned_through=pruned,
        )

    @property
    def queue_size(self) -> int:
        """How many undelivered events one subscriber may hold before it is cut off."""
        return self._queue_size

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers) + len(self._catching_up)

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
            self._tell_positions()

    async def _deliver_new(self) -> None:
        while True:
            events = await self._source.events_after(self._last_seq, READ_BATCH)
            self._fan_out_batch(events)
            if len(events) < READ_BATCH:
                return

    async def _replay(self, subscriber: Subscriber) -> None:
        """Gives a resuming subscriber the stored events after its mark, then makes it live.

        It leaves the live set while it replays. Putting into its queue waits for the reader,
        so a long replay is paced by the client instead of overflowing. It goes live once it
        has read as far as the fan-out: everything after that comes from the fan-out.
        """
        scanned = subscriber.high_water
        try:
            while True:
                events = await self._source.events_after(scanned, READ_BATCH)
                # Checked after the read: had retention deleted any of the events it needed
                # before the read, the bound would already say so.
                if await self._source.pruned_through() > scanned:
                    await self._end_replay(subscriber, CutOff.OVERTAKEN, scanned)
                    return
                for event in events:
                    if subscriber.wants(event.type):
                        await subscriber.queue.put(event)
                        subscriber.high_water = event.seq
                    scanned = event.seq
                if scanned >= self._last_seq:
                    self._catching_up.discard(subscriber)
                    self._subscribers.add(subscriber)
                    subscriber.replay = None
                    return
        except Exception:
            log.exception("replaying events failed")
            await self._end_replay(subscriber, CutOff.FAILED, scanned)

    async def _end_replay(self, subscriber: Subscriber, why: CutOff, scanned: int) -> None:
        self._catching_up.discard(subscriber)
        subscriber.cut_off = why
        # The position wakes its pusher, which then sees the cut-off once the queue is empty;
        # it is true: every event it wants up to `scanned` is queued before it.
        await subscriber.queue.put(Position(scanned))

    def _tell_positions(self) -> None:
        """Now and then, tells each live subscriber the head, if events it does not want have
        moved the head past what it last learnt; a full queue is left alone."""
        now = asyncio.get_running_loop().time()
        if now < self._next_positions:
            return
        self._next_positions = now + self._position_interval
        head = self._last_seq
        for subscriber in self._subscribers:
            if subscriber.high_water < head and subscriber.types and subscriber.cut_off is None:
                with contextlib.suppress(asyncio.QueueFull):
                    subscriber.queue.put_nowait(Position(head))
                    subscriber.high_water = head

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
        seq = event.seq
        cut_off: list[Subscriber] = []
        for subscriber in self._subscribers:
            if kind not in subscriber.types or seq <= subscriber.high_water:
                continue
            if subscriber.deliver is not None and subscriber.queue.empty():
                try:
                    if subscriber.deliver(event):
                        subscriber.high_water = seq
                        self.delivered += 1
                        continue
                except Exception:
                    log.exception("handing an event to a subscriber failed; it is queued")
            try:
                subscriber.queue.put_nowait(event)
                subscriber.high_water = seq
                self.delivered += 1
            except asyncio.QueueFull:
                # A slow consumer is cut off rather than allowed to grow memory without bound;
                # it resumes from the last seq it got, so nothing is lost.
                subscriber.cut_off = CutOff.TOO_SLOW
                cut_off.append(subscriber)
        self._subscribers.difference_update(cut_off)
