"""Runs one client method from the command line: `python -m clients.rest get_book 978...`.

Arguments are read by clients.arguments, as `rosetta call` reads them: bare values fill the
operation's keys in order, `key=value` names one, and each value is typed by its key.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from clients.arguments import ArgumentError, operations_help, parse_arguments
from clients.interface import UNREACHABLE, LibraryClient, RemoteError
from services.errors import NotAllowed
from services.models import Book, Loan, Page, book_as_dict, loan_as_dict

DEFAULT_URL = "http://127.0.0.1:8000"
CHANGES_ADVICE = "set ROSETTA_API_TOKEN to the gateway's API token"


def script_help(program: str, more_usage: Sequence[str] = ()) -> str:
    return "\n".join(
        [
            f"usage: {program} OPERATION [VALUE ...] [key=value ...]",
            *(f"       {program} {line}" for line in more_usage),
            "",
            f"Calls one operation on the gateway at $ROSETTA_URL ({DEFAULT_URL}),",
            "with $ROSETTA_API_TOKEN for changes, and prints the answer as JSON.",
            "Bare values fill the operation's keys in order.",
            "",
            operations_help(),
        ]
    )


def as_json(result: Any) -> Any:
    if isinstance(result, Book):
        return book_as_dict(result)
    if isinstance(result, Loan):
        return loan_as_dict(result)
    if isinstance(result, Page):
        return {
            "items": [book_as_dict(book) for book in result.items],
            "total": result.total,
            "limit": result.limit,
            "offset": result.offset,
        }
    if isinstance(result, list):
        return [as_json(item) for item in result]
    return result


def run_script(
    make_client: Callable[..., LibraryClient],
    argv: Sequence[str] | None = None,
    more_usage: Sequence[str] = (),
) -> int:
    """Exit status: 0 answered, 1 an error answer or no gateway, 2 a wrong command line."""
    words = list(sys.argv[1:] if argv is None else argv)
    module = getattr(sys.modules["__main__"].__spec__, "name", make_client.__module__)
    program = f"python -m {module}"
    if words[:1] in (["-h"], ["--help"]):
        print(script_help(program, more_usage))
        return 0
    if not words:
        print(f"{program}: name an operation; --help lists them with their keys", file=sys.stderr)
        return 2
    try:
        arguments = parse_arguments(words[0], words[1:])
    except ArgumentError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return 2
    url = os.environ.get("ROSETTA_URL", DEFAULT_URL)
    try:
        # SOAP and WebSocket clients talk at once (WSDL, handshake); REST on its first call.
        client = make_client(url, token=os.environ.get("ROSETTA_API_TOKEN") or None)
        try:
            result = getattr(client, words[0])(**arguments)
        finally:
            client.close()
    except RemoteError as error:
        # A refused change is the one error answer whose fix lies with the caller's set-up.
        advice = f"; {CHANGES_ADVICE}" if error.kind == NotAllowed.kind else ""
        print(
            f"{error.protocol} error, kind {error.kind}: {error.message}{advice}", file=sys.stderr
        )
        return 1
    except UNREACHABLE as error:
        print(f"cannot reach the gateway at {url}: {error}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(as_json(result), indent=2), flush=True)
    except BrokenPipeError:
        # The reader left early (`| head`): fine. Point stdout at devnull so that Python's
        # last flush on exit does not complain either, as the Python docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
