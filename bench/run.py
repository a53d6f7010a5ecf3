"""One benchmark run: start the servers, measure, and collect every figure in one dict."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import crossing, httpload, machine, payloads, wrk, wsload
from bench.baselines.spyne_app import server_name
from bench.measure import LoadResult
from bench.servers import HOST, Running, ServerSpec, pin_plan, running, service_floor

GATEWAY = "gateway"
BASELINE_OF = {"rest": "fastapi", "soap": "spyne", "websocket": "websockets"}
# The physical limit of each protocol: a server answering the gateway's own bytes, no work.
LIMIT_OF = {"rest": "raw_asgi", "soap": "raw_asgi", "websocket": "bare_frame"}
LIMIT_OPERATION = "get_book"
# The REST contract in other frameworks (frameworks/), beside the gateway's FastAPI adapter.
FRAMEWORK_SERVERS = {"flask": "rest-flask", "django": "rest-django", "tornado": "rest-tornado"}
FRAMEWORK_OPERATIONS = ("get_book", "list_books")
# Two digits per use keep apart the new ISBNs each server is sent: by the Python drivers, per
# protocol, by the one-off calls, and (60 to 99) by each wrk run.
ISBN_RUNS = {"rest": 10, "soap": 20, "websocket": 30, "bytes": 40, "fanout": 50}


def server_specs() -> dict[str, ServerSpec]:
    return {
        GATEWAY: ServerSpec(
            GATEWAY,
            "Rosetta gateway",
            ("-m", "gateway", "--host", HOST, "--log-level", "warning"),
            "/healthz",
        ),
        "fastapi": ServerSpec(
            "fastapi",
            "FastAPI, response_model",
            ("-m", "bench.baselines.fastapi_app"),
            "/healthz",
        ),
        "spyne": ServerSpec(
            "spyne", f"spyne on {server_name()}", ("-m", "bench.baselines.spyne_app"), "/healthz"
        ),
        "websockets": ServerSpec(
            "websockets", "bare websockets", ("-m", "bench.baselines.websockets_app"), "/healthz"
        ),
    }


def limit_specs(answers: Path) -> dict[str, ServerSpec]:
    """The limit servers, answering what the gateway answered, saved in `answers` once the
    gateway is up (they start with it and read the folder at their first call)."""
    where = ("--answers", str(answers))
    return {
        "raw_asgi": ServerSpec(
            "raw_asgi",
            "raw ASGI on uvicorn, same bytes",
            ("-m", "bench.baselines.raw_asgi", *where),
            "/healthz",
            has_storage=False,
        ),
        "bare_frame": ServerSpec(
            "bare_frame",
            "bare websockets, same frame",
            ("-m", "bench.baselines.bare_frame", *where),
            "/healthz",
            has_storage=False,
        ),
    }


def framework_specs() -> dict[str, ServerSpec]:
    """The REST contract in Flask, Django and Tornado: started after the others, on their own,
    so that seven servers never import at once on the one core the servers share."""
    return {
        name: ServerSpec(
            name,
            f"REST in {framework.capitalize()}",
            ("-m", "frameworks", framework, "--host", HOST, "--log-level", "warning"),
            "/rest/books?limit=1",
        )
        for framework, name in FRAMEWORK_SERVERS.items()
    }


@dataclass(frozen=True)
class Plan:
    quick: bool
    seconds: int  # of each measured load run
    warmup: int  # seconds of load before each measured run, not counted
    connections: int
    fanout: tuple[int, ...]
    idle_connections: int
    settle: float  # seconds a server gets to finish setting up connections before RSS is read
    floor_seconds: float  # per operation, of the service called alone
    driver: str  # "wrk" or "python"
    crossing_changes: int  # changes sent to one instance, each awaited by another's subscriber

    @classmethod
    def make(cls, quick: bool, driver: str) -> Plan:
        chosen = ("wrk" if wrk.available() else "python") if driver == "auto" else driver
        if chosen == "wrk" and not wrk.available():
            raise SystemExit("wrk is not installed: apt-get install wrk, or --driver python")
        if quick:
            return cls(True, 1, 0, 4, (20,), 20, 0.2, 0.2, chosen, 20)
        return cls(False, 10, 2, 32, (1_000, 10_000), 2_000, 1.0, 3.0, chosen, 500)


def execute(plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
    server_cores, driver_cores = pin_plan()
    if driver_cores:
        os.sched_setaffinity(0, driver_cores)  # this process and its wrk children
    specs = server_specs()
    results: dict[str, Any] = {
        "machine": machine.describe(server_cores, driver_cores),
        "plan": {
            "quick": plan.quick,
            "seconds": plan.seconds,
            "warmup": plan.warmup,
            "connections": plan.connections,
            "http_driver": "wrk" if plan.driver == "wrk" else httpload.DRIVER,
            "websocket_driver": wsload.DRIVER,
        },
        "labels": {
            name: spec.label
            for name, spec in (specs | limit_specs(Path()) | framework_specs()).items()
        },
        "floor": {},
        "driver_floor": {},
        "load": [],
        "bytes": [],
    }
    with tempfile.TemporaryDirectory(prefix="rosetta-bench-") as scratch:
        floors = service_floor(Path(scratch), server_cores, plan.floor_seconds)
        results["floor"], results["driver_floor"] = floors["service"], floors["driver"]
        log("service alone, CPU us per call: " + _floor_line(results["floor"]))
        log("bare driver, same SQL, CPU us per call: " + _floor_line(results["driver_floor"]))
        answers = Path(scratch) / "answers"
        everyone = specs | limit_specs(answers)
        with running(everyone.values(), Path(scratch), server_cores) as servers:
            _measure(plan, servers, results, log)
            answers.mkdir()
            for name, answer in asyncio.run(capture_answers(servers[GATEWAY])).items():
                (answers / name).write_bytes(answer)
            _measure_limits(plan, servers, results, log)
        with running(framework_specs().values(), Path(scratch), server_cores) as servers:
            results["frameworks"] = _measure_frameworks(plan, servers, log)
        results["crossing"] = crossing.measure(
            plan.crossing_changes, Path(scratch), server_cores, log
        )
    results["machine"]["load_average_after"] = os.getloadavg()
    return results


def _floor_line(floor: dict[str, float]) -> str:
    return ", ".join(f"{op} {us:.0f}" for op, us in floor.items())


def _measure(
    plan: Plan, servers: dict[str, Running], results: dict[str, Any], log: Callable[[str], None]
) -> None:
    log(f"servers up: {', '.join(f'{s.spec.label} :{s.port}' for s in servers.values())}")
    # Before any load: a fresh process's allocator has no freed memory to reuse yet.
    results["idle"] = [
        idle_memory(plan, servers[name]) for name in (GATEWAY, BASELINE_OF["websocket"])
    ]
    for idle in results["idle"]:
        log(f"idle websocket: {idle['server']} {idle['bytes_per_connection'] / 1024:.1f} KiB")
    # Reads before any change, adds after the load, so every server's lists hold the same
    # books whenever they are read.
    reads = tuple(op for op in payloads.OPERATIONS if op != "add_book")
    results["bytes"] = asyncio.run(measure_bytes(servers, reads))
    for operation in payloads.OPERATIONS:
        for protocol in payloads.PROTOCOLS:
            for name in (BASELINE_OF[protocol], GATEWAY):
                result = measure_load(plan, servers[name], protocol, operation)
                log(_line(servers[name].spec.label, protocol, operation, result))
                results["load"].append(
                    {"server": name, "protocol": protocol, "operation": operation}
                    | result.as_dict()
                )
    results["bytes"] += asyncio.run(measure_bytes(servers, ("add_book",)))
    results["fanout"] = [fan_out(servers[GATEWAY], size) for size in plan.fanout]
    for each in results["fanout"]:
        log(f"fan-out to {each['subscribers']}: last after {each['last_ms']:.1f} ms")


async def capture_answers(gateway: Running) -> dict[str, bytes]:
    """The gateway's get_book answer in each protocol, by the file name the limit servers
    read it from."""
    captured = {}
    for protocol in ("rest", "soap"):
        wire = payloads.http_request(protocol, LIMIT_OPERATION).wire(f"{HOST}:{gateway.port}")
        _sent, _received, body = await httpload.exchange(HOST, gateway.port, wire)
        captured[f"{protocol}.body"] = body
    frame = payloads.rpc_frame(LIMIT_OPERATION, 1)
    _sent, _received, payload = await wsload.ws_exchange(HOST, gateway.port, frame)
    captured["websocket.frame"] = payload
    return captured


def _measure_limits(
    plan: Plan, limits: dict[str, Running], results: dict[str, Any], log: Callable[[str], None]
) -> None:
    for protocol, name in LIMIT_OF.items():
        result = measure_load(plan, limits[name], protocol, LIMIT_OPERATION)
        log(_line(limits[name].spec.label, protocol, LIMIT_OPERATION, result))
        results["load"].append(
            {"server": name, "protocol": protocol, "operation": LIMIT_OPERATION} | result.as_dict()
        )


def _measure_frameworks(
    plan: Plan, servers: dict[str, Running], log: Callable[[str], None]
) -> list[dict[str, Any]]:
    """get_book and list_books per framework, loaded as the gateway's REST was."""
    rows = []
    for operation in FRAMEWORK_OPERATIONS:
        for name in FRAMEWORK_SERVERS.values():
            result = measure_load(plan, servers[name], "rest", operation)
            log(_line(servers[name].spec.label, "rest", operation, result))
            rows.append(
                {"server": name, "protocol": "rest", "operation": operation} | result.as_dict()
            )
    return rows


def _line(label: str, protocol: str, operation: str, result: LoadResult) -> str:
    return (
        f"{label:<24} {protocol:<9} {operation:<10} {result.rps:>9.0f} rps  "
        f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  errors {result.errors}  "
        f"server cpu {result.server_cpu:.0%}  driver cpu {result.driver_cpu:.0%}"
    )


def measure_load(plan: Plan, server: Running, protocol: str, operation: str) -> LoadResult:
    if plan.warmup:
        _load(plan, server, protocol, operation, plan.warmup)
    cpu, started = server.cpu_seconds(), time.perf_counter()
    result = _load(plan, server, protocol, operation, plan.seconds)
    result.server_cpu = (server.cpu_seconds() - cpu) / (time.perf_counter() - started)
    return result


_python_isbns: dict[tuple[int, str], Iterator[str]] = {}
_wrk_runs = itertools.count()


def _load(plan: Plan, server: Running, protocol: str, operation: str, seconds: int) -> LoadResult:
    fresh = operation == "add_book"
    isbns = _python_isbns.setdefault((server.port, protocol), payloads.isbns(ISBN_RUNS[protocol]))
    if protocol == "websocket":
        return asyncio.run(
            wsload.run_load(
                HOST,
                server.port,
                lambda ident: payloads.rpc_frame(
                    operation, ident, next(isbns) if fresh else payloads.ISBN
                ),
                plan.connections,
                seconds,
            )
        )
    if plan.driver == "wrk":
        # Each wrk run counts from zero: a new two-digit run number keeps its ISBNs new.
        prefix = f"9798{60 + next(_wrk_runs) % 40:02d}" if fresh else None
        request = payloads.http_request(protocol, operation, "{ISBN}" if fresh else payloads.ISBN)
        return wrk.run_load(HOST, server.port, request, plan.connections, seconds, prefix)
    host = f"{HOST}:{server.port}"
    if fresh:
        make: Callable[[], bytes] = lambda: payloads.http_request(  # noqa: E731
            protocol, operation, next(isbns)
        ).wire(host)
    else:
        fixed = payloads.http_request(protocol, operation).wire(host)
        make = lambda: fixed  # noqa: E731
    return asyncio.run(httpload.run_load(HOST, server.port, make, plan.connections, seconds))


_bytes_isbns = payloads.isbns(ISBN_RUNS["bytes"])


async def measure_bytes(
    servers: dict[str, Running], operations: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One call of each operation on a fresh connection: bytes on the wire and in the body."""
    isbns = _bytes_isbns
    rows = []
    for operation in operations:
        for protocol in payloads.PROTOCOLS:
            for name in (BASELINE_OF[protocol], GATEWAY):
                server = servers[name]
                isbn = next(isbns) if operation == "add_book" else payloads.ISBN
                if protocol == "websocket":
                    frame = payloads.rpc_frame(operation, 1, isbn)
                    sent, received, body = await wsload.ws_exchange(HOST, server.port, frame)
                    request_body = len(frame.encode())
                else:
                    request = payloads.http_request(protocol, operation, isbn)
                    wire = request.wire(f"{HOST}:{server.port}")
                    sent, received, body = await httpload.exchange(HOST, server.port, wire)
                    request_body = len(request.body)
                rows.append(
                    {
                        "server": name,
                        "protocol": protocol,
                        "operation": operation,
                        "request_wire": sent,
                        "response_wire": received,
                        "request_body": request_body,
                        "response_body": len(body),
                        "ok": _answered(protocol, body),
                    }
                )
    return rows


def _answered(protocol: str, body: bytes) -> bool:
    if protocol == "soap":
        return b"Fault>" not in body
    if protocol == "websocket":
        return "result" in json.loads(body)
    return b'"isbn"' in body


def idle_memory(plan: Plan, server: Running) -> dict[str, Any]:
    """RSS growth of the server per open WebSocket connection that does nothing."""

    async def measure() -> dict[str, Any]:
        await asyncio.sleep(plan.settle)
        before = server.rss_bytes()
        sockets = await wsload.open_many(HOST, server.port, plan.idle_connections, _ignore)
        try:
            await asyncio.sleep(plan.settle)  # let the server finish each connection's set-up
            after = server.rss_bytes()
        finally:
            wsload.close_all(sockets)
            await settle(server)
        return {
            "server": server.spec.name,
            "connections": plan.idle_connections,
            "rss_before": before,
            "rss_after": after,
            "bytes_per_connection": (after - before) / plan.idle_connections,
        }

    return asyncio.run(measure())


def _ignore(_ws: Any, _opcode: int, _payload: bytes) -> None:
    pass


async def settle(server: Running, patience: float = 30.0) -> None:
    """Waits until the server is idle again, after thousands of connections closed at once:
    a load run started meanwhile would measure the closing instead."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        await asyncio.sleep(0.2)
        if server.cpu_seconds() - before < 0.02:  # under a tenth of a core
            return


_fanout_isbns = payloads.isbns(ISBN_RUNS["fanout"])


def fan_out(server: Running, subscribers: int) -> dict[str, Any]:
    """One add_book through REST (so every WebSocket slot is a subscriber's) and its event."""

    async def measure() -> dict[str, Any]:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        request = payloads.rest_request("add_book", next(_fanout_isbns))

        cpu: list[float] = []

        def trigger() -> None:
            cpu.append(server.cpu_seconds())
            writer.write(request.wire(f"{HOST}:{server.port}"))

        def delivered() -> None:
            cpu.append(server.cpu_seconds())

        try:
            result = await wsload.fan_out(HOST, server.port, subscribers, trigger, delivered)
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        finally:
            writer.close()
        if not answer.startswith(b"HTTP/1.1 201"):
            raise RuntimeError(f"the fan-out's add_book failed: {answer[:200]!r}")
        # CPU time, unlike the clock, barely moves when other work shares the machine.
        server_cpu_ms = (cpu[1] - cpu[0]) * 1000
        await settle(server)
        return result.__dict__ | {"server": server.spec.name, "server_cpu_ms": server_cpu_ms}

    return asyncio.run(measure())
