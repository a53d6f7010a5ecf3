"""Charts of a comparison that fit a slide: 16:9, large type, one colour per protocol.

Drawn on a bare matplotlib Figure (the Agg canvas), so no GUI and no global pyplot state.
Bytes and latency span orders of magnitude (a WSDL against a compressed frame), so those
axes are logarithmic and every bar carries its value.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from clients.compare.report import NAMES, runs
from clients.compare.results import PROTOCOLS, Comparison

COLOURS = {
    "rest": "#1f77b4",
    "soap": "#d62728",
    "websocket": "#2ca02c",
    "fastapi": "#009688",
    "flask": "#444444",
    "django": "#0c4b33",
    "tornado": "#e8a33d",
}
SIZE = (16, 9)
DPI = 120  # 1920 x 1080 pixels
TITLE = 26
LABEL = 18
VALUE = 13


def plot(comparison: Comparison, path: Path) -> Path:
    figure = Figure(figsize=SIZE, dpi=DPI)
    # Fixed margins rather than a layout engine: the same slide every time, drawn in one pass.
    figure.subplots_adjust(left=0.06, right=0.98, top=0.84, bottom=0.17, wspace=0.25)
    figure.suptitle(comparison.call, fontsize=TITLE, fontweight="bold")
    bytes_axes, trips_axes, latency_axes = figure.subplots(
        1, 3, gridspec_kw={"width_ratios": [3, 2, 3]}
    )
    m = comparison.measurements
    columns = comparison.columns
    _bars(
        bytes_axes,
        "Bytes on the wire, both ways",
        ["set-up and\nfirst call", "first call\nalone", "same call\nagain"],
        {p: [m[p].first_total, m[p].first.both_ways, m[p].repeat.both_ways] for p in columns},
        log=True,
        integer=True,
    )
    _bars(
        trips_axes,
        "Round trips",
        ["set-up and\nfirst call", "same call\nagain"],
        {p: [m[p].first_round_trips, m[p].repeat.round_trips] for p in columns},
        log=False,
        integer=True,
    )
    _bars(
        latency_axes,
        f"Latency in ms, {runs(comparison.runs)}",
        ["set-up and\nfirst call, p50", "same call\nagain, p50", "same call\nagain, p95"],
        {p: [m[p].cold_p50, m[p].warm_p50, m[p].warm_p95] for p in columns},
        log=False,
        integer=False,
    )
    handles = [bar for bar in bytes_axes.containers]
    figure.legend(
        handles,
        [NAMES[p] for p in columns],
        loc="lower center",
        ncols=len(columns),
        fontsize=LABEL,
        frameon=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def plot_overview(comparisons: Sequence[Comparison], path: Path) -> Path:
    """Every operation side by side: bytes of its first call after the set-up, per protocol.

    The first call, not a repeat: a repeat of the same message costs WebSocket almost nothing
    once permessage-deflate remembers it, which says more about repetition than about calls.
    """
    figure = Figure(figsize=SIZE, dpi=DPI)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.16)
    figure.suptitle(
        "Bytes of one call, both ways, set-up excluded", fontsize=TITLE, fontweight="bold"
    )
    axes = figure.subplots()
    _bars(
        axes,
        "",
        [c.operation.replace("_", " ") for c in comparisons],
        {p: [c.measurements[p].first.both_ways for c in comparisons] for p in PROTOCOLS},
        log=True,
        integer=True,
    )
    figure.legend(
        [NAMES[p] for p in PROTOCOLS],
        loc="lower center",
        ncols=len(PROTOCOLS),
        fontsize=LABEL,
        frameon=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def _bars(
    axes: Axes,
    heading: str,
    groups: list[str],
    values: dict[str, list[float] | list[int]],
    *,
    log: bool,
    integer: bool,
) -> None:
    columns = list(values)
    width = 0.8 / len(columns)
    for index, protocol in enumerate(columns):
        offsets = [g + (index - (len(columns) - 1) / 2) * width for g in range(len(groups))]
        heights = list(values[protocol])
        bars = axes.bar(offsets, heights, width, color=COLOURS[protocol], label=NAMES[protocol])
        labels = [f"{h:.0f}" if integer else f"{h:.1f}" for h in heights]
        axes.bar_label(bars, labels, fontsize=VALUE, padding=2)
    if heading:
        axes.set_title(heading, fontsize=LABEL + 2)
    axes.set_xticks(range(len(groups)), groups, fontsize=LABEL - 2)
    axes.tick_params(axis="y", labelsize=VALUE)
    if log:
        axes.set_yscale("log")
        axes.margins(y=0.15)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.yaxis.set_minor_formatter(NullFormatter())
    else:
        axes.set_ylim(0, max(max(v) for v in values.values()) * 1.2 + 0.5)
        axes.yaxis.set_major_locator(MaxNLocator(integer=integer))
    axes.spines[["top", "right"]].set_visible(False)
