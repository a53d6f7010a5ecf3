"""spyne's own WSGI application on its fastest WSGI server (bjoern), over the same service.

The same spyne Application as the gateway's (`gateway.soap.operations`: the same types, the
same strict protocol, the same settings), served the classic way. bjoern is single-threaded
and synchronous, so each request runs to completion on one event loop of this process:
spyne's operations wait for the async service through `gateway.soap.loop_bridge`, with no thread
hop, the cheapest way a WSGI server can call async code. Without bjoern (it needs libev
headers to build) the standard library's wsgiref serves instead, and the report says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

# gateway.soap makes spyne importable on Python 3.12 and later: it comes first.
from gateway.soap import spyne_compat  # noqa: F401  # isort: skip

from spyne.server.wsgi import WsgiApplication

from bench.baselines.common import HOST, arguments, open_seeded
from gateway.metrics import Metrics
from gateway.runtime import Runtime
from gateway.settings import Settings
from gateway.soap import faults as soap_faults
from gateway.soap.endpoint import without_forced_collections
from gateway.soap.loop_bridge import run_bridged
from gateway.soap.operations import build_application

StartResponse = Callable[..., Any]


def server_name() -> str:
    """The WSGI server this baseline runs on here."""
    try:
        import bjoern  # noqa: F401
    except ImportError:
        return "wsgiref"
    return "bjoern"


def create_wsgi(db: str) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    catalogue = loop.run_until_complete(open_seeded(db))
    settings = Settings(db=db)
    runtime = Runtime(
        settings=settings, metrics=Metrics(settings.instance_name), catalogue=catalogue
    )
    soap_faults.quiet_spyne_logs()
    without_forced_collections()  # the gateway's spyne setting too: only the server differs
    spyne = WsgiApplication(build_application(runtime))

    def respond(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        started: list[Any] = []
        body = b"".join(
            spyne(environ, lambda status, headers, *_: started.extend((status, headers)))
        )
        status, headers = started
        # A length lets the server keep the connection alive instead of chunking.
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def application(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        return loop.run_until_complete(run_bridged(respond, environ, start_response))

    return application


def main() -> None:
    args = arguments(__doc__ or "")
    application = create_wsgi(args.db)
    if server_name() == "bjoern":
        import bjoern

        bjoern.run(application, HOST, args.port)
    else:
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

        make_server(HOST, args.port, application, handler_class=Quiet).serve_forever()


if __name__ == "__main__":
    main()
