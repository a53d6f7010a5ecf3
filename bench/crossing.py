"""A change made on one gateway instance, reaching a subscriber of another instance.

Two gateway processes share one throwaway PostgreSQL database (tests/postgres.py: initdb in a
temporary folder). A WebSocket subscriber on instance A waits for each event while instance B
is sent one change at a time through REST; the latency is the event's arrival at the
subscriber minus the moment the change was sent, so it includes B's own commit. Without
`initdb` (or as root without a `postgres` account) nothing is measured, and the results say
why.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bench.measure import percentile
from bench.servers import HOST, ServerSpec, running

TARGET_P99_MS = 50.0
EVENT_WAIT = 10.0  # seconds one event may take before it counts as lost
ISBN = "9780132350884"  # a sample book, updated over and over


def instance_specs(db_url: str) -> list[ServerSpec]:
    argv = ("-m", "gateway", "--host", HOST, "--log-level", "warning", "--db", db_url)
    return [
        ServerSpec(name, f"gateway {name}", argv, "/healthz", has_storage=False)
        for name in ("instance_a", "instance_b")
    ]


def measure(
    changes: int, scratch: Path, server_cores: set[int] | None, log: Callable[[str], None]
) -> dict[str, Any]:
    """{"changes", "received", "p50_ms", "p99_ms"}, or {"skipped": why} without PostgreSQL."""
    from tests.postgres import create_database, postgres_server, why_unavailable

    why = why_unavailable()
    if why is not None:
        log(f"cross-instance latency not measured: {why}")
        return {"skipped": why}
    with postgres_server() as server:
        specs = instance_specs(create_database(server))
        with running(specs, scratch, server_cores) as servers:
            a, b = (servers[spec.name].port for spec in specs)
            latencies = asyncio.run(_latencies(a, b, changes))
    found = sorted(latencies)
    result = {
        "changes": changes,
        "received": len(found),
        "p50_ms": percentile(found, 0.5) * 1000 if found else float("nan"),
        "p99_ms": percentile(found, 0.99) * 1000 if found else float("nan"),
    }
    log(
        f"cross-instance: {result['received']}/{changes} events, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
    )
    return result


async def _latencies(subscriber_port: int, changer_port: int, changes: int) -> list[float]:
    """Seconds from each change sent to B until its event reached A's subscriber."""
    found: list[float] = []
    async with (
        connect(f"ws://{HOST}:{subscriber_port}/ws", compression=None) as ws,
        httpx.AsyncClient(base_url=f"http://{HOST}:{changer_port}/rest") as rest,
    ):
        call = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"events": ["*"]}}
        await ws.send(json.dumps(call))
        await ws.recv()  # the subscription's answer
        for change in range(changes):
            sent = time.perf_counter()
            answer = await rest.patch(f"/books/{ISBN}", json={"copies": 5 + change % 2})
            answer.raise_for_status()
            version = answer.json()["version"]
            try:
                await asyncio.wait_for(_event_of(ws, version), EVENT_WAIT)
            except TimeoutError:
                continue  # lost: counted by what is missing from `received`
            found.append(time.perf_counter() - sent)
    return found


async def _event_of(ws: Any, version: int) -> None:
    """Returns when the event of the book's update to `version` arrives."""
    while True:
        message = json.loads(await ws.recv())
        params = message.get("params") or {}
        data = params.get("data") or {}
        if data.get("isbn") == ISBN and data.get("version") == version:
            return
