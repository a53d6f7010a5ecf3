"""The REST adapter: a FastAPI app under /rest, with interactive docs at /rest/docs."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

from gateway.metrics import MeasuredHTTP
from gateway.rest import problems as rest_problems
from gateway.rest.books import books_router
from gateway.rest.dispatch import LeanDispatch
from gateway.rest.entry_point import entry_point_router
from gateway.rest.head import HeadAsGet
from gateway.rest.loans import loans_router
from gateway.rest.openapi import complete
from gateway.runtime import Runtime

DESCRIPTION = """\
The library catalogue as resources: **books** (`/books/{isbn}`) and **loans**
(`/loans/{id}`). The same service answers over SOAP at `/soap` and JSON-RPC at `/ws`.

**Start** at `GET /rest`: links to both collections and to every document.

**Formats.** Every resource comes as JSON by default; XML (the same fields, element by
element, links as `<link rel href>`), HTML (a small page whose links are real links, to walk
the API in a browser) or plain text (a readable summary) when `Accept` prefers
`application/xml`, `text/html` or `text/plain` by q-value, or when the query names it:
`?format=json|xml|html|text` wins over Accept. 406 when Accept allows none of the four.
Request bodies are JSON only (415 otherwise), at most the server's body limit (413, 1 MiB by
default, chunked bodies included).

**Links.** Every representation carries HAL-style `_links` with absolute paths: a book links
to itself, the collection and its loans; a loan to itself, the collection, its book and, while
open, `return`; a page of books to the first, last, previous and next pages.

**Caching.** Reads answer `Cache-Control: no-cache` with an ETag and `Vary: Accept`: clients
keep what they read and revalidate with `If-None-Match` (304, no body). A book's ETag is its
version per format, `"3"` for JSON, `"3-xml"`, `"3-html"` and `"3-text"` for the others;
lists and loans hash their body.

**Concurrency.** `PATCH /books/{isbn}` with `If-Match: "3"` (or any format's tag) changes only
version 3, else 412 with `current_version`. ISBNs may be written with hyphens in URLs and
bodies; a book is answered directly at either form, naming the 13-digit URL in
`Content-Location`.

**Returning a book** is `PATCH /loans/{id}` with `{"returned": true}`; a second return is 409.

**Errors** are RFC 9457 problem details (`application/problem+json`, or `+xml` for XML
clients) with `kind`, the domain error kind SOAP and JSON-RPC name too: invalid_input 422,
not_found 404, conflict 409, version_mismatch 412, not_allowed 401 (no token) / 403 (wrong
token), unavailable 503 (the database is down; with `Retry-After`), server_fault 500.
Unknown paths answer 404 and unknown methods 405, as problems.
HEAD works wherever GET does.

**Auth.** When the server runs with an API token, every change needs
`Authorization: Bearer <token>`; reads never do.
"""

TAGS = [
    {"name": "entry point", "description": "Where a client starts: links to everything."},
    {"name": "books", "description": "The catalogue: one resource per ISBN."},
    {"name": "loans", "description": "Who borrowed which book, and its return."},
]


class RestApp(FastAPI):
    """FastAPI, with the declarations it cannot infer added to its OpenAPI document, and its
    API routes served by gateway.rest.dispatch (the docs and every refusal of routing by
    FastAPI itself)."""

    def __init__(self, *, token_required: bool, **options: Any) -> None:
        super().__init__(**options)
        self.token_required = token_required
        self.lean: LeanDispatch | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.lean is None:
                # Built at the first request: every route is declared by then.
                self.lean = LeanDispatch(self, self.router.routes)
            if await self.lean(scope, receive, send):
                return
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            # FastAPI keeps the schema it builds; completed once, it is served as it is.
            complete(super().openapi(), self.token_required)
        return super().openapi()


def create_rest_app(runtime: Runtime) -> FastAPI:
    token_note = (
        "This server runs with an API token: changes need it."
        if runtime.settings.token
        else "This server runs without an API token: changes need none."
    )
    routers = (entry_point_router(), books_router(runtime), loans_router(runtime))
    app = RestApp(
        token_required=runtime.settings.token is not None,
        # The routers' routes go to the app itself rather than through include_router,
        # whose lazy per-request layer costs get_book about a sixth of its time (measured).
        routes=[route for router in routers for route in router.routes],
        title="Rosetta library: REST",
        version="1.0.0",
        description=f"{DESCRIPTION}\n{token_note}\n",
        openapi_tags=TAGS,
        docs_url=None,  # served by serve_docs_offline instead, from the gateway itself
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    serve_docs_offline(app)
    rest_problems.install(app, *routers)
    return app


def serve_docs_offline(app: FastAPI) -> None:
    """Swagger UI at /docs with its assets served from /docs/assets, never from a CDN.

    The tool is shown on stage and in classrooms, where there may be no internet. The assets
    come from the swagger-ui-bundle-v2 package (Swagger UI 5, which reads OpenAPI 3.1).
    """

    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}/docs/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs/assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs/assets/favicon-32x32.png",
        )

    app.add_route("/docs", docs, include_in_schema=False)
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")


class NewlineSafeMount(Mount):
    """A Mount that also matches paths holding an encoded newline (`%0A`), and its own path.

    Starlette's mount pattern ends in `.*`, which stops at a newline: such a path fell through
    to the root's plain-text 404 instead of this adapter's problem+json one. And it matches
    `/rest/...` only, so `/rest` itself was redirected; here it reaches the app, whose entry
    point answers it directly.
    """

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        root_path: str = scope.get("root_path", "")
        if scope["type"] == "http" and scope["path"] in (self.path, root_path + self.path):
            return Match.FULL, {
                "app_root_path": scope.get("app_root_path", root_path),
                "root_path": root_path + self.path,
                "endpoint": self.app,
            }
        return super().matches(scope)


def routes(runtime: Runtime) -> list[BaseRoute]:
    app = HeadAsGet(create_rest_app(runtime))
    return [NewlineSafeMount("/rest", app=MeasuredHTTP(app, runtime.metrics, "rest"))]
