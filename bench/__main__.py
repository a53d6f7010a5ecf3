"""`python -m bench`: the gateway and the bare stacks under the same load, side by side.

`--quick` runs every measurement with tiny loads in seconds: a check of the harness, not
figures. Results go to bench/results/ (quick mode: a temporary folder unless --results).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import output
from bench.report import (
    FRAMEWORK_HEADER,
    TARGET_HEADER,
    THROUGHPUT_HEADER,
    framework_rows,
    text_table,
    throughput_rows,
    verdicts,
)
from bench.run import BASELINE_OF, FRAMEWORK_SERVERS, Plan, execute

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny loads: check the harness")
    parser.add_argument(
        "--driver",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP load generator: wrk where installed (auto), or the Python driver",
    )
    parser.add_argument("--results", type=Path, help="folder for results.md, .json and charts")
    args = parser.parse_args(argv)
    plan = Plan.make(args.quick, args.driver)
    if plan.driver == "python":
        print("wrk not used: HTTP load comes from the Python driver (bench/httpload.py)")
    results = execute(plan)
    folder = args.results or (
        Path(tempfile.mkdtemp(prefix="rosetta-bench-quick-")) if args.quick else RESULTS
    )
    written = output.write(results, BASELINE_OF, folder)
    print()
    print(text_table(THROUGHPUT_HEADER, throughput_rows(results, BASELINE_OF)))
    print()
    print("The REST contract in four frameworks, same service, same load:")
    print(text_table(FRAMEWORK_HEADER, framework_rows(results, FRAMEWORK_SERVERS)))
    print()
    found = verdicts(results, BASELINE_OF)
    print(text_table([*TARGET_HEADER, "note"], [[*v.row(), v.note] for v in found]))
    print()
    print("written:", ", ".join(str(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
