"""/demo: one page that runs an operation through REST, SOAP and WebSocket side by side.

The page and its assets are plain files in demo/static, served from here: no CDN, no build
step, so it works in a lecture hall with no internet. Its JSON API, under /demo/api, answers
errors as RFC 9457 problem details, like the REST adapter does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from importlib import resources
from typing import Any

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from demo.operations import catalogue, parse_run
from gateway.auth import require_token
from gateway.body import BodyRefused, read_body
from gateway.rest.problems import KINDS, on_domain_error, on_rest_problem, problem_response
from gateway.rest.refusals import refusal_of
from gateway.runtime import Runtime
from services.errors import DomainError, FieldError, InvalidInput, NotAllowed

log = logging.getLogger("demo.page")

STATIC = resources.files("demo") / "static"
CLIENT_FILES = (
    ("rest.py", "REST"),
    ("soap.py", "SOAP"),
    ("raw_soap.py", "SOAP by hand"),
    ("ws.py", "WebSocket"),
)
# Long enough for a first zeep client to read the WSDL on a slow machine, short enough that a
# presenter is told something went wrong rather than left waiting.
RUN_TIMEOUT = 60.0


def routes(runtime: Runtime) -> list[BaseRoute]:
    # One run at a time: two runs at once would time each other, not the protocols.
    one_run_at_a_time = asyncio.Lock()

    async def page(_request: Request) -> Response:
        return FileResponse(str(STATIC / "demo.html"), headers={"Cache-Control": "no-cache"})

    async def operations(_request: Request) -> JSONResponse:
        return JSONResponse(catalogue(token_required=runtime.settings.token is not None))

    async def client_sources(_request: Request) -> JSONResponse:
        return JSONResponse({"files": read_client_files()})

    async def run(request: Request) -> Response:
        try:
            body = await read_body(request.scope, request.receive, runtime.settings)
            run_request = parse_run(as_json(body))
        except DomainError as error:
            return await on_domain_error(request, error)
        except BodyRefused as refused:
            return await on_rest_problem(request, refusal_of(refused))
        except ClientDisconnect:
            # Nobody is left to read an answer; this one only ends the exchange.
            return Response(status_code=400)
        # The gateway will refuse this change as this check does: the run shows each protocol's
        # refusal (a presenter's lesson too) instead of refusing the run itself.
        token_refused = run_request.change and not token_allows(runtime, run_request.token)
        # The clients' libraries (zeep, websockets...) load on the first run, not at start-up.
        from demo.run import RUN_FAILURES, run_all

        async with one_run_at_a_time:
            try:
                with anyio.fail_after(RUN_TIMEOUT):
                    # The clients block, and call this same server: its loop must stay free.
                    result = await anyio.to_thread.run_sync(
                        run_all,
                        own_url(request, runtime),
                        run_request,
                        token_refused,
                        abandon_on_cancel=True,
                    )
            except RUN_FAILURES as error:
                return run_failure(request, error)
        return JSONResponse(result, headers={"Cache-Control": "no-store"})

    return [
        Route("/demo", page, methods=["GET"]),
        Route("/demo/api/operations", operations, methods=["GET"]),
        Route("/demo/api/clients", client_sources, methods=["GET"]),
        Route("/demo/api/run", run, methods=["POST"]),
        Mount("/demo/static", StaticFiles(directory=str(STATIC)), name="demo-static"),
    ]


def token_allows(runtime: Runtime, token: str | None) -> bool:
    try:
        require_token(runtime.settings.token, token)
    except NotAllowed:
        return False
    return True


def run_failure(request: Request, error: Exception) -> Response:
    """What stopped a run before the three answers were in, as a problem."""
    from clients.compare.scratch import ScratchError

    kind = "server_fault"
    if isinstance(error, ScratchError):
        # Raised with the gateway's own error as its context: name the same kind.
        kind = getattr(error.__context__, "kind", InvalidInput.kind)
        status, title = KINDS.get(kind, KINDS[InvalidInput.kind])
        name, detail = kind, str(error)
    elif isinstance(error, TimeoutError):
        status, title, name = 504, "The run took too long", "run_timeout"
        detail = f"the three calls did not finish within {RUN_TIMEOUT:.0f} s"
    else:
        log.warning("the demo could not call its own gateway: %s", error)
        status, title, name = 502, "The gateway could not be called back", "unreachable"
        detail = f"the demo could not call this gateway through the clients: {error}"
    return problem_response(
        request,
        name=name,
        title=title,
        status=status,
        detail=detail,
        kind=kind,
        xml_allowed=False,
    )


def as_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidInput(
            "the run request is not JSON", [FieldError("body", "must be a JSON object")]
        ) from None


def own_url(request: Request, runtime: Runtime) -> str:
    """This server's address as the connection reached it, for the clients to call it back."""
    host, port = request.scope.get("server") or (runtime.settings.host, runtime.settings.port)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def read_client_files() -> list[dict[str, Any]]:
    """The clients' sources as they are now on disk: what the page shows is what runs."""
    folder = resources.files("clients")
    files = []
    for name, label in CLIENT_FILES:
        source = folder / name
        if source.is_file():
            text = source.read_text(encoding="utf-8")
            files.append(
                {
                    "path": f"clients/{name}",
                    "label": label,
                    "lines": len(text.splitlines()),
                    "source": text,
                }
            )
    return files
