"""One dedicated PostgreSQL connection that LISTENs for commits and wakes the event hub.

A notification is only a hint that the outbox grew: the hub then reads the outbox, which is
the record. So nothing is lost when a notification is: while this connection is down (the
server restarting, the network cut), the hub's polling still reads new events, and each
reconnect wakes the hub once more to read whatever was committed meanwhile.

A pooled connection cannot listen: the pool resets connections between uses, which
UNLISTENs. A silently dead connection (no FIN from a host that vanished) is found by a
trivial query after each quiet spell, and replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from services.storage.outages import is_postgres_outage

log = logging.getLogger(__name__)

FIRST_RETRY = 0.1  # seconds before the first reconnect attempt; doubles up to LAST_RETRY
LAST_RETRY = 2.0
QUIET_CHECK = 10.0  # seconds without news after which the connection is checked


class CommitListener:
    def __init__(self, dsn: str, channel: str, wake: Callable[[], None], timeout: float) -> None:
        self._dsn = dsn
        self._channel = channel
        self._wake = wake
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self.connects = 0  # how many times a connection started listening

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="commit-listener")

    async def stop(self) -> None:
        # Cancelling is safe here: the connection is this task's own, cut in its `finally`.
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        retry = FIRST_RETRY
        down_since_logged = False
        while True:
            try:
                await self._listen()
            except Exception as error:
                if not is_postgres_outage(error):
                    log.exception("listening for commits failed")
                elif not down_since_logged:
                    log.warning("listening for commits stopped, reconnecting: %r", error)
                    down_since_logged = True
            else:
                down_since_logged = False
                retry = FIRST_RETRY
                continue
            await asyncio.sleep(retry)
            retry = min(retry * 2, LAST_RETRY)

    async def _listen(self) -> None:
        """Listens until the connection is lost; returns then, raises if it never listened."""
        connection = await asyncpg.connect(
            self._dsn, timeout=self._timeout, command_timeout=self._timeout
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(self._channel, self._on_notification)
            self.connects += 1
            if self.connects > 1:
                log.warning("listening for commits again")
            # Whatever was committed while nobody listened is read now, not at the next poll.
            self._wake()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), QUIET_CHECK)
                if not lost.is_set():
                    await connection.fetchval("SELECT 1")
        finally:
            connection.terminate()

    def _on_notification(
        self, _connection: object, _pid: int, _channel: str, _payload: object
    ) -> None:
        self._wake()
