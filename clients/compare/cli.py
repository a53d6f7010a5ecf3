"""The `rosetta call` and `rosetta compare` subcommands: their flags, and what each one runs.

The client libraries (httpx, zeep, websockets, matplotlib) are imported when a command runs,
so that `rosetta serve` does not pay for them.

Exit status: 0 done; 1 the gateway cannot be reached or answered an error (call); 2 the
command line is wrong; 3 the protocols' answers differ (compare).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from clients.arguments import operations_help
from services.operations import OPERATIONS

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_RUNS = 20
DEFAULT_FOLDER = "compare-report"
DIFFERENT = 3


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("ROSETTA_URL", DEFAULT_URL),
        help=f"the running gateway (ROSETTA_URL, {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("ROSETTA_API_TOKEN") or None,
        help="API token for changes, if the gateway has one (ROSETTA_API_TOKEN)",
    )


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    _explain(parser, "rosetta call rest get_book isbn=9780132350884 --wire")
    parser.add_argument("protocol", metavar="PROTOCOL", help="rest, soap or websocket (ws)")
    parser.add_argument("operation", metavar="OPERATION", help=", ".join(OPERATIONS))
    parser.add_argument("words", nargs="*", metavar="key=value", help="the operation's input")
    parser.add_argument(
        "--wire", action="store_true", help="also print every byte exchanged, as it crossed"
    )
    parser.add_argument(
        "--wire-max",
        type=int,
        default=4096,
        metavar="BYTES",
        help="show at most this much of each HTTP body (4096; 0 shows all)",
    )
    add_connection_arguments(parser)
    parser.set_defaults(handler=call_command)


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    _explain(parser, "rosetta compare get_book isbn=9780132350884 --runs 5")
    parser.add_argument(
        "words",
        nargs="*",
        metavar="OPERATION [key=value ...]",
        help=f"the operation and its input; one of {', '.join(OPERATIONS)}",
    )
    parser.add_argument(
        "--runs",
        type=_positive,
        default=DEFAULT_RUNS,
        metavar="N",
        help="timed calls per protocol for the latency figures (20)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "markdown", "csv"),
        default="table",
        help="how to print the figures (table)",
    )
    parser.add_argument("--plot", type=_png, metavar="FILE.png", help="also draw a chart")
    parser.add_argument(
        "--all", action="store_true", help="compare every operation into a report folder"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_FOLDER),
        metavar="FOLDER",
        help=f"where --all writes report.md and its charts ({DEFAULT_FOLDER})",
    )
    add_connection_arguments(parser)
    parser.set_defaults(handler=compare_command)


def call_command(args: argparse.Namespace) -> None:
    from clients.compare.call import run_call

    status = run_call(
        args.url.rstrip("/"),
        args.protocol,
        args.operation,
        args.words,
        token=args.token,
        wire=args.wire,
        wire_max=args.wire_max,
    )
    if status:
        raise SystemExit(status)


def compare_command(args: argparse.Namespace) -> None:
    from clients.arguments import ArgumentError, parse_arguments
    from clients.compare.charts import plot
    from clients.compare.measure import CompareError, compare
    from clients.compare.report import render
    from clients.compare.report_folder import ALL_CALLS, write_report
    from clients.compare.results import Comparison
    from clients.compare.scratch import SUPPLIED, ScratchError
    from clients.wire.proxy import WireError

    url = args.url.rstrip("/")
    try:
        if args.all:
            if args.words or args.plot:
                raise ArgumentError("--all compares every operation; give no operation or --plot")
            comparisons: list[Comparison] = []
            for operation, arguments in ALL_CALLS.items():
                # The report shows the clients' weight once: weighing them again for each
                # operation would start nine interpreters per operation for nothing.
                weigh = not comparisons
                comparisons.append(
                    compare(url, operation, arguments, args.runs, args.token, weights=weigh)
                )
                print(f"compared {comparisons[-1].call}", file=sys.stderr)
            print(write_report(args.out, comparisons))
            different = any(not c.equal for c in comparisons)
        else:
            if not args.words:
                raise ArgumentError("name an operation to compare, or use --all")
            operation = args.words[0]
            arguments = parse_arguments(operation, args.words[1:], SUPPLIED.get(operation, ()))
            if operation == "return_book" and "loan_id" in arguments:
                raise ArgumentError("compare returns a scratch loan it makes; give no loan_id")
            comparison = compare(url, operation, arguments, args.runs, args.token)
            print(render(comparison, args.format), end="")
            if args.plot:
                plot(comparison, args.plot)
            different = not comparison.equal
    except ArgumentError as error:
        print(f"rosetta compare: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except (CompareError, ScratchError, WireError, LookupError, OSError) as error:
        print(f"rosetta compare: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    if different:
        raise SystemExit(DIFFERENT)


def _explain(parser: argparse.ArgumentParser, example: str) -> None:
    """--help ends with an example and every operation with its keys."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = f"example:\n  {example}\n\n{operations_help()}"


def _png(text: str) -> Path:
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a .png file name")
    return Path(text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
