"""The physical limit of an HTTP protocol here: a raw ASGI app on uvicorn that answers every
request with bytes captured from the gateway, doing no work at all.

`--answers DIR` holds `rest.body` and `soap.body`, the gateway's own get_book answers; POST
/soap gets the SOAP one, every other path the REST one. Whatever the gateway does per call
beyond this (routing, parsing, the service, encoding) is what its ratio to this server shows.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import uvicorn

from bench.baselines.common import HOST

CONTENT_TYPES = {"rest": b"application/json", "soap": b"text/xml; charset=utf-8"}

Scope = dict[str, Any]
Receive = Any
Send = Any


def make_app(answers: Path) -> Any:
    """The app; it reads the answers at their first use, since it starts with the gateway,
    before the gateway's answers are captured."""
    responses: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    healthy = (
        {"type": "http.response.start", "status": 200, "headers": []},
        {"type": "http.response.body", "body": b"ok\n"},
    )

    def response(protocol: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if protocol not in responses:
            body = (answers / f"{protocol}.body").read_bytes()
            headers = [
                (b"content-type", CONTENT_TYPES[protocol]),
                (b"content-length", str(len(body)).encode()),
            ]
            responses[protocol] = (
                {"type": "http.response.start", "status": 200, "headers": headers},
                {"type": "http.response.body", "body": body},
            )
        return responses[protocol]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # uvicorn runs with lifespan off; nothing else reaches an HTTP-only app
        if scope["path"] == "/healthz":
            start, body = healthy
        else:
            soap = scope["method"] == "POST" and scope["path"] == "/soap"
            start, body = response("soap" if soap else "rest")
        await send(start)
        await send(body)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--answers", type=Path, required=True)
    args = parser.parse_args()
    # The gateway's own server settings (uvloop, httptools when installed), minus the logging.
    uvicorn.run(
        make_app(args.answers),
        host=HOST,
        port=args.port,
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
