"""Two gateway instances on one PostgreSQL database: a change made on one reaches the
subscribers of the other, every event once and in seq order, woken by LISTEN/NOTIFY."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clients.rest import RestClient
from clients.soap import SoapClient
from clients.ws import WsClient
from tests.conftest import gateway_settings
from tests.live import LiveGateway, serve
from tests.postgres import create_database
from tests.support import book_fields, fresh_isbn

EVENT_WAIT = 20.0  # seconds to wait for one event before the test fails


@pytest.fixture
def instances(postgres: str, tmp_path: Path) -> Iterator[tuple[LiveGateway, LiveGateway]]:
    # Polling once an hour: an event that arrives within the test came through NOTIFY.
    settings = gateway_settings(tmp_path).model_copy(
        update={"db": create_database(postgres), "event_poll_interval": 3600.0}
    )
    with serve(settings) as first, serve(settings) as second:
        yield first, second


def events_about(subscriber: WsClient, isbns: set[str], count: int) -> list[dict[str, Any]]:
    """The next `count` events about `isbns`, as they arrived; fewer if they stop coming."""
    found: list[dict[str, Any]] = []
    for event in subscriber.events(timeout=EVENT_WAIT):
        if event["data"].get("isbn") in isbns:
            found.append(event)
            if len(found) == count:
                break
    return found


def test_changes_on_one_instance_reach_a_subscriber_of_the_other_once_in_order(
    instances: tuple[LiveGateway, LiveGateway],
) -> None:
    a, b = instances
    subscriber = WsClient(a.url)
    rest, soap, ws = RestClient(b.url), SoapClient(b.url), WsClient(b.url)
    try:
        subscriber.subscribe("*")
        first, second, third = fresh_isbn(), fresh_isbn(), fresh_isbn()
        rest.add_book(**book_fields(first))
        soap.add_book(**book_fields(second))
        ws.add_book(**book_fields(third))
        soap.update_book(first, copies=4)
        loan = ws.borrow_book(second, "ann")
        rest.return_book(loan.id)
        ws.remove_book(third)
        made = [
            ("book.added", first),
            ("book.added", second),
            ("book.added", third),
            ("book.updated", first),
            ("loan.opened", second),
            ("loan.closed", second),
            ("book.removed", third),
        ]
        received = events_about(subscriber, {first, second, third}, len(made))
    finally:
        for client in (subscriber, rest, soap, ws):
            client.close()
    assert [(e["type"], e["data"]["isbn"]) for e in received] == made
    seqs = [e["seq"] for e in received]
    assert seqs == sorted(set(seqs)), "each event once, in seq order"
