"""The README's "Latest figures", written from bench/results/results.json.

`python -m bench.readme` rewrites the block between its two markers in README.md (`make bench`
runs it after a run); `--check` only says whether the block is what the results give.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.report import cpu_per_call, load_row, verdicts
from bench.run import BASELINE_OF

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "results" / "results.json"
BEGIN = "<!-- begin: written by python -m bench.readme from bench/results/results.json -->"
END = "<!-- end of the figures written by python -m bench.readme -->"


def block(results: dict[str, Any]) -> str:
    m = results["machine"]
    loads = [*m["load_average_before"], *m["load_average_after"]]
    lines = [
        f"From the run in [bench/results/](bench/results/results.md): {m['cores']} cores "
        f"({m['cpu']}, as `/proc/cpuinfo` names it), Linux {m['kernel'].split('-')[0]}, "
        f"Python {m['python']}, {m['pinning']}, {m['date']}. The load average around the run "
        f"went from {min(loads):.1f} to {max(loads):.1f}: where other processes share the "
        "machine, absolute figures are low and noisy, and the CPU time per call, which "
        "contention barely moves, is the steadier figure.",
        "",
        "| target | measured | goal | status |",
        "|---|---|---|---|",
        *(
            f"| {name} | {measured} | {goal} | {status} |"
            for name, measured, goal, status, _margin in (
                v.row() for v in verdicts(results, BASELINE_OF)
            )
        ),
        "",
        "| get_book | baseline rps | gateway rps | service alone, CPU µs per call "
        "| CPU µs per call, baseline / gateway |",
        "|---|---|---|---|---|",
    ]
    for protocol, baseline in BASELINE_OF.items():
        base = load_row(results, baseline, protocol, "get_book")
        gate = load_row(results, "gateway", protocol, "get_book")
        name = {"rest": "REST", "soap": "SOAP", "websocket": "WebSocket"}[protocol]
        lines.append(
            f"| {name} | {base['rps']:.0f} | {gate['rps']:.0f} "
            f"| {results['floor']['get_book']:.0f} "
            f"| {cpu_per_call(base):.0f} / {cpu_per_call(gate):.0f} |"
        )
    rest_baseline = load_row(results, BASELINE_OF["rest"], "rest", "get_book")
    floor = results["floor"]["get_book"]
    lines += [
        "",
        f"The service alone costs {floor:.0f} µs of CPU per get_book, and naive FastAPI "
        f"{cpu_per_call(rest_baseline):.0f} µs in all: a gateway whose REST work cost nothing "
        f"would reach {cpu_per_call(rest_baseline) / floor:.2f}x of it, the ceiling of the REST "
        "ratio over this service.",
    ]
    return "\n".join(lines)


def updated(readme: str, results: dict[str, Any]) -> str:
    before, rest = readme.split(BEGIN, 1)
    _old, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{block(results)}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.readme", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; 1 if out of date")
    args = parser.parse_args(argv)
    readme = README.read_text()
    wanted = updated(readme, json.loads(RESULTS.read_text()))
    if args.check:
        if wanted != readme:
            print("README.md differs from bench/results/results.json: run python -m bench.readme")
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
