"""Event subscriptions over /ws: patterns, order, unsubscribing, and slow consumers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import gateway_settings
from tests.integration.ws.overflow import overflow, resume
from tests.integration.ws.support import about, rpc
from tests.live import LiveGateway, serve
from tests.support import book_fields, fresh_isbn


def test_subscribers_receive_their_events_in_seq_order(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        ws.call("subscribe", {"events": ["book.*", "loan.*"]})
        added = ws.call("add_book", book_fields(isbn))
        updated = ws.call("update_book", {"isbn": isbn, "copies": 3})
        loan = ws.call("borrow_book", {"isbn": isbn, "member": "ann"})
        returned = ws.call("return_book", {"loan_id": loan["id"]})
        ws.call("remove_book", {"isbn": isbn})
        events = [ws.event(about(isbn)) for _ in range(5)]
    assert [e["type"] for e in events] == [
        "book.added",
        "book.updated",
        "loan.opened",
        "loan.closed",
        "book.removed",
    ]
    assert [e["data"] for e in events] == [added, updated, loan, returned, {"isbn": isbn}]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    assert all(e["at"].endswith("Z") for e in events)


def test_patterns_choose_the_event_types(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        ws.call("subscribe", {"events": ["loan.opened"]})
        ws.call("add_book", book_fields(isbn))
        loan = ws.call("borrow_book", {"isbn": isbn, "member": "ann"})
        event = ws.event(about(isbn))
    # book.added came first in seq order; had it been sent, it would be the first event here.
    assert event["type"] == "loan.opened"
    assert event["data"] == loan


def test_events_of_changes_made_on_another_connection_arrive(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as listener, rpc(gateway) as changer:
        listener.call("subscribe", {"events": ["*"]})
        added = changer.call("add_book", book_fields(isbn))
        event = listener.event(about(isbn))
    assert (event["type"], event["data"]) == ("book.added", added)


def test_unsubscribe_stops_those_events(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        ws.call("subscribe", {"events": ["book.*", "loan.*"]})
        assert ws.call("unsubscribe", {"events": ["book.*"]}) == ["loan.*"]
        ws.call("add_book", book_fields(isbn))
        ws.call("borrow_book", {"isbn": isbn, "member": "ann"})
        event = ws.event(about(isbn))
    assert event["type"] == "loan.opened"


def test_unsubscribe_without_events_drops_every_pattern(gateway: LiveGateway) -> None:
    isbn = fresh_isbn()
    with rpc(gateway) as ws:
        ws.call("subscribe", {"events": ["book.*", "loan.closed"]})
        assert ws.call("unsubscribe") == []
        ws.call("add_book", book_fields(isbn))
        loan = ws.call("borrow_book", {"isbn": isbn, "member": "ann"})
        ws.call("subscribe", {"events": ["loan.closed"]})
        ws.call("return_book", {"loan_id": loan["id"]})
        event = ws.event(about(isbn))
    assert event["type"] == "loan.closed"


@pytest.mark.parametrize(
    ("events", "field"),
    [
        pytest.param(["book.*", "nothing.*"], "events.1", id="matches-nothing"),
        pytest.param([7], "events.0", id="not-a-string"),
        pytest.param("book.*", "events", id="not-a-list"),
    ],
)
def test_patterns_that_match_no_event_type_are_invalid(
    gateway: LiveGateway, events: Any, field: str
) -> None:
    with rpc(gateway) as ws:
        error = ws.error("subscribe", {"events": events})
        subscription = ws.call("subscribe", {"events": []})
    assert error["code"] == -32602
    assert error["data"]["kind"] == "invalid_input"
    assert [e["field"] for e in error["data"]["errors"]] == [field]
    assert subscription["events"] == []


def test_a_subscriber_that_does_not_read_is_closed_with_1008(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A gateway of its own whose hub queues 50 events per subscriber. Beyond those, the socket
    # buffers between server and client can hold up to about 4 MiB (the kernel's wmem_max),
    # some 750 of these ~5.7 KB events; 1500 changes are sure to overflow the queue of a client
    # that reads nothing. No pings either way: the server's are off here, and the reader's own
    # keepalive is off in `overflow`, since its pong answers would queue behind the events it never
    # reads, and on a slow run it would close itself (1011) before the server cuts it off.
    settings = gateway_settings(
        tmp_path_factory.mktemp("slow"), event_queue_size=50, ws_ping_interval=0
    )
    with serve(settings) as gateway:
        received, close, changes, subscribed = overflow(gateway.ws_url)
        # Nothing is lost: the client resumes after the last seq it got, and catches up.
        last = subscribed["seq"] + 1 + changes  # the book's addition, then its updates
        received += resume(gateway.ws_url, subscribed, received[-1], last)
    assert close is not None
    assert close.code == 1008
    assert "not read fast enough" in close.reason
    assert "after" in close.reason
    assert received == list(range(subscribed["seq"] + 2, last + 1))
