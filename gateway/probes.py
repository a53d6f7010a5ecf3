"""What operators poll: /healthz (the gateway and its database) and /metrics (Prometheus).

/healthz asks the database a trivial question, so a load balancer takes an instance whose
database is out of reach out of rotation (503), and puts it back once it answers again; the
gateway reconnects by itself, so a restart is never needed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.metrics import CONTENT_TYPE
from gateway.runtime import Runtime
from services.errors import Unavailable

NO_STORE = {"Cache-Control": "no-store"}


def routes(runtime: Runtime) -> list[BaseRoute]:
    async def healthz(_request: Request) -> JSONResponse:
        try:
            await runtime.storage.ping()
        except Unavailable as down:
            headers = NO_STORE | {"Retry-After": str(down.details["retry_after"])}
            body = {"status": "unavailable", "kind": down.kind, "detail": down.message}
            return JSONResponse(body, 503, headers=headers)
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    async def metrics(_request: Request) -> Response:
        return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
