"""`rosetta compare`: one operation through the three protocols, measured the same way.

Two passes per protocol, so that measuring does not change what is measured:
- the wire pass runs one client through a counting proxy (clients/wire/proxy.py): its set-up, its
  first call, then WIRE_REPEATS repeat calls and its closing, each counted byte by byte
  (`run_tapped`, which the demo console runs too, for one call);
- the latency pass calls the gateway directly, without the proxy in the way: `runs` fresh
  clients (set-up and first call, timed together), then `runs` calls on one warm client.
  Protocols take turns call by call, in a rotating order, so a slow moment is shared.
The answers of the wire pass's first calls are compared as domain values.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from clients.arguments import describe
from clients.compare.mistakes import path_mistake, url_mistake
from clients.compare.results import PROTOCOLS, Comparison, Flow, Measurement
from clients.compare.scratch import MASKED, Scratchpad
from clients.compare.weight import weigh
from clients.equality import differences, normalise
from clients.interface import UNREACHABLE, LibraryClient, RemoteError
from clients.rest import RestClient
from clients.soap import SoapClient
from clients.wire.conversation import Message, Traffic, messages, traffic
from clients.wire.proxy import WireTap, upstream_of
from clients.ws import WsClient
from services.operations import CHANGES

MAKERS: dict[str, Callable[..., LibraryClient]] = {
    "rest": RestClient,
    "soap": SoapClient,
    "websocket": WsClient,
}
WIRE_REPEATS = 3
# The error kind of an answer the client library itself refused, before or instead of a call.
CLIENT_ERROR = "client_error"


class CompareError(Exception):
    """The comparison cannot run: no gateway answers at the URL, or it went away meanwhile."""


def check_gateway(url: str, *, tapped: bool = False) -> None:
    """Raises CommandLineMistake when `url` is not how a gateway is named, WireError when it is
    to be `tapped` and the tap cannot measure it, CompareError when no gateway answers there."""
    mistake = url_mistake(url)
    if mistake is not None:
        raise mistake
    if tapped:
        upstream_of(url)  # an https:// gateway cannot be tapped: say so before calling it
    try:
        answer = httpx.get(f"{url}/healthz", timeout=5)
        problem = None if answer.is_success else f"GET /healthz answered {answer.status_code}"
    except httpx.HTTPError as error:
        # The library's message alone: httpx's status errors append a web page to read.
        problem = str(error) or type(error).__name__
    mistake = path_mistake(url, healthy=problem is None)
    if mistake is not None:
        raise mistake
    if problem is not None:
        raise CompareError(
            f"cannot reach a Rosetta gateway at {url} ({problem}); start one with "
            "`rosetta serve`, or give its root with --url (or ROSETTA_URL)"
        )


@dataclass(frozen=True)
class Called:
    """One call's outcome: the answer as the client returned it, or the error it raised."""

    answer: Any = None
    error: Exception | None = None
    seconds: float = 0.0

    @property
    def comparable(self) -> Any:
        """The answer as plain domain values; an error as its kind, which all three share."""
        if self.error is None:
            return normalise(self.answer)
        return {"error": self.error.kind if isinstance(self.error, RemoteError) else CLIENT_ERROR}


def call_once(
    client: LibraryClient,
    operation: str,
    arguments: dict[str, Any],
    caught: tuple[type[Exception], ...] = (RemoteError,),
) -> Called:
    """Calls the operation; an error of the `caught` types is the outcome, others propagate."""
    began = time.perf_counter()
    try:
        answer = getattr(client, operation)(**arguments)
    except caught as error:
        return Called(error=error, seconds=time.perf_counter() - began)
    return Called(answer=answer, seconds=time.perf_counter() - began)


def invoke(client: LibraryClient, operation: str, arguments: dict[str, Any]) -> Any:
    """The answer as plain domain values; an error answer as its kind, which all three share."""
    return call_once(client, operation, arguments).comparable


@dataclass(frozen=True)
class TappedRun:
    """One client made and called through its own counting proxy: what crossed, and when."""

    setup: Traffic  # making the client: zeep reads the WSDL, websockets opens its connection
    calls: tuple[Traffic, ...]  # one per outcome
    closing: Traffic
    conversation: tuple[Message, ...]  # every message of every connection, in order
    outcomes: tuple[Called, ...]


def run_tapped(
    url: str,
    protocol: str,
    operation: str,
    plans: list[dict[str, Any]],
    token: str | None,
    caught: tuple[type[Exception], ...] = (RemoteError,),
) -> TappedRun:
    """Makes one client behind a counting proxy and calls `operation` once per plan.

    An error of the `caught` types is an outcome, not a failure of the run; one raised while
    making the client is then the only outcome, and its call carries nothing.
    """
    outcomes: list[Called] = []
    with WireTap(url) as tap:
        marks = [tap.position()]
        client: LibraryClient | None = None
        try:
            client = MAKERS[protocol](tap.url, token=token)
        except caught as error:
            outcomes.append(Called(error=error))
        marks.append(tap.position())
        try:
            if client is not None:
                for plan in plans:
                    outcomes.append(call_once(client, operation, plan, caught))
                    marks.append(tap.position())
        finally:
            closing = tap.position()
            if client is not None:
                client.close()
        marks += [closing] * (len(outcomes) + 2 - len(marks))
        spans = [traffic(tap.since(a, b)) for a, b in itertools.pairwise(marks)]
        return TappedRun(
            setup=spans[0],
            calls=tuple(spans[1:]),
            closing=traffic(tap.since(closing)),
            conversation=tuple(m for c in tap.connections for m in messages(c)),
            outcomes=tuple(outcomes),
        )


def compare(
    url: str,
    operation: str,
    arguments: dict[str, Any],
    runs: int,
    token: str | None = None,
    weights: bool = True,
) -> Comparison:
    check_gateway(url, tapped=True)
    helper = RestClient(url, token=token)
    try:
        pad = Scratchpad(helper, operation, arguments)
        try:
            wire = {p: wire_pass(url, p, operation, pad, token) for p in PROTOCOLS}
            makers = {p: functools.partial(MAKERS[p], url, token=token) for p in PROTOCOLS}
            timings = latency_pass(makers, operation, dict.fromkeys(PROTOCOLS, pad), runs)
        finally:
            pad.clean()
    except UNREACHABLE as error:
        raise CompareError(f"lost the gateway at {url}: {error}") from None
    finally:
        helper.close()
    masked = MASKED.get(operation, ())
    measurements = {
        protocol: Measurement(**wire[protocol], **timings[protocol]) for protocol in PROTOCOLS
    }
    answers = {protocol: m.answer for protocol, m in measurements.items()}
    return Comparison(
        operation=operation,
        call=describe(operation, arguments),
        runs=runs,
        scratch=operation in CHANGES,
        masked=masked,
        measurements=measurements,
        differences=differences(answers, ignore=masked),
        weights={protocol: weigh(protocol) for protocol in PROTOCOLS} if weights else {},
    )


def wire_pass(
    url: str, protocol: str, operation: str, pad: Scratchpad, token: str | None
) -> dict[str, Any]:
    plans = [pad.next_arguments() for _ in range(1 + WIRE_REPEATS)]
    run = run_tapped(url, protocol, operation, plans, token)
    first, repeats = run.calls[0], run.calls[1:]
    phases = _setup_phases(run.setup)
    return {
        "protocol": protocol,
        "connections": run.setup.connections + first.connections,
        "wsdl_fetch": phases.get("wsdl"),
        "handshake": phases.get("handshake"),
        "other_setup": phases.get("other"),
        "first": Flow.of(first),
        "repeat": Flow.median([Flow.of(each) for each in repeats]),
        "repeat_connections": max(each.connections for each in repeats),
        "closing": Flow.of(run.closing),
        "compression": _compression(run.conversation),
        "answer": run.outcomes[0].comparable,
    }


def latency_pass(
    makers: Mapping[str, Callable[[], LibraryClient]],
    operation: str,
    pads: Mapping[str, Scratchpad],
    runs: int,
) -> dict[str, dict[str, Any]]:
    """Each subject's fresh client (set-up and first call) and warm client, taking turns call
    by call so that no subject always runs first; `makers` builds a subject's client."""
    names = list(makers)
    cold: dict[str, list[float]] = {name: [] for name in names}
    making: dict[str, list[float]] = {name: [] for name in names}
    warm: dict[str, list[float]] = {name: [] for name in names}
    for run in range(runs):
        for name in _turns(names, run):
            plan = pads[name].next_arguments()
            started = time.perf_counter()
            client = makers[name]()
            making[name].append(_ms_since(started))
            try:
                invoke(client, operation, plan)
                cold[name].append(_ms_since(started))
            finally:
                client.close()
    clients: dict[str, LibraryClient] = {}
    try:
        for name in names:
            clients[name] = makers[name]()
            invoke(clients[name], operation, pads[name].next_arguments())  # not yet steady
        for run in range(runs):
            for name in _turns(names, run):
                plan = pads[name].next_arguments()
                started = time.perf_counter()
                invoke(clients[name], operation, plan)
                warm[name].append(_ms_since(started))
    finally:
        for client in clients.values():
            client.close()
    return {
        name: {
            "cold_ms": tuple(cold[name]),
            "making_ms": tuple(making[name]),
            "warm_ms": tuple(warm[name]),
        }
        for name in names
    }


def _setup_phases(setup: Traffic) -> dict[str, Flow]:
    """The set-up's exchanges by what they were for: the WSDL, the WebSocket handshake, other."""
    totals: dict[str, list[int]] = {}
    phase = "other"
    for message in setup.messages:
        if message.sent:
            phase = _phase_of(message)
        figures = totals.setdefault(phase, [0, 0, 0, 0, 0])
        figures[0] += 1 if message.sent and message.answered else 0
        figures[1 if message.sent else 2] += message.size
        figures[3] += message.framing
        figures[4] += message.content
    return {name: Flow(*figures) for name, figures in totals.items()}


def _phase_of(message: Message) -> str:
    if message.is_handshake:
        return "handshake"
    if message.http is not None and "wsdl" in message.http.start_line.split(" ")[1].lower():
        return "wsdl"
    return "other"


def _compression(conversation: tuple[Message, ...]) -> str:
    for message in conversation:
        if message.http is None or message.sent:
            continue
        if message.http.status == 101:
            extensions = message.http.header("sec-websocket-extensions") or ""
            return extensions.split(";")[0].strip() or "none"
        if encoding := message.http.header("content-encoding"):
            return encoding
    return "none"


def _turns(names: list[str], run: int) -> list[str]:
    shift = run % len(names)
    return [*names[shift:], *names[:shift]]


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
