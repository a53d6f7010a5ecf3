"""Ratios against their targets, and the results as a terminal table and as Markdown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.payloads import OPERATIONS, PROTOCOLS
from bench.run import LIMIT_OF, LIMIT_OPERATION

DRIVER_BOUND = 0.9  # a load generator this busy may be measuring itself


@dataclass(frozen=True)
class Verdict:
    name: str
    measured: float
    goal: float
    unit: str
    higher_is_better: bool
    note: str = ""

    @property
    def met(self) -> bool:
        if math.isnan(self.measured):
            return False
        return self.measured >= self.goal if self.higher_is_better else self.measured < self.goal

    @property
    def margin(self) -> str:
        """How far from the goal, as a share of it: + is better than the goal."""
        if math.isnan(self.measured) or self.goal == 0:
            return "n/a"
        gap = (self.measured - self.goal) / self.goal
        return f"{gap if self.higher_is_better else -gap:+.0%}"

    def row(self) -> list[str]:
        goal = f"{'>=' if self.higher_is_better else '<'} {_number(self.goal)}{self.unit}"
        status = "met" if self.met else "MISSED"
        return [self.name, f"{_number(self.measured)}{self.unit}", goal, status, self.margin]


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def load_row(results: dict[str, Any], server: str, protocol: str, op: str) -> dict[str, Any]:
    for row in results["load"]:
        if (row["server"], row["protocol"], row["operation"]) == (server, protocol, op):
            return row  # type: ignore[no-any-return]
    raise KeyError((server, protocol, op))


def ratio(results: dict[str, Any], protocol: str, op: str, baseline: str) -> float:
    gateway = load_row(results, "gateway", protocol, op)["rps"]
    base = load_row(results, baseline, protocol, op)["rps"]
    return float(gateway / base) if base else math.nan


def cpu_per_call(row: dict[str, Any]) -> float:
    """Server CPU microseconds per call: its share of a core over its calls per second."""
    return float(row["server_cpu"] / row["rps"] * 1e6) if row["rps"] else math.nan


def ceiling(results: dict[str, Any], protocol: str, op: str, baseline: str) -> float:
    """The ratio a gateway whose protocol work cost nothing would reach: the baseline's CPU
    per call over the service's own (bench.floor). Past it, only a faster service helps."""
    floor = float(results["floor"].get(op, math.nan))
    return cpu_per_call(load_row(results, baseline, protocol, op)) / floor


def cpu_ratio(results: dict[str, Any], protocol: str, op: str, baseline: str) -> float:
    """The ratio by CPU per call: steadier than throughput when other work shares the cores."""
    gateway = cpu_per_call(load_row(results, "gateway", protocol, op))
    return cpu_per_call(load_row(results, baseline, protocol, op)) / gateway


def _ceiling_note(results: dict[str, Any], protocol: str, baseline: str) -> str:
    by_cpu = cpu_ratio(results, protocol, "get_book", baseline)
    return f"by CPU per call {by_cpu:.2f}x; " + (
        f"ceiling with free protocol work: {ceiling(results, protocol, 'get_book', baseline):.2f}x"
    )


def verdicts(results: dict[str, Any], baselines: dict[str, str]) -> list[Verdict]:
    labels = results["labels"]
    soap_note = _ceiling_note(results, "soap", baselines["soap"])
    if results["machine"]["soap_baseline_server"] != "bjoern":
        soap_note += "; the baseline is not bjoern: not comparable with the target"
    found = [
        Verdict(
            f"SOAP get_book: gateway / {labels[baselines['soap']]}",
            ratio(results, "soap", "get_book", baselines["soap"]),
            1.0,
            "x",
            True,
            soap_note,
        ),
        Verdict(
            f"REST get_book: gateway / {labels[baselines['rest']]}",
            ratio(results, "rest", "get_book", baselines["rest"]),
            1.5,
            "x",
            True,
            _ceiling_note(results, "rest", baselines["rest"]),
        ),
        Verdict(
            f"WebSocket get_book: gateway / {labels[baselines['websocket']]}",
            ratio(results, "websocket", "get_book", baselines["websocket"]),
            0.85,
            "x",
            True,
            _ceiling_note(results, "websocket", baselines["websocket"]),
        ),
    ]
    if results["fanout"]:
        largest = max(results["fanout"], key=lambda f: f["subscribers"])
        missing = largest["subscribers"] - largest["received"]
        found.append(
            Verdict(
                f"one event to {largest['subscribers']:,} subscribers",
                largest["last_ms"] if missing == 0 else math.nan,
                250.0,
                " ms",
                False,
                f"{missing} subscribers never got it" if missing else "",
            )
        )
    found += limit_verdicts(results)
    found += floor_verdicts(results)
    gateway_idle = [i for i in results["idle"] if i["server"] == "gateway"]
    if gateway_idle:
        found.append(
            Verdict(
                "memory per idle WebSocket connection",
                gateway_idle[0]["bytes_per_connection"] / 1024,
                50.0,
                " KiB",
                False,
            )
        )
    return found


# The least each protocol's gateway get_book should reach of a server that answers the same
# bytes doing no work (bench/baselines/raw_asgi.py, bench/baselines/bare_frame.py).
LIMIT_TARGETS = {"rest": 0.12, "soap": 0.04, "websocket": 0.25}
FLOOR_TARGET = 3.0  # the service alone over the bare driver running the same SQL


def limit_verdicts(results: dict[str, Any]) -> list[Verdict]:
    found = []
    for protocol, goal in LIMIT_TARGETS.items():
        try:
            measured = ratio(results, protocol, LIMIT_OPERATION, LIMIT_OF[protocol])
        except KeyError:
            continue  # results of a run made before the limit servers existed
        label = results["labels"][LIMIT_OF[protocol]]
        found.append(
            Verdict(f"{protocol} {LIMIT_OPERATION}: gateway / {label}", measured, goal, "x", True)
        )
    return found


def floor_verdicts(results: dict[str, Any]) -> list[Verdict]:
    driver = results.get("driver_floor", {})
    return [
        Verdict(
            f"{op}: service alone / bare driver, SQLite (CPU per call)",
            float(results["floor"].get(op, math.nan)) / driver[op],
            FLOOR_TARGET,
            "x",
            False,
            f"{results['floor'].get(op, math.nan):.0f} / {driver[op]:.0f} us",
        )
        for op in OPERATIONS
        if op in driver
    ]


def load_notes(row: dict[str, Any]) -> str:
    notes = []
    if row["errors"]:
        notes.append(f"{row['errors']} errors")
    if row["driver_cpu"] >= DRIVER_BOUND:
        notes.append(f"load generator at {row['driver_cpu']:.0%} of its core")
    return "; ".join(notes)


def throughput_rows(results: dict[str, Any], baselines: dict[str, str]) -> list[list[str]]:
    rows = []
    for protocol in PROTOCOLS:
        for op in OPERATIONS:
            base = load_row(results, baselines[protocol], protocol, op)
            gate = load_row(results, "gateway", protocol, op)
            notes = "; ".join(n for n in (load_notes(base), load_notes(gate)) if n)
            rows.append(
                [
                    protocol,
                    op,
                    f"{base['rps']:.0f}",
                    f"{base['p50_ms']:.2f} / {base['p99_ms']:.2f}",
                    f"{gate['rps']:.0f}",
                    f"{gate['p50_ms']:.2f} / {gate['p99_ms']:.2f}",
                    f"{ratio(results, protocol, op, baselines[protocol]):.2f}x",
                    f"{results['floor'].get(op, math.nan):.0f}",
                    f"{cpu_per_call(base):.0f} / {cpu_per_call(gate):.0f}",
                    notes,
                ]
            )
    return rows


THROUGHPUT_HEADER = [
    "protocol",
    "operation",
    "baseline rps",
    "baseline p50 / p99 ms",
    "gateway rps",
    "gateway p50 / p99 ms",
    "gateway / baseline",
    "service alone, CPU us",
    "CPU us per call, baseline / gateway",
    "notes",
]
TARGET_HEADER = ["target", "measured", "goal", "status", "margin"]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def bytes_rows(results: dict[str, Any]) -> list[list[str]]:
    return [
        [
            results["labels"][b["server"]],
            b["protocol"],
            b["operation"],
            str(b["request_wire"]),
            str(b["response_wire"]),
            str(b["request_body"]),
            str(b["response_body"]),
            "" if b["ok"] else "answered with an error",
        ]
        for b in results["bytes"]
    ]


BYTES_HEADER = [
    "server",
    "protocol",
    "operation",
    "request on the wire",
    "response on the wire",
    "request body",
    "response body",
    "notes",
]


FRAMEWORK_HEADER = ["operation", "framework", "rps", "p50 / p99 ms", "CPU us per call", "notes"]


def framework_rows(results: dict[str, Any], servers: dict[str, str]) -> list[list[str]]:
    """get_book and list_books per framework, the gateway's FastAPI adapter first."""
    rows = []
    for op in sorted({row["operation"] for row in results.get("frameworks", [])}):
        named = {"fastapi (the gateway)": load_row(results, "gateway", "rest", op)}
        for framework, server in servers.items():
            named[framework] = next(
                row
                for row in results["frameworks"]
                if row["server"] == server and row["operation"] == op
            )
        for framework, row in named.items():
            rows.append(
                [
                    op,
                    framework,
                    f"{row['rps']:.0f}",
                    f"{row['p50_ms']:.2f} / {row['p99_ms']:.2f}",
                    f"{cpu_per_call(row):.0f}",
                    load_notes(row),
                ]
            )
    return rows
