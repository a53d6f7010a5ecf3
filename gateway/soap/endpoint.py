"""SOAP 1.1 at /soap: spyne's WSGI application behind a small ASGI endpoint of our own.

Why not a2wsgi: spyne behind it hangs forever on an empty POST (a StopIteration escapes into
the thread pool) and the hung request then blocks graceful shutdown. This endpoint
- reads the body first, with the gateway's bounded, timed reader (gateway/body.py: 413 or 408
  with a fault), so spyne always gets a complete body and never waits on a socket;
- refuses a Content-Type other than SOAP 1.1's text/xml (415), before reading the body;
- answers what spyne mishandles with a fault of its own, never a hang, a text/plain 500 or an
  HTML page: an empty body, a method other than POST, a GET without ?wsdl;
- serves the WSDL with the address the caller used (spyne caches the first caller's);
- runs spyne on the event loop, in a greenlet whose domain calls the loop awaits directly
  (no thread hop: with a worker thread calling back into the loop, GetBook ran at 0.8 times
  the speed of spyne on bjoern in `make bench`, and on the loop at par or above); large
  envelopes and lists go to a worker thread instead, so that one big request or answer
  cannot stall every other connection;
- is the seam where a native async SOAP path can replace spyne later, route by route.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

import anyio.to_thread
from spyne import Application, MethodContext
from spyne import const as spyne_const
from spyne.server.wsgi import WsgiApplication
from starlette.datastructures import URL, Headers
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from gateway.body import BodyRefused, read_body
from gateway.metrics import MeasuredHTTP, label_request
from gateway.runtime import Runtime
from gateway.soap import faults as soap_faults
from gateway.soap.faults import KindFault
from gateway.soap.loop_bridge import run_bridged
from gateway.soap.operations import OPERATIONS, build_application
from services.errors import InvalidInput

log = logging.getLogger(__name__)

XML = "text/xml; charset=utf-8"
SOAP11_MEDIA_TYPE = "text/xml"
SOAP12_MEDIA_TYPE = "application/soap+xml"
_ADDRESS_PLACEHOLDER = "http://rosetta.invalid/soap"
_OPERATION_KEY = "rosetta.soap.operation"
_ERROR_KEY = "rosetta.soap.error_kind"
WSDL_OPERATION = "wsdl"
# Envelopes up to this size are read, run and written on the event loop; larger ones, and
# requests for lists, in a worker thread: spyne takes about 20 ms to write 100 books, a stall
# every other connection would feel, where the thread gives the loop the GIL every 5 ms.
INLINE_BODY = 16 * 1024
LIST_OPERATIONS = (b"ListBooks", b"ListLoans")
UNKNOWN_OPERATION = "unknown"


def routes(runtime: Runtime) -> list[BaseRoute]:
    soap_faults.quiet_spyne_logs()
    without_forced_collections()
    endpoint = SoapEndpoint(runtime)
    return [Route("/soap", MeasuredHTTP(endpoint, runtime.metrics, "soap"))]


def without_forced_collections() -> None:
    """Stops spyne's full gc.collect() after a request, at most once a second by default.

    spyne collects to close uploaded files early; this service takes none, and in a gateway
    process a full collection holds the event loop, so every protocol, for milliseconds (a
    sixth of SOAP's time under load, in a profile of `make bench`). Reference counting still
    frees everything else at once, and Python's own collector still runs.
    """
    spyne_const.MIN_GC_INTERVAL = math.inf


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    operation: str = UNKNOWN_OPERATION
    error_kind: str | None = None


class SoapEndpoint:
    """The ASGI app of /soap."""

    def __init__(self, runtime: Runtime) -> None:
        self.settings = runtime.settings
        self.spyne: Application = build_application(runtime)
        self.spyne.out_protocol.event_manager.add_listener("after_serialize", _note_outcome)
        self.wsgi = WsgiApplication(self.spyne, max_content_length=self.settings.max_body)
        self.wsdl = WsdlTemplate(self.wsgi)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method in {"GET", "HEAD"} and is_wsdl_query(scope["query_string"]):
            address = str(URL(scope=scope).replace(query=""))
            await respond(scope, send, Answer(200, [], self.wsdl.at(address), WSDL_OPERATION))
            return
        if method != "POST":
            # A fault, not a help page: whoever calls a SOAP endpoint is a SOAP client.
            message = "POST a SOAP 1.1 envelope to this URL; GET it with ?wsdl for the WSDL"
            answer = self.fault(405, soap_faults.invalid_input(message), [("Allow", "POST")])
            await respond(scope, send, answer)
            return
        wrong_type = media_type_fault(Headers(scope=scope).get("content-type"))
        if wrong_type is not None:
            # WS-I Basic Profile R1115: 415 for a Content-Type the binding does not allow.
            await respond(scope, send, self.fault(415, wrong_type))
            return
        try:
            body = await read_body(scope, receive, self.settings)
        except ClientDisconnect:
            # Nobody to answer; counted as the client's incomplete input, not a server fault.
            label_request(scope, UNKNOWN_OPERATION, InvalidInput.kind)
            return
        except BodyRefused as refused:
            fault = soap_faults.invalid_input(str(refused))
            await respond(scope, send, self.fault(refused.status, fault, refused.headers))
            return
        if not body.strip():
            message = "the request body is empty: POST a SOAP 1.1 envelope"
            await respond(scope, send, self.fault(500, soap_faults.invalid_input(message)))
            return
        environ = wsgi_environ(scope, body)
        if len(body) <= INLINE_BODY and not any(name in body for name in LIST_OPERATIONS):
            # spyne on the loop itself, in a greenlet: no thread hop either way (see
            # gateway.soap.loop_bridge). A short envelope costs the loop less than the hop would.
            answer = await run_bridged(self.call_spyne, environ)
        else:
            answer = await anyio.to_thread.run_sync(self.call_spyne, environ)
        await respond(scope, send, answer)

    def call_spyne(self, environ: dict[str, Any]) -> Answer:
        """Runs one SOAP request through spyne, on the loop (bridged) or in a worker thread."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started[:] = [status, headers]

        try:
            # Joining the chunks runs spyne's own end-of-request steps too.
            body = b"".join(self.wsgi(environ, start_response))
            status, headers = started
        except Exception:
            log.exception("spyne failed on a SOAP request")
            return self.fault(500, soap_faults.server_fault())
        return Answer(
            int(status.split()[0]),
            [(k, v) for k, v in headers if k.lower() not in {"content-type", "content-length"}],
            body,
            environ.get(_OPERATION_KEY, UNKNOWN_OPERATION),
            environ.get(_ERROR_KEY),
        )

    def fault(
        self, status: int, fault: KindFault, headers: Iterable[tuple[str, str]] = ()
    ) -> Answer:
        """An answer with a fault that spyne never saw, written by spyne's own serializer."""
        ctx = MethodContext(self.wsgi, MethodContext.SERVER)
        ctx.out_error = fault
        protocol = self.spyne.out_protocol
        protocol.serialize(ctx, protocol.RESPONSE)
        protocol.create_out_string(ctx)
        return Answer(status, list(headers), b"".join(ctx.out_string), error_kind=fault.kind)


def _note_outcome(ctx: Any) -> None:
    """Leaves the operation and any error kind in the WSGI environ, for the metrics."""
    environ = getattr(ctx.transport, "req_env", None)
    if environ is None:  # a fault written outside a request, by SoapEndpoint.fault
        return
    if ctx.descriptor is not None:
        environ[_OPERATION_KEY] = OPERATIONS.get(ctx.descriptor.name, UNKNOWN_OPERATION)
    if isinstance(ctx.out_error, KindFault):
        environ[_ERROR_KEY] = ctx.out_error.kind


class WsdlTemplate:
    """The WSDL, built once, with the soap:address of whoever asks for it.

    spyne builds the WSDL for the first caller's URL and serves that address to everyone, which
    is wrong behind two host names (or a proxy and a direct port).
    """

    def __init__(self, wsgi: WsgiApplication) -> None:
        wsdl = wsgi.doc.wsdl11
        wsdl.build_interface_document(_ADDRESS_PLACEHOLDER)
        self.template: bytes = wsdl.get_interface_document()
        self.placeholder = _ADDRESS_PLACEHOLDER.encode()

    def at(self, address: str) -> bytes:
        # The Host header is the caller's to write: escape it for an attribute value.
        return self.template.replace(self.placeholder, escape(address, {'"': "&quot;"}).encode())


def is_wsdl_query(query_string: bytes) -> bool:
    first = query_string.decode("latin-1").split("&", 1)[0]
    return first.split("=", 1)[0].lower() == "wsdl"


def media_type_fault(content_type: str | None) -> KindFault | None:
    """None for text/xml, SOAP 1.1's media type; a fault naming the right one otherwise.

    A request without Content-Type is read as text/xml, as HTTP lets a recipient do.
    """
    if content_type is None:
        return None
    media = content_type.partition(";")[0].strip().lower()
    if media == SOAP11_MEDIA_TYPE:
        return None
    if media == SOAP12_MEDIA_TYPE:
        return soap_faults.version_mismatch(
            f"this endpoint speaks SOAP 1.1: send a SOAP 1.1 envelope as {SOAP11_MEDIA_TYPE}, "
            f"not {SOAP12_MEDIA_TYPE} (SOAP 1.2)"
        )
    return soap_faults.invalid_input(
        f"a SOAP 1.1 request is sent as {SOAP11_MEDIA_TYPE}, not {media or 'an empty type'}"
    )


def wsgi_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI request whose body has been read already."""
    root_path: str = scope.get("root_path", "")
    path: str = scope["path"]
    server_name, server_port = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path,
        "PATH_INFO": path.removeprefix(root_path),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        # spyne would trust a charset parameter over the XML declaration and crash on a wrong
        # one; lxml reads the encoding from the document itself (UTF-8 by default). spyne also
        # refuses a missing Content-Type with 405. So spyne always sees plain text/xml.
        "CONTENT_TYPE": "text/xml",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        client_host, client_port = scope["client"]
        environ.update(REMOTE_ADDR=client_host, REMOTE_PORT=str(client_port))
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            continue
        key = f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


async def respond(scope: Scope, send: Send, answer: Answer) -> None:
    label_request(scope, answer.operation, answer.error_kind)
    headers = [
        (b"content-type", XML.encode()),
        (b"content-length", str(len(answer.body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    body = b"" if scope["method"] == "HEAD" else answer.body
    await send({"type": "http.response.body", "body": body})
