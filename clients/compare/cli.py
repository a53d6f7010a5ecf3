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
        "--representations",
        action="store_true",
        help="instead, one REST read in every format (JSON, XML, HTML, text): bytes and equality",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_FOLDER),
        metavar="FOLDER",
        help=f"where --all writes report.md and its charts ({DEFAULT_FOLDER})",
    )
    parser.add_argument(
        "--frameworks",
        action="store_true",
        help="compare the REST call across FastAPI, Flask, Django and Tornado instead",
    )
    parser.add_argument(
        "--framework-url",
        action="append",
        default=[],
        type=_named_url,
        metavar="NAME=URL",
        help="with --frameworks: a framework already serving there (each one not named is "
        "started on a free port)",
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
    import httpx

    from clients.arguments import ArgumentError, parse_arguments
    from clients.compare.charts import plot
    from clients.compare.measure import CompareError, check_gateway, compare
    from clients.compare.mistakes import CommandLineMistake
    from clients.compare.report import render
    from clients.compare.report_folder import ALL_CALLS, write_report
    from clients.compare.representations import compare_representations
    from clients.compare.representations import render as render_representations
    from clients.compare.results import Comparison
    from clients.compare.scratch import SUPPLIED, ScratchError
    from clients.compare.servers import ServerError
    from clients.interface import RemoteError
    from clients.wire.proxy import WireError

    url = args.url.rstrip("/")
    try:
        if args.frameworks:
            different = compare_frameworks_command(args)
        elif args.all:
            if args.words or args.plot or args.representations:
                raise ArgumentError(
                    "--all compares every operation; give no operation, --plot or --representations"
                )
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
            if args.representations:
                check_gateway(url)
                found = compare_representations(url, args.words[0], arguments)
                print(render_representations(found), end="")
                different = not found.equal
            else:
                if args.words[0] == "return_book" and "loan_id" in arguments:
                    raise ArgumentError("compare returns a scratch loan it makes; give no loan_id")
                comparison = compare(url, args.words[0], arguments, args.runs, args.token)
                print(render(comparison, args.format), end="")
                if args.plot:
                    plot(comparison, args.plot)
                different = not comparison.equal
    except (ArgumentError, CommandLineMistake) as error:
        print(f"rosetta compare: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except (CompareError, ScratchError, WireError, ServerError, LookupError, OSError) as error:
        print(f"rosetta compare: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    except (RemoteError, httpx.HTTPError) as error:  # from --representations' REST reads
        print(f"rosetta compare: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    if different:
        raise SystemExit(DIFFERENT)


def compare_frameworks_command(args: argparse.Namespace) -> bool:
    """Prints the comparison across the four frameworks; True when their answers differ."""
    from clients.arguments import ArgumentError, parse_arguments
    from clients.compare.charts import plot
    from clients.compare.frameworks import compare_frameworks, framework_urls
    from clients.compare.report import render

    if args.all or not args.words:
        raise ArgumentError("--frameworks compares one operation: name it, without --all")
    arguments = parse_arguments(args.words[0], args.words[1:])
    if args.words[0] == "return_book" and "loan_id" in arguments:
        raise ArgumentError("compare returns a scratch loan it makes; give no loan_id")
    with framework_urls(dict(args.framework_url)) as urls:
        comparison = compare_frameworks(urls, args.words[0], arguments, args.runs, args.token)
    print(render(comparison, args.format), end="")
    if args.plot:
        plot(comparison, args.plot)
    return not comparison.equal


def _named_url(text: str) -> tuple[str, str]:
    from frameworks.serving import FRAMEWORKS

    name, equals, url = text.partition("=")
    if not equals or name not in FRAMEWORKS or not url.startswith("http://"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=http://HOST:PORT with NAME one of {', '.join(FRAMEWORKS)}"
        )
    return name, url


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
