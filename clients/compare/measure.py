"""`rosetta compare`: one operation through the three protocols, measured the same way.

Two passes per protocol, so that measuring does not change what is measured:
- the wire pass runs one client through a counting proxy (clients/wire/proxy.py): its set-up, its
  first call, then WIRE_REPEATS repeat calls and its closing, each counted byte by byte;
- the latency pass calls the gateway directly, without the proxy in the way: `runs` fresh
  clients (set-up and first call, timed together), then `runs` calls on one warm client.
  Protocols take turns call by call, in a rotating order, so a slow moment is shared.
The answers of the wire pass's first calls are compared as domain values.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import httpx

from clients.arguments import WRITES, describe
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

MAKERS: dict[str, Callable[..., LibraryClient]] = {
    "rest": RestClient,
    "soap": SoapClient,
    "websocket": WsClient,
}
WIRE_REPEATS = 3


class CompareError(Exception):
    """The comparison cannot run: no gateway answers at the URL, or it went away meanwhile."""


def check_gateway(url: str) -> None:
    try:
        httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError as error:
        raise CompareError(
            f"cannot reach a Rosetta gateway at {url} ({error}); start one with `rosetta serve`"
        ) from None


def invoke(client: LibraryClient, operation: str, arguments: dict[str, Any]) -> Any:
    """The answer as plain domain values; an error answer as its kind, which all three share."""
    try:
        return normalise(getattr(client, operation)(**arguments))
    except RemoteError as error:
        return {"error": error.kind}


def compare(
    url: str,
    operation: str,
    arguments: dict[str, Any],
    runs: int,
    token: str | None = None,
    weights: bool = True,
) -> Comparison:
    upstream_of(url)  # an https:// gateway cannot be tapped: say so before calling it
    check_gateway(url)
    helper = RestClient(url, token=token)
    try:
        pad = Scratchpad(helper, operation, arguments)
        try:
            wire = {p: _wire_pass(url, p, operation, pad, token) for p in PROTOCOLS}
            timings = _latency_pass(url, operation, pad, runs, token)
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
        scratch=operation in WRITES,
        masked=masked,
        measurements=measurements,
        differences=differences(answers, ignore=masked),
        weights={protocol: weigh(protocol) for protocol in PROTOCOLS} if weights else {},
    )


def _wire_pass(
    url: str, protocol: str, operation: str, pad: Scratchpad, token: str | None
) -> dict[str, Any]:
    plans = [pad.next_arguments() for _ in range(1 + WIRE_REPEATS)]
    with WireTap(url) as tap:
        start = tap.position()
        client = MAKERS[protocol](tap.url, token=token)
        try:
            built = tap.position()
            answer = invoke(client, operation, plans[0])
            marks = [tap.position()]
            for plan in plans[1:]:
                invoke(client, operation, plan)
                marks.append(tap.position())
        finally:
            closing = tap.position()
            client.close()
        setup = traffic(tap.since(start, built))
        first = traffic(tap.since(built, marks[0]))
        repeats = [traffic(tap.since(a, b)) for a, b in itertools.pairwise(marks)]
        phases = _setup_phases(setup)
        return {
            "protocol": protocol,
            "connections": setup.connections + first.connections,
            "wsdl_fetch": phases.get("wsdl"),
            "handshake": phases.get("handshake"),
            "other_setup": phases.get("other"),
            "first": Flow.of(first),
            "repeat": Flow.median([Flow.of(each) for each in repeats]),
            "repeat_connections": max(each.connections for each in repeats),
            "closing": Flow.of(traffic(tap.since(closing))),
            "compression": _compression([m for c in tap.connections for m in messages(c)]),
            "answer": answer,
        }


def _latency_pass(
    url: str, operation: str, pad: Scratchpad, runs: int, token: str | None
) -> dict[str, dict[str, Any]]:
    cold: dict[str, list[float]] = {protocol: [] for protocol in PROTOCOLS}
    making: dict[str, list[float]] = {protocol: [] for protocol in PROTOCOLS}
    warm: dict[str, list[float]] = {protocol: [] for protocol in PROTOCOLS}
    for run in range(runs):
        for protocol in _turns(run):
            plan = pad.next_arguments()
            started = time.perf_counter()
            client = MAKERS[protocol](url, token=token)
            making[protocol].append(_ms_since(started))
            try:
                invoke(client, operation, plan)
                cold[protocol].append(_ms_since(started))
            finally:
                client.close()
    clients: dict[str, LibraryClient] = {}
    try:
        for protocol in PROTOCOLS:
            clients[protocol] = MAKERS[protocol](url, token=token)
            invoke(clients[protocol], operation, pad.next_arguments())  # not yet steady state
        for run in range(runs):
            for protocol in _turns(run):
                plan = pad.next_arguments()
                started = time.perf_counter()
                invoke(clients[protocol], operation, plan)
                warm[protocol].append(_ms_since(started))
    finally:
        for client in clients.values():
            client.close()
    return {
        protocol: {
            "cold_ms": tuple(cold[protocol]),
            "making_ms": tuple(making[protocol]),
            "warm_ms": tuple(warm[protocol]),
        }
        for protocol in PROTOCOLS
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


def _compression(conversation: list[Message]) -> str:
    for message in conversation:
        if message.http is None or message.sent:
            continue
        if message.http.status == 101:
            extensions = message.http.header("sec-websocket-extensions") or ""
            return extensions.split(";")[0].strip() or "none"
        if encoding := message.http.header("content-encoding"):
            return encoding
    return "none"


def _turns(run: int) -> list[str]:
    shift = run % len(PROTOCOLS)
    return [*PROTOCOLS[shift:], *PROTOCOLS[:shift]]


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
