"""The composition root: builds the ASGI app from the adapters. No logic lives here."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

import demo.page
from gateway import landing, probes
from gateway.metrics import Metrics
from gateway.rest import api as rest
from gateway.runtime import Runtime
from gateway.runtime import open_from_settings as open_from_settings
from gateway.settings import Settings
from gateway.soap import endpoint as soap
from gateway.worker import WorkerHeader
from gateway.ws import endpoint as ws
from services.catalogue import Catalogue

CatalogueOpener = Callable[[Settings], Awaitable[Catalogue]]


def create_app(
    settings: Settings | None = None, opener: CatalogueOpener = open_from_settings
) -> Starlette:
    settings = settings or Settings()
    runtime = Runtime(settings=settings, metrics=Metrics(settings.instance_name))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        runtime.catalogue = await opener(runtime.settings)
        try:
            yield
        finally:
            await runtime.catalogue.close()
            runtime.catalogue = None

    app = Starlette(
        routes=[
            *landing.routes(runtime),
            *probes.routes(runtime),
            *rest.routes(runtime),
            *soap.routes(runtime),
            *ws.routes(runtime),
            *demo.page.routes(runtime),
        ],
        # Only where there is more than one worker to tell apart: one worker's answers keep
        # the bytes that `rosetta compare` counts and the docs show.
        middleware=[Middleware(WorkerHeader)] if runtime.settings.workers > 1 else [],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app


def app_from_environment() -> Starlette:
    """Factory for uvicorn's --reload and --workers, which import the app by name."""
    app = create_app(Settings())
    # What start-up built lives as long as the process: frozen, it is left out of every full
    # collection of the cyclic garbage collector, which otherwise rescans it each time.
    gc.freeze()
    return app
