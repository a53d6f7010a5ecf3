"""`rosetta call PROTOCOL OPERATION key=value ...`: one real call, its answer, and the wire.

Unlike `rosetta compare`, a call is not run on a scratch book: `call rest remove_book isbn=...`
removes that book. With `--wire` the client talks through the counting proxy, and every byte
both ways is printed afterwards, in the order it crossed.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from clients.arguments import ArgumentError, parse_arguments
from clients.command_line import as_json
from clients.compare.measure import MAKERS, CompareError, check_gateway
from clients.compare.mistakes import CommandLineMistake, token_mistake
from clients.interface import UNREACHABLE, LibraryClient, RemoteError
from clients.wire.printing import conversation
from clients.wire.proxy import WireError, WireTap

ALIASES = {"ws": "websocket"}
WIRE_MAX = 4096


def run_call(
    url: str,
    protocol: str,
    operation: str,
    words: list[str],
    *,
    token: str | None = None,
    wire: bool = False,
    wire_max: int = WIRE_MAX,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Makes the call and prints it; the exit status: 0 answered, 1 error answer, 2 misuse
    (a wrong argument, `--url` or missing token)."""
    protocol = ALIASES.get(protocol, protocol)
    try:
        if protocol not in MAKERS:
            raise ArgumentError(f"unknown protocol {protocol!r}; choose rest, soap or websocket")
        arguments = parse_arguments(operation, words)
    except ArgumentError as error:
        print(f"rosetta call: {error}", file=err)
        return 2
    try:
        check_gateway(url, tapped=wire)
        if not wire:
            return _call(MAKERS[protocol](url, token=token), operation, arguments, out, err)
        with WireTap(url) as tap:
            try:
                status = _call(
                    MAKERS[protocol](tap.url, token=token), operation, arguments, out, err
                )
            finally:
                print("\n--- on the wire ---\n", file=out)
                print(conversation(tap.connections, wire_max), file=out, end="")
            return status
    except CommandLineMistake as error:
        print(f"rosetta call: {error}", file=err)
        return 2
    except (CompareError, WireError) as error:
        print(f"rosetta call: {error}", file=err)
        return 1
    except UNREACHABLE as error:
        print(f"rosetta call: lost the gateway at {url}: {error}", file=err)
        return 1


def _call(
    client: LibraryClient, operation: str, arguments: dict[str, object], out: TextIO, err: TextIO
) -> int:
    try:
        result = getattr(client, operation)(**arguments)
    except RemoteError as error:
        mistake = token_mistake(error)
        if mistake is not None:
            raise mistake from None
        print(f"{error.protocol} error, kind {error.kind}: {error.message}", file=err)
        return 1
    finally:
        client.close()
    print(json.dumps(as_json(result), indent=2), file=out)
    return 0
