"""Resuming events on PostgreSQL with two gateway instances on one database: a subscriber on
instance A, changes through REST, SOAP and WebSocket on instance B."""

from __future__ import annotations

from pathlib import Path

from clients.rest import RestClient
from clients.soap import SoapClient
from tests.conftest import gateway_settings
from tests.integration.ws.support import rpc
from tests.integration.ws.test_resume import head, kill, seqs_until
from tests.live import LiveGateway, serve
from tests.postgres import create_database
from tests.support import book_fields


def changes_through_every_protocol(gateway: LiveGateway) -> int:
    """A change through each protocol of `gateway`; returns the stream's head after them."""
    rest, soap = RestClient(gateway.url), SoapClient(gateway.url)
    try:
        book = rest.add_book(**book_fields())
        soap.update_book(book.isbn, copies=2)
        with rpc(gateway) as ws:
            ws.call("update_book", {"isbn": book.isbn, "copies": 3})
    finally:
        rest.close()
        soap.close()
    return head(gateway)


def test_a_subscriber_on_one_instance_resumes_and_across_its_restart(
    postgres: str, tmp_path: Path
) -> None:
    database = create_database(postgres)
    settings_a = gateway_settings(tmp_path / "a", seed=False).model_copy(update={"db": database})
    settings_b = gateway_settings(tmp_path / "b", seed=False).model_copy(update={"db": database})
    with serve(settings_b) as b:
        with serve(settings_a) as a:
            with rpc(a) as first:
                subscribed = first.call("subscribe", {"events": ["*"]})
                epoch, start = subscribed["epoch"], subscribed["seq"]
                changes_through_every_protocol(b)
                got = [first.event(lambda _event: True)["seq"] for _ in range(2)]
                kill(first)
            changes_through_every_protocol(b)  # while the subscriber is away
            with rpc(a) as again:
                resumed = again.call(
                    "subscribe", {"events": ["*"], "after": got[-1], "epoch": epoch}
                )
                last = changes_through_every_protocol(b)
                got += seqs_until(again, last)
        # Instance A stops; changes go on through B; a new A serves the resuming subscriber.
        while_a_is_down = changes_through_every_protocol(b)
        with serve(settings_a) as restarted, rpc(restarted) as later:
            again_resumed = later.call(
                "subscribe", {"events": ["*"], "after": got[-1], "epoch": epoch}
            )
            last = changes_through_every_protocol(b)
            got += seqs_until(later, last)
    assert resumed["epoch"] == again_resumed["epoch"] == epoch
    assert while_a_is_down < last
    assert got == list(range(start + 1, last + 1))
