"""Event notifications, encoded once per event however many subscribers it goes to, and the
position notifications that tell a subscriber how far the stream has gone.

The hub hands the same Event object to every subscriber; encoding it per connection cost a
tenth of a fan-out's time (profile of `make bench`, 10,000 subscribers). Frames are kept by
the event's identity for the few events in flight, holding the event itself so that its id
cannot be reused while the entry lives.
"""

from __future__ import annotations

from collections import OrderedDict

from gateway.ws import jsonrpc
from services.events import Event, Position, Subscriber

RECENT_EVENTS = 64
EVENT_METHOD = "event"
POSITION_METHOD = "position"


class EventFrames:
    def __init__(self, size: int = RECENT_EVENTS) -> None:
        self._size = size
        self._recent: OrderedDict[int, tuple[Event, str]] = OrderedDict()

    def frame(self, event: Event) -> str:
        """The JSON-RPC notification text of `event`."""
        hit = self._recent.get(id(event))
        if hit is not None and hit[0] is event:
            return hit[1]
        text = jsonrpc.encode(jsonrpc.notification(EVENT_METHOD, event.as_dict()))
        self._recent[id(event)] = (event, text)
        if len(self._recent) > self._size:
            self._recent.popitem(last=False)
        return text


EVENT_FRAMES = EventFrames()


def frame_for(subscriber: Subscriber, queued: Event | Position) -> str | None:
    """The frame to push for what the hub queued: a position, or an event the subscriber still
    wants (none of a pattern dropped since it was queued)."""
    if isinstance(queued, Position):
        return jsonrpc.encode(jsonrpc.notification(POSITION_METHOD, queued.as_dict()))
    return EVENT_FRAMES.frame(queued) if subscriber.wants(queued.type) else None
