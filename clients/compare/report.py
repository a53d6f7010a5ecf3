"""A comparison as rows, and those rows as an aligned table, Markdown, CSV or JSON.

Every format carries the same rows; JSON carries more (every latency sample, the answers).
A dash means "does not apply": REST fetches no WSDL, SOAP makes no WebSocket handshake.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clients.compare.results import Comparison, Flow, Measurement

Value = int | float | str | None
FORMATS = ("table", "json", "markdown", "csv")
NAMES = {
    "rest": "REST",
    "soap": "SOAP",
    "websocket": "WebSocket",
    "fastapi": "FastAPI",
    "flask": "Flask",
    "django": "Django",
    "tornado": "Tornado",
}
NOT_APPLICABLE = "-"
CONTENT = "content both ways, decompressed"
FRAMING = "headers and framing both ways"
WIDTH = 100


@dataclass(frozen=True)
class Row:
    section: str
    metric: str
    values: tuple[Value, ...]  # one per column of the comparison, in its order


def rows(comparison: Comparison) -> list[Row]:
    found: list[Row] = []
    each = list(comparison.measurements.values())

    def add(section: str, metric: str, value: Callable[[Measurement], Value]) -> None:
        found.append(Row(section, metric, tuple(value(m) for m in each)))

    def add_flow(section: str, name: str, flow: Callable[[Measurement], Flow | None]) -> None:
        if all(flow(m) is None for m in each):
            return
        for metric, field in (
            ("round trips", "round_trips"),
            ("bytes sent", "sent"),
            ("bytes received", "received"),
        ):
            values = tuple(_field(flow(m), field) for m in each)
            found.append(Row(section, f"{name}{metric}", values))

    once = "set-up, once per client"
    add(once, "TCP connections opened", lambda m: m.connections)
    add_flow(once, "WSDL fetch: ", lambda m: m.wsdl_fetch)
    add_flow(once, "WebSocket handshake: ", lambda m: m.handshake)
    add_flow(once, "other set-up: ", lambda m: m.other_setup)
    add(once, "compression", lambda m: m.compression)
    first = "first call, after the set-up"
    add_flow(first, "", lambda m: m.first)
    add(first, CONTENT, lambda m: m.first.content)
    add(first, FRAMING, lambda m: m.first.framing)
    together = "set-up and first call together"
    add(together, "round trips", lambda m: m.first_round_trips)
    add(together, "bytes both ways", lambda m: m.first_total)
    repeat = "the same call again, on the warm client"
    add_flow(repeat, "", lambda m: m.repeat)
    add(repeat, CONTENT, lambda m: m.repeat.content)
    add(repeat, FRAMING, lambda m: m.repeat.framing)
    add(repeat, "TCP connections opened", lambda m: m.repeat_connections)
    add("closing the client", "bytes sent", lambda m: m.closing.sent)
    add("closing the client", "bytes received", lambda m: m.closing.received)
    latency = f"latency in ms, {runs(comparison.runs)}"
    add(latency, "first call, set-up included, p50", lambda m: m.cold_p50)
    add(latency, "of which making the client, p50", lambda m: m.making_p50)
    add(latency, "the same call again, p50", lambda m: m.warm_p50)
    add(latency, "the same call again, p95", lambda m: m.warm_p95)
    add("answer", "what came back", lambda m: summary(m.answer))
    columns = comparison.columns
    baseline = columns[0]
    found.append(
        Row(
            "answer",
            f"same domain values as {NAMES[baseline]}",
            tuple(
                "baseline" if p == baseline else ("no" if p in comparison.differences else "yes")
                for p in columns
            ),
        )
    )
    if comparison.weights:
        weights = [comparison.weights[p] for p in columns]
        client = comparison.weighed
        found.append(Row(client, "file", tuple(w.file for w in weights)))
        found.append(Row(client, "lines of code", tuple(w.lines_of_code for w in weights)))
        found.append(
            Row(client, "third-party imports", tuple(" ".join(w.imports) for w in weights))
        )
        found.append(
            Row(client, "installed packages needed", tuple(len(w.packages) for w in weights))
        )
        found.append(Row(client, "import time (ms)", tuple(w.import_ms for w in weights)))
    return found


def render(comparison: Comparison, form: str) -> str:
    if form == "json":
        return json.dumps(comparison.as_dict(), indent=2, default=str) + "\n"
    if form == "csv":
        return as_csv(comparison)
    if form == "markdown":
        return as_markdown(comparison)
    if form == "table":
        return as_table(comparison)
    raise ValueError(f"unknown format {form!r}; choose one of: {', '.join(FORMATS)}")


def title(comparison: Comparison) -> str:
    return f"{comparison.call}: {comparison.subject} compared over {runs(comparison.runs)}"


def runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def notes(comparison: Comparison) -> list[str]:
    said = [
        "Bytes and round trips are counted exactly, on the socket, by a proxy: they change "
        "only when the messages do. Latency is measured without the proxy and varies run to run.",
    ]
    if comparison.scratch:
        said.append(
            "Each run wrote to its own scratch book (a fresh ISBN), removed afterwards; "
            f"masked in the comparison, as they differ by nature: {', '.join(comparison.masked)}."
        )
    return said


def as_table(comparison: Comparison) -> str:
    header = ("", *(NAMES[p] for p in comparison.columns))
    lines = [title(comparison), ""]
    table: list[tuple[str, ...]] = [header]
    section = None
    for row in rows(comparison):
        if row.section != section:
            section = row.section
            table.append((section, *("" for _ in comparison.columns)))
        table.append((f"  {row.metric}", *(_cell(v) for v in row.values)))
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    wrapped = [textwrap.fill(note, WIDTH) for note in notes(comparison)]
    lines += ["", *wrapped, *_differences(comparison, fenced=False)]
    return "\n".join(lines) + "\n"


def as_markdown(comparison: Comparison) -> str:
    lines = [f"### {title(comparison)}", ""]
    columns = comparison.columns
    lines.append("| | " + " | ".join(NAMES[p] for p in columns) + " |")
    lines.append("|---|" + "---:|" * len(columns))
    section = None
    for row in rows(comparison):
        if row.section != section:
            section = row.section
            lines.append(f"| **{section}** |" + " |" * len(columns))
        lines.append(f"| {row.metric} | " + " | ".join(_cell(v) for v in row.values) + " |")
    lines += ["", *notes(comparison), *_differences(comparison, fenced=True)]
    return "\n".join(lines) + "\n"


def as_csv(comparison: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["operation", "section", "metric", *comparison.columns])
    for row in rows(comparison):
        writer.writerow(
            [
                comparison.operation,
                row.section,
                row.metric,
                *("" if v is None else v for v in row.values),
            ]
        )
    return out.getvalue()


def _differences(comparison: Comparison, *, fenced: bool) -> list[str]:
    lines: list[str] = []
    for protocol, diff in comparison.differences.items():
        baseline = NAMES[comparison.columns[0]]
        lines += ["", f"{NAMES[protocol]} answered differently from {baseline}:", ""]
        lines += ["```diff", diff.rstrip("\n"), "```"] if fenced else [diff.rstrip("\n")]
    return lines


def _field(flow: Flow | None, name: str) -> int | None:
    return None if flow is None else int(getattr(flow, name))


def summary(answer: Any) -> str:
    """What an answer was, in a few words: `a book`, `a page of 5 books`, `error not_found`."""
    if answer is None:
        return "nothing"
    if isinstance(answer, list):
        return f"{len(answer)} loans"
    if isinstance(answer, dict):
        if "error" in answer:
            return f"error {answer['error']}"
        if "items" in answer:
            return f"a page of {len(answer['items'])} books"
        return "a loan" if "member" in answer else "a book"
    return type(answer).__name__


def _cell(value: Value) -> str:
    if value is None or value == "":
        return NOT_APPLICABLE
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
