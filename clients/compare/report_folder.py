"""`rosetta compare --all`: every operation compared, written as report.md with its charts.

Each operation runs with arguments that work on the sample catalogue; the writes run on
scratch books as always, so the sample books are as they were when the report is done.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from clients.compare.charts import plot, plot_overview
from clients.compare.report import NAMES, as_markdown, notes
from clients.compare.results import PROTOCOLS, Comparison

SAMPLE_ISBN = "9780132350884"
OVERVIEW_NOTE = (
    "Bytes: the first call after the set-up, both ways. Latency: the p50 of the same call "
    "again on a warm client. Each operation's section has the rest."
)
# Arguments that make each operation meaningful against the sample books.
ALL_CALLS: dict[str, dict[str, Any]] = {
    "list_books": {"q": "design", "limit": 5},
    "get_book": {"isbn": SAMPLE_ISBN},
    "add_book": {},
    "update_book": {"isbn": SAMPLE_ISBN, "price": "41.00", "tags": ["craft", "classic"]},
    "remove_book": {"isbn": SAMPLE_ISBN},
    "borrow_book": {"isbn": SAMPLE_ISBN, "member": "ada"},
    "return_book": {},
    "list_loans": {"open_only": True},
    "get_loan": {},
}


def write_report(folder: Path, comparisons: list[Comparison]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# REST, SOAP and WebSocket, operation by operation", ""]
    if comparisons:
        lines += [*notes(comparisons[0])[:1], ""]
    plot_overview(comparisons, folder / "overview.png")
    lines += ["![Bytes of one call, every operation](overview.png)", ""]
    lines += _overview_table(comparisons)
    weights = comparisons[0].weights if comparisons else {}
    if weights:
        lines += ["", "## The clients", ""]
        lines += ["| | " + " | ".join(NAMES[p] for p in PROTOCOLS) + " |"]
        lines += ["|---|" + "---:|" * len(PROTOCOLS)]
        for label, value in (
            ("file", lambda p: weights[p].file),
            ("lines of code", lambda p: weights[p].lines_of_code),
            ("third-party imports", lambda p: " ".join(weights[p].imports) or "-"),
            ("installed packages needed", lambda p: ", ".join(weights[p].packages) or "-"),
            ("import time (ms)", lambda p: weights[p].import_ms),
        ):
            lines.append(f"| {label} | " + " | ".join(str(value(p)) for p in PROTOCOLS) + " |")
    for comparison in comparisons:
        chart = f"compare-{comparison.operation}.png"
        plot(comparison, folder / chart)
        lines += ["", f"## {comparison.operation}", ""]
        lines += [f"![{comparison.call}]({chart})", ""]
        # The clients' weight is the same for every operation: shown once, above.
        lines.append(as_markdown(dataclasses.replace(comparison, weights={})).rstrip("\n"))
    report = folder / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report


def _overview_table(comparisons: list[Comparison]) -> list[str]:
    lines = [
        "| operation | "
        + " | ".join(f"{NAMES[p]} bytes | {NAMES[p]} ms" for p in PROTOCOLS)
        + " | same answer |",
        "|---|" + "---:|---:|" * len(PROTOCOLS) + "---|",
    ]
    for c in comparisons:
        cells = []
        for p in PROTOCOLS:
            m = c.measurements[p]
            cells += [str(m.first.both_ways), f"{m.warm_p50:.1f}"]
        lines.append(f"| {c.call} | " + " | ".join(cells) + f" | {'yes' if c.equal else 'no'} |")
    lines += ["", OVERVIEW_NOTE]
    return lines
