"""The landing page at /: links to each protocol's docs, to the demo, and to the probes."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from gateway.runtime import Runtime

SAMPLE_ISBN = "9780132350884"


def routes(runtime: Runtime) -> list[BaseRoute]:
    async def landing(request: Request) -> HTMLResponse:
        base = str(request.base_url).rstrip("/")
        return HTMLResponse(landing_page(base, token_required=runtime.settings.token is not None))

    return [Route("/", landing, methods=["GET"])]


def landing_page(base: str, token_required: bool) -> str:
    ws_base = base.replace("http", "ws", 1)
    b = escape(base)
    w = escape(ws_base)
    auth = (
        "<p class=note>Reads are public; every change needs the API token. "
        "REST: <code>Authorization: Bearer TOKEN</code>. "
        "SOAP: the same header, or a WS-Security <code>UsernameToken</code> whose password "
        "is the token. WebSocket, at the handshake: from a browser, <code>?token=TOKEN</code> "
        "on the URL or the subprotocols <code>bearer, TOKEN</code> "
        "(<code>new WebSocket(url, [&quot;bearer&quot;, token])</code>); from other clients, "
        "the <code>Authorization: Bearer</code> header. Without it a change answers 401 or "
        "403, a <code>Client.NotAllowed</code> fault, or JSON-RPC error -32003.</p>"
        if token_required
        else "<p class=note>No API token is set: anyone may read and change the catalogue.</p>"
    )
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>Rosetta: one service, three protocols</title>
<meta name=viewport content="width=device-width, initial-scale=1">
<style>
body{{font:18px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
code,pre{{font:15px ui-monospace,monospace;background:#f3f3f3;padding:.1rem .3rem}}
pre{{padding:.6rem;overflow-x:auto}} h2{{margin-top:2rem}} .note{{color:#555}}
</style></head><body>
<h1>Rosetta</h1>
<p>One library catalogue, served at once through REST, SOAP 1.1 and WebSocket JSON-RPC 2.0.</p>
<p><a href="{b}/demo">The demo</a>: one operation through the three protocols side by side,
with the bytes on the wire and the events they cause.</p>
{auth}
<h2>REST</h2>
<ul><li><a href="{b}/rest/docs">Interactive docs</a></li>
<li><a href="{b}/rest/openapi.json">OpenAPI document</a></li>
<li><a href="{b}/rest/books">/rest/books</a> and <a href="{b}/rest/loans">/rest/loans</a></li></ul>
<pre>curl {b}/rest/books/{SAMPLE_ISBN}</pre>
<h2>SOAP 1.1</h2>
<ul><li><a href="{b}/soap?wsdl">WSDL</a> &mdash; endpoint <code>{b}/soap</code></li></ul>
<h2>WebSocket</h2>
<ul><li><a href="{b}/ws/asyncapi.json">AsyncAPI document</a> &mdash; endpoint
<code>{w}/ws</code></li></ul>
<pre>{{"jsonrpc": "2.0", "id": 1, "method": "get_book",
 "params": {{"isbn": "{SAMPLE_ISBN}"}}}}</pre>
<h2>Operations</h2>
<ul><li><a href="{b}/healthz">/healthz</a> liveness</li>
<li><a href="{b}/metrics">/metrics</a> Prometheus metrics per protocol and operation</li></ul>
</body></html>
"""
