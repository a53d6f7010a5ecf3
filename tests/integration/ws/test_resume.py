"""Resuming the event stream on a real gateway: after a dropped connection, across a restart of
the gateway on the same database, past retention, on another epoch, and with EventStream."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clients.event_stream import EventStream, ResyncRequired
from gateway.settings import Settings
from tests.conftest import gateway_settings
from tests.integration.ws.support import WAIT, Rpc, rpc
from tests.live import LiveGateway, serve
from tests.support import book_fields


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return gateway_settings(tmp_path, seed=False)


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveGateway]:
    with serve(settings) as gateway:
        yield gateway


def changes(gateway: LiveGateway, count: int) -> int:
    """Makes `count` changes (a book added, then updated); returns the last one's seq."""
    with rpc(gateway) as ws:
        book = ws.call("add_book", book_fields())
        for copies in range(1, count):
            ws.call("update_book", {"isbn": book["isbn"], "copies": copies})
    return head(gateway)


def head(gateway: LiveGateway) -> int:
    """The stream's head, as a subscribe answers it."""
    with rpc(gateway) as probe:
        seq: int = probe.call("subscribe", {"events": []})["seq"]
    return seq


def seqs_until(ws: Rpc, last: int) -> list[int]:
    """The seqs of the events that arrive, up to and including `last`."""
    seen: list[int] = []
    while not seen or seen[-1] < last:
        seen.append(ws.event(lambda _event: True)["seq"])
    return seen


def kill(ws: Rpc) -> None:
    """Drops the connection as a crash or a network cut would: no closing handshake."""
    ws.connection.socket.close()


def test_a_subscriber_killed_mid_stream_resumes_with_after_and_misses_nothing(
    live: LiveGateway,
) -> None:
    with rpc(live) as first:
        subscribed = first.call("subscribe", {"events": ["*"]})
        start = subscribed["seq"]
        changes(live, 6)
        got = [first.event(lambda _event: True)["seq"] for _ in range(3)]
        kill(first)
    last = changes(live, 6)  # made while the subscriber is away
    with rpc(live) as again:
        resumed = again.call(
            "subscribe", {"events": ["*"], "after": got[-1], "epoch": subscribed["epoch"]}
        )
        live_last = changes(live, 3)  # after the resume: these come live
        got += seqs_until(again, live_last)
    assert resumed["epoch"] == subscribed["epoch"]
    assert resumed["seq"] >= last
    assert got == list(range(start + 1, live_last + 1))


def test_a_subscriber_resumes_across_a_restart_of_the_gateway(settings: Settings) -> None:
    with serve(settings) as gateway, rpc(gateway) as ws:
        subscribed = ws.call("subscribe", {"events": ["book.*"]})
        changes(gateway, 4)
        got = [ws.event(lambda _event: True)["seq"] for _ in range(2)]
        before_stop = changes(gateway, 3)
    with serve(settings) as restarted:
        after_restart = changes(restarted, 3)
        with rpc(restarted) as again:
            resumed = again.call(
                "subscribe", {"events": ["book.*"], "after": got[-1], "epoch": subscribed["epoch"]}
            )
            got += seqs_until(again, after_restart)
    assert resumed["epoch"] == subscribed["epoch"]  # the database keeps the epoch
    assert before_stop < after_restart
    assert got == list(range(subscribed["seq"] + 1, after_restart + 1))


def test_a_position_pruned_past_retention_is_resync_required(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path, seed=False, event_retention=5)
    with serve(settings) as gateway, rpc(gateway) as ws:
        subscribed = ws.call("subscribe", {"events": ["*"]})
        last = changes(gateway, 20)
        wait_for_pruning(settings.db, last - 5)
        error = ws_error(gateway, {"events": ["*"], "after": subscribed["seq"]})
        with rpc(gateway) as kept:
            pruned = error["data"]["pruned_through"]
            resumed = kept.call("subscribe", {"events": ["*"], "after": pruned})
            replayed = seqs_until(kept, last)
    assert error["code"] == -32010
    assert error["data"]["kind"] == "resync_required"
    assert error["data"]["epoch"] == subscribed["epoch"]
    assert error["data"]["seq"] == last
    assert pruned == last - 5
    assert resumed["seq"] == last
    assert replayed == list(range(pruned + 1, last + 1))


def wait_for_pruning(db: str, through: int) -> None:
    """Pruning runs in the background: waits, within a bound, until the file says it ran."""
    deadline = time.monotonic() + WAIT
    while True:
        with contextlib.closing(sqlite3.connect(db)) as connection:
            (pruned,) = connection.execute("SELECT pruned_through FROM event_stream").fetchone()
        if pruned >= through or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def ws_error(gateway: LiveGateway, params: dict[str, Any]) -> dict[str, Any]:
    with rpc(gateway) as ws:
        return ws.error("subscribe", params)


@pytest.mark.parametrize(
    ("position", "why"),
    [
        pytest.param({"epoch": "0123456789abcdef"}, "epoch", id="another-epoch"),
        pytest.param({"after": 10**9}, "head", id="past-the-head"),
    ],
)
def test_a_position_the_stream_never_held_is_resync_required(
    live: LiveGateway, position: dict[str, Any], why: str
) -> None:
    with rpc(live) as ws:
        error = ws.error("subscribe", {"events": ["*"], **position})
        # The connection stays usable, and still unsubscribed: it may subscribe afresh.
        subscribed = ws.call("subscribe", {"events": ["book.*"]})
    assert error["code"] == -32010
    assert error["data"]["kind"] == "resync_required"
    assert why in error["message"]
    assert error["data"]["epoch"] == subscribed["epoch"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"after": -1}, "after", id="negative"),
        pytest.param({"after": "7"}, "after", id="a-string"),
        pytest.param({"after": True}, "after", id="a-boolean"),
        pytest.param({"epoch": 7}, "epoch", id="epoch-not-a-string"),
        pytest.param({"epoch": ""}, "epoch", id="epoch-empty"),
    ],
)
def test_a_malformed_position_is_invalid_input(
    live: LiveGateway, params: dict[str, Any], field: str
) -> None:
    with rpc(live) as ws:
        error = ws.error("subscribe", {"events": ["*"], **params})
    assert error["code"] == -32602
    assert [e["field"] for e in error["data"]["errors"]] == [field]


def test_after_is_refused_once_the_connection_has_subscribed(live: LiveGateway) -> None:
    with rpc(live) as ws:
        subscribed = ws.call("subscribe", {"events": ["book.*"]})
        error = ws.error("subscribe", {"events": ["loan.*"], "after": subscribed["seq"]})
    assert error["data"]["kind"] == "invalid_input"
    assert [e["field"] for e in error["data"]["errors"]] == ["after"]


def test_a_filtered_subscriber_learns_the_head_from_position_notifications(
    tmp_path: Path,
) -> None:
    settings = gateway_settings(tmp_path, seed=False, event_position_interval=0.2)
    with serve(settings) as gateway, rpc(gateway) as ws:
        ws.call("subscribe", {"events": ["loan.*"]})
        last = changes(gateway, 3)  # book events only: none of them is sent
        told = [json.loads(ws.connection.recv(WAIT))]
        while told[-1]["params"]["seq"] < last:  # a position may come between the changes
            told.append(json.loads(ws.connection.recv(WAIT)))
    assert {message["method"] for message in told} == {"position"}
    assert [message["params"]["seq"] for message in told][-1] == last


def test_event_stream_resumes_across_a_restart_of_the_gateway(settings: Settings) -> None:
    with serve(settings) as gateway:
        port = int(gateway.url.rsplit(":", 1)[1])
        stream = EventStream(gateway.url, ["*"], give_up_after=WAIT)
        stream.connect()
        start = stream.seq
        received: list[int] = []
        done = threading.Event()

        def follow() -> None:
            for event in stream.events(timeout=WAIT):
                received.append(event["seq"])
                if event["data"].get("title") == "last":
                    break
            done.set()

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        changes(gateway, 5)
    with serve(settings, port=port) as restarted:
        changes(restarted, 5)
        with rpc(restarted) as ws:
            ws.call("add_book", book_fields(title="last"))
        finished = done.wait(WAIT * 3)
        last = head(restarted)
    stream.close()
    assert finished
    assert stream.connections >= 2
    assert start is not None
    assert received == list(range(start + 1, last + 1))


def test_event_stream_tells_resync_required_when_the_database_is_new(tmp_path: Path) -> None:
    with serve(gateway_settings(tmp_path / "one", seed=False)) as gateway:
        stream = EventStream(gateway.url, ["*"], give_up_after=WAIT)
        stream.connect()
        epoch = stream.epoch
        stream.close()
    with serve(gateway_settings(tmp_path / "two", seed=False)) as other:
        resumed = EventStream(other.url, ["*"], epoch=epoch, seq=0, give_up_after=WAIT)
        with pytest.raises(ResyncRequired) as refused:
            next(iter(resumed))
    assert refused.value.kind == "resync_required"
    assert "epoch" in refused.value.message
