"""JSON-RPC frames from hypothesis, all on one WebSocket: every one is answered as the
specification says, never with -32603, and the connection stays up to answer the next.

After each fuzzed frame a probe (`get_book` with an id of its own) follows on the same
connection; what arrives before the probe's answer is the fuzzed frame's answer, if it gets one.
A frame's answer is predicted from JSON-RPC 2.0 itself: a notification gets none, a batch gets
an array, anything unreadable gets one error with a null id. ISBNs, loan ids and versions are
drawn mostly from what earlier answers showed to exist (tests/integration/fuzz/ledger.py), so
that every change also succeeds, and its result is checked against the method's result type.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from websockets.sync.client import ClientConnection, connect

from gateway.ws.methods import METHODS
from gateway.ws.schemas import EVENT_DATA
from tests.conftest import gateway_settings
from tests.integration.fuzz.ledger import Ledger, seed_calls
from tests.live import LiveGateway, serve
from tests.support import book_fields, fresh_isbn

WAIT = 10.0  # seconds for an answer; slower is a hang
MAX_BATCH = 20  # the gateway's ws_max_batch here: the fuzzer reaches it cheaply
# The kinds a caller's own request can earn; resync_required answers a subscribe's position.
CLIENT_KINDS = {
    "invalid_input",
    "not_found",
    "conflict",
    "version_mismatch",
    "not_allowed",
    "resync_required",
}
PROBE_ISBN = fresh_isbn()  # a book the fuzzer never names, so never removes
ISBNS = [fresh_isbn() for _ in range(3)]  # few, so that adds, borrows and removes meet
RESULTS = {name: TypeAdapter(method.result) for name, method in METHODS.items()}
# Each method with its parameters, for the ledger to tell which can stand in for which.
PARAMETERS = {name: method.param_names for name, method in METHODS.items()}
EVENTS = {name: TypeAdapter(model) for name, model in EVENT_DATA.items()}
MEMBERS = frozenset({"jsonrpc", "method", "params", "id"})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
EDGE_VALUES: list[Any] = [
    "",
    " ",
    -1,
    0,
    101,
    2**31,
    2**63,
    2**64,
    -(2**63) - 1,
    10**400,
    1e308,
    -0.0,
    1.5,
    True,
    None,
    [],
    {},
    ["book.*"],
    "2024-02-30",
    "12.345",
    "-1.00",
    "eur",
    "9780132350885",
    "978-0-13-235088-4",
    "x" * 301,
    "\ud800",  # a lone surrogate: valid in JSON text, not in UTF-8
]
# Words with spaces between, never around: a value of spaces alone is blank, and so refused.
word = st.text(st.characters(codec="ascii", categories=("L", "Nd")), min_size=1, max_size=10)
words = st.lists(word, min_size=1, max_size=3).map(" ".join)
# Plausible values; isbn, loan_id and expected_version come from the run's Ledger instead.
VALID: dict[str, st.SearchStrategy[Any]] = {
    "title": words,
    "authors": st.lists(words, min_size=1, max_size=3),
    "tags": st.lists(words, max_size=3),
    "q": words,
    "author": words,
    "tag": words,
    "member": words,
    "published": st.dates().map(str),
    "price": st.decimals(0, 1000, places=2).map(str),
    "currency": st.sampled_from(["EUR", "USD", "GBP"]),
    "copies": st.integers(0, 5),
    "limit": st.integers(1, 100),
    # A subscribe that resumes is tested on its own (tests/integration/ws/test_resume.py).
    "after": st.none(),
    "epoch": st.none(),
    "offset": st.integers(0, 10),
    "open_only": st.booleans(),
    "events": st.lists(st.sampled_from(["book.*", "loan.*", "*", "loan.opened"]), max_size=2),
}


@dataclass
class Damage:
    """How often the parts of one frame are damaged: never, now and then, or often."""

    draw: st.DrawFn
    odds: int  # one decision in `odds` damages its part; 0 damages none
    ledger: Ledger

    def now(self) -> bool:
        return self.odds > 0 and self.draw(st.integers(0, self.odds - 1)) == 0

    def value(self, name: str, method: str, drawn: dict[str, Any]) -> Any:
        """A value for the parameter `name` of `method`, given the parameters `drawn` before."""
        if self.now():
            return self.draw(st.one_of(st.sampled_from(EDGE_VALUES), json_values))
        if name == "isbn":
            return self.ledger.isbn(self.draw, method)
        if name == "loan_id":
            return self.ledger.loan_id(self.draw)
        if name == "expected_version":
            return self.ledger.expected_version(self.draw, drawn.get("isbn"))
        return self.draw(VALID.get(name, json_values))


def request(damage: Damage, ids: Iterator[int]) -> dict[str, Any]:
    names = [*sorted(METHODS), "no_such_method", "rpc.discover", "\udfff"]
    method = (
        damage.draw(st.sampled_from(names))
        if damage.now()
        else damage.ledger.operation(damage.draw, PARAMETERS)
    )
    known = METHODS[method].param_names if method in METHODS else ("isbn",)
    params: Any = {}
    for name in known:
        if not damage.now():
            params[name] = damage.value(name, method, params)
    if damage.now():
        params[damage.draw(st.sampled_from(["unknown", "Isbn", "id"]))] = damage.value(
            "x", method, {}
        )
    if damage.now():
        params = damage.draw(st.sampled_from([list(params.values()), None, "isbn", 7]))
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if not damage.now():
        message["id"] = f"fuzz-{next(ids)}"  # else a notification
    elif damage.now():
        odd_ids: list[Any] = [None, 1.5, True, [], {}, -0.0, 2**70, "\ud800"]
        message["id"] = damage.draw(st.sampled_from(odd_ids))
    if damage.now():
        message["jsonrpc"] = damage.draw(st.sampled_from(["1.0", 2.0, None, "2.0 "]))
    if damage.now():
        del message[damage.draw(st.sampled_from(["jsonrpc", "method", "params"]))]
    if damage.now():
        message[damage.draw(st.sampled_from(["param", "extra", "ID"]))] = 1
    if damage.now() and method in METHODS:
        message["method"] = method.upper()
    return message


IDS = itertools.count()


@st.composite
def frames(draw: st.DrawFn, ledger: Ledger) -> str | bytes:
    """A request or a batch, mostly sensible; else JSON of any shape, text, bytes, deep nests."""
    damage = Damage(draw, draw(st.sampled_from([0, 0, 0, 40, 12, 4])), ledger)
    kind = draw(
        st.sampled_from(["request"] * 6 + ["batch"] * 2 + ["json", "text", "bytes", "deep"])
    )
    if kind == "request":
        return json.dumps(request(damage, IDS))
    if kind == "batch":
        size = draw(st.integers(0, 4)) if not damage.now() else draw(st.sampled_from([0, 21, 50]))
        return json.dumps([request(damage, IDS) for _ in range(size)])
    if kind == "json":
        return json.dumps(draw(json_values))
    if kind == "text":
        return draw(st.text(st.characters(codec="utf-8"), max_size=200))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    depth = draw(st.sampled_from([10, 1000, 100_000]))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return opening * depth + "1" + closing * depth


UNREADABLE = object()


def readable(frame: str | bytes) -> Any:
    """The frame's JSON value as the gateway reads it, or UNREADABLE.

    Binary frames are not read (this endpoint speaks text), and a string holding a lone
    surrogate (an escaped \\ud800) is refused, since no answer could echo it in UTF-8.
    """
    if isinstance(frame, bytes):
        return UNREADABLE
    try:
        message = json.loads(frame)
        json.dumps(message, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return UNREADABLE
    return message


def answer_expected(message: Any) -> str:
    """What JSON-RPC 2.0 owes a message: "one" answer, a "batch" (or none), or "none"."""
    if message is UNREADABLE:
        return "one"  # an error with a null id
    if isinstance(message, list):
        if not message or len(message) > MAX_BATCH:
            return "one"
        return "batch" if any(not is_notification(entry) for entry in message) else "none"
    return "none" if is_notification(message) else "one"


def is_notification(entry: object) -> bool:
    """A well-formed request without an id: the only kind of message that gets no answer."""
    return (
        isinstance(entry, dict)
        and "id" not in entry
        and entry.get("jsonrpc") == "2.0"
        and isinstance(entry.get("method"), str)
        and isinstance(entry.get("params", {}), dict | list)
        and set(entry) <= MEMBERS
    )


@dataclass
class Prober:
    """Sends frames and probes on one connection, and checks everything that comes back."""

    connection: ClientConnection
    last_seq: int = 0
    probes: Iterator[int] = field(default_factory=itertools.count)

    def send(self, frame: str | bytes) -> list[Any]:
        """Sends the frame, then a probe; returns what came before the probe's answer."""
        self.connection.send(frame)
        probe = f"probe-{next(self.probes)}"
        self.connection.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": probe,
                    "method": "get_book",
                    "params": {"isbn": PROBE_ISBN},
                }
            )
        )
        before: list[Any] = []
        while True:
            message = json.loads(self.connection.recv(WAIT))
            if isinstance(message, dict) and message.get("method") == "event":
                self.check_event(message)
            elif isinstance(message, dict) and message.get("method") == "position":
                # Sent now and then to a subscriber whose patterns filter events out: the head,
                # never behind an event already given.
                assert message["params"]["seq"] >= self.last_seq, message
                self.last_seq = message["params"]["seq"]  # events after it come past it
            elif isinstance(message, dict) and message.get("id") == probe:
                assert message.get("result", {}).get("isbn") == PROBE_ISBN, message
                return before
            else:
                before.append(message)

    def check_event(self, message: dict[str, Any]) -> None:
        params = message["params"]
        assert params["seq"] > self.last_seq, message  # strictly increasing, none twice
        self.last_seq = params["seq"]
        EVENTS[params["type"]].validate_python(params["data"])


def check_reply(reply: Any, sent: Any, ledger: Ledger) -> None:
    """One response object: JSON-RPC 2.0, a result of its method's shape or a client error."""
    assert isinstance(reply, dict), reply
    assert reply.get("jsonrpc") == "2.0", reply
    assert set(reply) in ({"jsonrpc", "id", "result"}, {"jsonrpc", "id", "error"}), reply
    request_id = sent.get("id") if isinstance(sent, dict) else None
    # An id of the wrong type cannot be echoed: the error about it goes out with a null id.
    echoed = request_id is None or (
        isinstance(request_id, str | int | float) and not isinstance(request_id, bool)
    )
    assert reply["id"] == (request_id if echoed else None), reply
    if "result" in reply:
        method = sent["method"]
        RESULTS[method].validate_python(reply["result"])
        record(ledger, method, sent.get("params"), reply["result"])
        event(f"result {method}")
        return
    error = reply["error"]
    assert error["code"] != -32603, reply  # server_fault: a bug, whatever the frame
    assert error["data"]["kind"] in CLIENT_KINDS, reply
    assert isinstance(error["message"], str), reply
    event(f"error {error['code']}")


def record(ledger: Ledger, method: str, params: Any, result: Any) -> None:
    """What a successful answer shows to exist, for the calls still to come."""
    ledger.succeeded(method)
    books = (
        result["items"]
        if method == "list_books"
        else [result]
        if method in {"get_book", "add_book", "update_book"}
        else []
    )
    for book in books:
        ledger.book(book["isbn"], book["version"], book["available"])
    loans = (
        result
        if method == "list_loans"
        else [result]
        if method in {"borrow_book", "return_book", "get_loan"}
        else []
    )
    for loan in loans:
        ledger.loan(loan["id"], loan["isbn"], loan.get("returned_at") is not None)
    if method == "remove_book" and isinstance(params, dict):
        ledger.removed(params["isbn"])


@pytest.fixture(scope="module")
def rpc_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    """A gateway of its own, since the frames add and remove books.

    Neither side sends pings (here and in `prober`): websockets draws each ping's payload from
    the `random` module in its own thread, and hypothesis takes a change of that module's state
    while it draws a frame for a strategy's own use of it, and fails the run.
    """
    settings = gateway_settings(
        tmp_path_factory.mktemp("fuzz-rpc"), ws_max_batch=MAX_BATCH, ws_ping_interval=0
    )
    with serve(settings) as live:
        yield live


@pytest.fixture(scope="module")
def prober(rpc_gateway: LiveGateway) -> Iterator[Prober]:
    with connect(rpc_gateway.ws_url, proxy=None, ping_interval=None) as connection:
        prober = Prober(connection)
        connection.send(
            json.dumps(
                {"jsonrpc": "2.0", "id": 0, "method": "add_book", "params": book_fields(PROBE_ISBN)}
            )
        )
        assert "result" in json.loads(connection.recv(WAIT))
        yield prober


FUZZ = settings(
    max_examples=1500,  # enough for every change to succeed many times over (ledger.py)
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_every_frame_is_answered_as_json_rpc_says_and_the_connection_stays_up(
    prober: Prober,
) -> None:
    ledger = Ledger(ISBNS)
    for method, params in seed_calls(ISBNS[0]):
        request = {"jsonrpc": "2.0", "id": method, "method": method, "params": params}
        [reply] = prober.send(json.dumps(request))
        record(ledger, method, params, reply["result"])
    ledger.successes.clear()  # the statistics count the fuzzer's own successes only

    @FUZZ
    @given(frame=frames(ledger))
    def answered_as_json_rpc_says(frame: str | bytes) -> None:
        check_frame(prober, ledger, frame)

    answered_as_json_rpc_says()
    # The statistics of the run: every change reached its success path at least once.
    assert not ledger.missing_successes(), f"never succeeded: {ledger.successes}"


def check_frame(prober: Prober, ledger: Ledger, frame: str | bytes) -> None:
    received = prober.send(frame)
    message = readable(frame)
    expected = answer_expected(message)
    if expected == "none":
        assert received == [], received
        return
    assert len(received) == 1, received
    [reply] = received
    if expected == "one":
        check_reply(reply, message, ledger)
        return
    assert isinstance(reply, list), reply
    answered = [entry for entry in message if not is_notification(entry)]
    assert len(reply) == len(answered), reply
    for each, sent in zip(reply, answered, strict=True):
        check_reply(each, sent, ledger)
