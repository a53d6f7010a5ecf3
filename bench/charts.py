"""PNG charts of one run, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen before pyplot loads

from bench.payloads import OPERATIONS, PROTOCOLS
from bench.report import load_row

COLOURS = {"baseline": "#9e9e9e", "gateway": "#1f77b4"}


def draw_all(results: dict[str, Any], baselines: dict[str, str], folder: Path) -> list[Path]:
    return [
        _bars(results, baselines, folder / "throughput.png", "rps", "requests per second"),
        _bars(results, baselines, folder / "latency_p50.png", "p50_ms", "p50 latency (ms)"),
        _bars(results, baselines, folder / "latency_p99.png", "p99_ms", "p99 latency (ms)"),
        _bytes(results, folder / "bytes.png"),
    ]


def _bars(
    results: dict[str, Any], baselines: dict[str, str], path: Path, key: str, title: str
) -> Path:
    figure, axes = plt.subplots(1, len(PROTOCOLS), figsize=(12, 4), sharey=False)
    for ax, protocol in zip(axes, PROTOCOLS, strict=True):
        base = [load_row(results, baselines[protocol], protocol, op)[key] for op in OPERATIONS]
        gate = [load_row(results, "gateway", protocol, op)[key] for op in OPERATIONS]
        positions = range(len(OPERATIONS))
        ax.bar(
            [p - 0.2 for p in positions],
            base,
            0.4,
            color=COLOURS["baseline"],
            label=results["labels"][baselines[protocol]],
        )
        ax.bar([p + 0.2 for p in positions], gate, 0.4, color=COLOURS["gateway"], label="gateway")
        ax.set_xticks(list(positions), OPERATIONS)
        ax.set_title(protocol)
        ax.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _bytes(results: dict[str, Any], path: Path) -> Path:
    rows = [b for b in results["bytes"] if b["server"] == "gateway"]
    labels = [f"{b['protocol']}\n{b['operation']}" for b in rows]
    figure, ax = plt.subplots(figsize=(12, 4))
    positions = range(len(rows))
    ax.bar(
        [p - 0.2 for p in positions],
        [b["request_wire"] for b in rows],
        0.4,
        label="request",
        color="#ff7f0e",
    )
    ax.bar(
        [p + 0.2 for p in positions],
        [b["response_wire"] for b in rows],
        0.4,
        label="response",
        color="#2ca02c",
    )
    ax.set_xticks(list(positions), labels, fontsize=8)
    ax.set_ylabel("bytes on the wire")
    ax.set_title("bytes per call through the gateway (HTTP headers and WebSocket framing included)")
    ax.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
