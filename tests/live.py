"""A real gateway on a real socket: uvicorn in a thread, on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from gateway.app import CatalogueOpener, create_app, open_from_settings
from gateway.settings import Settings
from gateway.ws.transport import server_options

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LiveGateway:
    url: str
    settings: Settings

    @property
    def rest_url(self) -> str:
        return f"{self.url}/rest"

    @property
    def soap_url(self) -> str:
        return f"{self.url}/soap"

    @property
    def wsdl_url(self) -> str:
        return f"{self.url}/soap?wsdl"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/ws"


@contextmanager
def serve(
    settings: Settings, opener: CatalogueOpener = open_from_settings, port: int = 0
) -> Iterator[LiveGateway]:
    """The gateway on `port`; 0 picks a free one, and a gateway restarted takes the same."""
    app = create_app(settings, opener)
    options = server_options(settings) | {"timeout_graceful_shutdown": 5}
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveGateway(url=f"http://127.0.0.1:{port}", settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
