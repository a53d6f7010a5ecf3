"""One operation run through the three real clients, each behind its own counting proxy.

The clients are the ones in clients/, unchanged, talking to this very gateway over a socket;
the proxy (clients/wire/proxy.py) records every byte, so the page shows what crossed the wire, not
what a client says it sent. Each client runs through `rosetta compare`'s own wire pass
(clients.compare.measure.run_tapped). Changes run on scratch books made and removed by the same
Scratchpad as `rosetta compare`, so the three runs do not collide and the catalogue is left as
it was; the answers are compared with the same masks. A change the gateway will refuse for want
of its token prepares nothing: each protocol is called as it is, and shows its own refusal.
"""

from __future__ import annotations

import uuid
from typing import Any

from clients.command_line import as_json
from clients.compare.measure import CLIENT_ERROR, run_tapped
from clients.compare.report import NAMES
from clients.compare.results import PROTOCOLS
from clients.compare.scratch import (
    MASKED,
    SCRATCH_BOOK,
    SCRATCH_MEMBER,
    SUPPLIED,
    ScratchError,
    Scratchpad,
)
from clients.equality import differences
from clients.interface import UNREACHABLE, RemoteError
from clients.rest import RestClient
from clients.wire.proxy import WireError
from demo import wire as demo_wire
from demo.operations import RunRequest
from services.isbn import fresh_isbn

# What stops a run before the three answers are in: the scratch books cannot be made, the
# proxy cannot start, or the gateway cannot be called back.
RUN_FAILURES = (ScratchError, WireError, *UNREACHABLE)


def run_all(base_url: str, request: RunRequest, refused: bool = False) -> dict[str, Any]:
    """Calls each client in turn and compares them. It blocks: run it in a worker thread.

    `refused` says that the gateway will refuse this change for want of its token.
    Raises ScratchError when the scratch books cannot be made (no such book to copy).
    """
    if refused:
        arguments = refused_arguments(request.operation, request.params)
        results = [run_one(protocol, base_url, request, dict(arguments)) for protocol in PROTOCOLS]
        scratch: list[str] = []
        mask: tuple[str, ...] = ()
    else:
        results, scratch = run_on_scratch(base_url, request)
        mask = MASKED.get(request.operation, ())
    answers = {view["protocol"]: comparable for view, comparable in results}
    found = differences(answers, ignore=mask)
    return {
        "operation": request.operation,
        "agree": not found,
        "differences": found,
        "masked": list(mask),
        "scratch": scratch,
        "results": [view for view, _ in results],
    }


def run_on_scratch(
    base_url: str, request: RunRequest
) -> tuple[list[tuple[dict[str, Any], Any]], list[str]]:
    """Each protocol's run on arguments of its own, and the scratch books made for them."""
    # The scratch books are made through REST with the caller's token, outside the proxies:
    # preparing is not part of what is measured, and it needs the same rights as the change.
    helper = RestClient(base_url, token=request.token)
    try:
        pad = Scratchpad(helper, request.operation, request.params)
        try:
            results = [
                run_one(protocol, base_url, request, pad.next_arguments()) for protocol in PROTOCOLS
            ]
            return results, list(pad.books)
        finally:
            pad.clean()
    finally:
        helper.close()


def refused_arguments(operation: str, given: dict[str, Any]) -> dict[str, Any]:
    """A refused change's arguments: the given ones, and stand-ins for what a Scratchpad fills.

    The stand-ins name nothing that exists, and need not: the token is checked first.
    """
    stand_ins = {"isbn": fresh_isbn(), "member": SCRATCH_MEMBER, "loan_id": str(uuid.uuid4())}
    base = dict(SCRATCH_BOOK) if operation == "add_book" else {}
    missing = {key: stand_ins[key] for key in SUPPLIED[operation] if key not in {**base, **given}}
    return {**base, **missing, **given}


def run_one(
    protocol: str, base_url: str, request: RunRequest, arguments: dict[str, Any]
) -> tuple[dict[str, Any], Any]:
    """One client, made and called through its own proxy: what it showed, and its answer."""
    # Any error is the protocol's answer here: a client library may refuse a value before
    # anything is sent (zeep checks the WSDL's types), and that is part of how it feels to use.
    run = run_tapped(
        base_url, protocol, request.operation, [arguments], request.token, caught=(Exception,)
    )
    called, setup, call = run.outcomes[0], run.setup, run.calls[0]
    # The book each protocol changed, so the page can tell whose events are whose.
    target = arguments.get("isbn") or getattr(called.answer, "isbn", None)
    view = {
        "protocol": protocol,
        "label": NAMES[protocol],
        "target": target if request.change else None,
        "arguments": as_json(arguments),
        "ok": called.error is None,
        "answer": as_json(called.answer),
        "error": None if called.error is None else error_view(called.error),
        "latency_ms": round(called.seconds * 1000, 2),
        "setup": demo_wire.summary(setup),
        "call": demo_wire.summary(call),
        "messages": demo_wire.shown(setup, "setup") + demo_wire.shown(call, "call"),
    }
    return view, called.comparable


def error_view(error: Exception) -> dict[str, str]:
    if isinstance(error, RemoteError):
        return {"kind": error.kind, "message": error.message}
    return {"kind": CLIENT_ERROR, "message": f"{type(error).__name__}: {error}"}
