"""Ratios against their targets, and the results as a terminal table and as Markdown."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.crossing import TARGET_P99_MS
from bench.payloads import OPERATIONS, PROTOCOLS
from bench.run import LIMIT_OF, LIMIT_OPERATION

DRIVER_BOUND = 0.9  # a load generator this busy may be measuring itself
# A throughput ratio is judged only on runs whose calls nearly all succeeded: a server that
# fails more calls than this is not compared, whatever its speed.
ERROR_BOUND = 0.01


@dataclass(frozen=True)
class Verdict:
    name: str
    measured: float
    goal: float
    unit: str
    higher_is_better: bool
    note: str = ""
    error_share: float = 0.0  # the largest share of failed calls among the runs measured
    skipped: bool = False  # not measured on this machine; `note` says why

    @property
    def too_many_errors(self) -> bool:
        return not self.error_share <= ERROR_BOUND  # NaN (no call ended) fails too

    @property
    def met(self) -> bool:
        if math.isnan(self.measured) or self.too_many_errors:
            return False
        return self.measured >= self.goal if self.higher_is_better else self.measured < self.goal

    @property
    def status(self) -> str:
        if self.skipped:
            return "not measured"
        if self.too_many_errors:
            why = (
                "no call ended"
                if math.isnan(self.error_share)
                else f"{self.error_share:.1%} of calls failed"
            )
            return f"MISSED: {why} (bound {ERROR_BOUND:.0%})"
        return "met" if self.met else "MISSED"

    @property
    def margin(self) -> str:
        """How far from the goal, as a share of it: + is better than the goal."""
        if math.isnan(self.measured) or self.goal == 0:
            return "n/a"
        gap = (self.measured - self.goal) / self.goal
        return f"{gap if self.higher_is_better else -gap:+.0%}"

    def row(self) -> list[str]:
        goal = f"{'>=' if self.higher_is_better else '<'} {_number(self.goal)}{self.unit}"
        measured = _number(self.measured) + ("" if math.isnan(self.measured) else self.unit)
        return [self.name, measured, goal, self.status, self.margin]


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def load_row(results: dict[str, Any], server: str, protocol: str, op: str) -> dict[str, Any]:
    for row in results["load"]:
        if (row["server"], row["protocol"], row["operation"]) == (server, protocol, op):
            # Runs made before error shares were recorded counted every answer as a request.
            share = row["errors"] / row["requests"] if row["requests"] else math.nan
            return {"error_share": share, **row}
    raise KeyError((server, protocol, op))


def ratio(results: dict[str, Any], protocol: str, op: str, baseline: str) -> float:
    """Gateway over baseline, in successful answers per second (LoadResult.rps)."""
    gateway = load_row(results, "gateway", protocol, op)["rps"]
    base = load_row(results, baseline, protocol, op)["rps"]
    return float(gateway / base) if base else math.nan


def error_share(results: dict[str, Any], protocol: str, op: str, baseline: str) -> float:
    """The larger share of failed calls of the two runs a ratio compares: errors on either
    side make it meaningless (a baseline that fails looks slow)."""
    shares = [
        float(load_row(results, server, protocol, op)["error_share"])
        for server in ("gateway", baseline)
    ]
    return math.nan if any(math.isnan(s) for s in shares) else max(shares)


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


def _ceiling_note(results: dict[str, Any], protocol: str, op: str, baseline: str) -> str:
    by_cpu = cpu_ratio(results, protocol, op, baseline)
    return f"by CPU per call {by_cpu:.2f}x; " + (
        f"ceiling with free protocol work: {ceiling(results, protocol, op, baseline):.2f}x"
    )


# The throughput targets: (protocol, operations judged, goal as gateway / baseline). The
# WebSocket goal holds for every operation measured, not only for the cheapest one.
RATIO_TARGETS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("soap", ("get_book",), 1.0),
    ("rest", ("get_book",), 1.5),
    ("websocket", OPERATIONS, 0.85),
)
PROTOCOL_NAMES = {"soap": "SOAP", "rest": "REST", "websocket": "WebSocket"}


def _ratio_verdict(
    results: dict[str, Any], protocol: str, op: str, goal: float, baseline: str
) -> Verdict:
    note = _ceiling_note(results, protocol, op, baseline)
    if protocol == "soap" and results["machine"]["soap_baseline_server"] != "bjoern":
        note += "; the baseline is not bjoern: not comparable with the target"
    return Verdict(
        f"{PROTOCOL_NAMES[protocol]} {op}: gateway / {results['labels'][baseline]}",
        ratio(results, protocol, op, baseline),
        goal,
        "x",
        True,
        note,
        error_share(results, protocol, op, baseline),
    )


def verdicts(results: dict[str, Any], baselines: dict[str, str]) -> list[Verdict]:
    found = [
        _ratio_verdict(results, protocol, op, goal, baselines[protocol])
        for protocol, operations, goal in RATIO_TARGETS
        for op in operations
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
    found += crossing_verdicts(results)
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
            Verdict(
                f"{PROTOCOL_NAMES[protocol]} {LIMIT_OPERATION}: gateway / {label}",
                measured,
                goal,
                "x",
                True,
                error_share=error_share(results, protocol, LIMIT_OPERATION, LIMIT_OF[protocol]),
            )
        )
    return found


CROSSING_NAME = "a change on one instance reaches a subscriber of another instance, p99"


def crossing_verdicts(results: dict[str, Any]) -> list[Verdict]:
    """The cross-instance latency on PostgreSQL (bench/crossing.py), when it was measured."""
    found = results.get("crossing")
    if found is None:
        return []  # results of a run made before the measurement existed
    if "skipped" in found:
        note = f"needs PostgreSQL: {found['skipped']}"
        return [Verdict(CROSSING_NAME, math.nan, TARGET_P99_MS, " ms", False, note, skipped=True)]
    missing = found["changes"] - found["received"]
    note = f"p50 {found['p50_ms']:.1f} ms over {found['changes']} changes"
    if missing:
        note += f"; {missing} events never arrived"
    return [
        Verdict(
            CROSSING_NAME,
            math.nan if missing else found["p99_ms"],
            TARGET_P99_MS,
            " ms",
            False,
            note,
        )
    ]


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
