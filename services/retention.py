"""Retention of the event outbox: the newest events are kept for subscribers that resume.

Pruning runs in the background, in small batches, each its own transaction, so no call ever
waits behind a long delete. Every process on a database prunes; deleting is idempotent and the
pruned-through mark only ever rises, so they need no coordination.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from services.errors import Unavailable
from services.events import EventSource

PRUNE_BATCH = 1000  # events deleted per transaction
PRUNE_INTERVAL = 1.0  # seconds between checks; a check is two point reads

log = logging.getLogger(__name__)


class EventOutbox(EventSource, Protocol):
    async def prune_events(self, through: int, limit: int) -> int:
        """Deletes at most `limit` of the oldest events with seq <= `through`, and raises the
        pruned-through mark to the last seq deleted; returns how many were deleted."""
        ...


class Retention:
    """Keeps the newest `keep` seqs of the outbox and prunes what is older."""

    def __init__(
        self,
        outbox: EventOutbox,
        keep: int,
        interval: float = PRUNE_INTERVAL,
        batch: int = PRUNE_BATCH,
    ) -> None:
        if keep < 1:
            raise ValueError("retention keeps at least one event: the head")
        self._outbox = outbox
        self._keep = keep
        self._interval = interval
        self._batch = batch
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-retention")

    async def stop(self) -> None:
        # Like the hub, ask the loop to finish rather than cancel a transaction half-way.
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None

    async def prune(self) -> int:
        """Prunes down to the retention, batch after batch; returns how many events went."""
        through = await self._outbox.last_event_seq() - self._keep
        if through <= await self._outbox.pruned_through():
            return 0
        pruned = 0
        while not self._stop.is_set():
            deleted = await self._outbox.prune_events(through, self._batch)
            pruned += deleted
            if deleted < self._batch:
                break
        return pruned

    async def _run(self) -> None:
        paused = False
        while not self._stop.is_set():
            try:
                await self.prune()
            except Unavailable:
                # The database is down: said once, not with a traceback at every check.
                if not paused:
                    log.warning("pruning events paused: the database is unavailable")
                paused = True
            except Exception:
                # Pruning late costs disk only; it must never end for good.
                log.exception("pruning events failed")
            else:
                if paused:
                    log.warning("pruning events resumed")
                paused = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._interval)
