"""A WebSocket subscriber to every event, reading in a thread of its own and keeping all it sees."""

from __future__ import annotations

import threading
from typing import Any

from clients.ws import WsClient

QUIET = 0.2  # seconds without an event after which the reader checks whether to stop


class Subscriber:
    def __init__(self, url: str) -> None:
        self.client = WsClient(url)
        self.client.subscribe("*")
        self.events: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._arrived = threading.Condition()
        self._thread = threading.Thread(target=self._listen, name="subscriber", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            while not self._stop.is_set():
                for event in self.client.events(timeout=QUIET):
                    with self._arrived:
                        self.events.append(event)
                        self._arrived.notify_all()
        except Exception as error:  # a closed connection (1008: too slow), or worse
            with self._arrived:
                self.problems.append(f"stopped reading: {type(error).__name__}: {error}")
                self._arrived.notify_all()

    def wait_for(self, seq: int, timeout: float) -> None:
        """Returns once the event `seq` (or a later one) has arrived, or after `timeout`."""
        with self._arrived:
            self._arrived.wait_for(
                lambda: self.problems or any(e["seq"] >= seq for e in self.events[-1:]), timeout
            )

    def after(self, seq: int) -> list[dict[str, Any]]:
        with self._arrived:
            return [event for event in self.events if event["seq"] > seq]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.client.close()
