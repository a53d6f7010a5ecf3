"""GET /rest: the API's entry point, the first link a client follows.

It links to every collection and to every document that describes the gateway, so a client
(or a browser, with the HTML form) can start here and discover the rest by following links.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from gateway.rest.links import mount_path
from gateway.rest.models import EntryPoint
from gateway.rest.negotiation import ENTRY_POINT, FormatOverride, negotiate, reply
from gateway.rest.openapi import IF_NONE_MATCH, NOT_MODIFIED, problems, representation


def entry_point_resource(scope: Scope) -> dict[str, Any]:
    base = mount_path(scope)
    # The other protocols live beside /rest, under the gateway's own root (a proxy's prefix).
    gateway: str = scope.get("app_root_path", "")
    links = {
        "self": f"{base}",
        "books": f"{base}/books",
        "loans": f"{base}/loans",
        "docs": f"{base}/docs",
        "openapi": f"{base}/openapi.json",
        "wsdl": f"{gateway}/soap?wsdl",
        "asyncapi": f"{gateway}/ws/asyncapi.json",
        "demo": f"{gateway}/demo",
        "home": f"{gateway}/",
    }
    return {
        "service": "Rosetta library catalogue",
        "_links": {rel: {"href": href} for rel, href in links.items()},
    }


def entry_point_router() -> APIRouter:
    router = APIRouter(tags=["entry point"])

    @router.get(
        "/",
        name="entry_point",
        operation_id="entry_point",
        summary="Start here: links to the collections and the documents",
        description="Also answered at `/rest` itself, without a redirect.",
        responses={
            200: representation(EntryPoint, "Links to everything"),
            304: NOT_MODIFIED,
            **problems(406, 422, 500),
        },
        openapi_extra={"parameters": [IF_NONE_MATCH]},
    )
    async def entry_point(request: Request, format_override: FormatOverride = None) -> Response:
        fmt = negotiate(request, format_override)
        return reply(request, fmt, entry_point_resource(request.scope), ENTRY_POINT)

    router.add_api_route("", entry_point, methods=["GET"], include_in_schema=False)
    return router
