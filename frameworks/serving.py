"""`rosetta serve --framework NAME`: each version on the server its users would pick.

FastAPI is the whole gateway (gateway/cli.py). Flask runs under waitress, a WSGI server;
Django's ASGI application under uvicorn, without lifespan (Django has none); Tornado on its
own loop. Each prints `serving on http://HOST:PORT` once it listens, with the real port when
asked for port 0. The frameworks are imported only when chosen: they are an optional extra.
"""

from __future__ import annotations

import asyncio

from gateway.settings import Settings

FRAMEWORKS = ("fastapi", "flask", "django", "tornado")
"""Every implementation of the REST contract; fastapi, the gateway, first."""

DJANGO_APPLICATION = "frameworks.django_app.asgi:application"


def serve_flask(settings: Settings) -> None:
    from waitress import create_server

    from frameworks.flask_app import create_app

    app = create_app(settings)
    server = create_server(app, host=settings.host, port=settings.port)
    print(
        f"Flask on waitress serving on http://{settings.host}:{server.effective_port}", flush=True
    )
    try:
        server.run()
    finally:
        server.close()
        app.extensions["rosetta"].close()


def serve_django(settings: Settings) -> None:
    import uvicorn

    # Django reads the same ROSETTA_* variables, which `rosetta serve` has set from its flags.
    uvicorn.run(
        DJANGO_APPLICATION,
        host=settings.host,
        port=settings.port,
        lifespan="off",
        log_level=settings.log_level,
    )


def serve_tornado(settings: Settings) -> None:
    from frameworks.tornado_app import serve

    asyncio.run(serve(settings))


SERVERS = {"flask": serve_flask, "django": serve_django, "tornado": serve_tornado}


def serve_framework(name: str, settings: Settings) -> None:
    SERVERS[name](settings)


IMPLEMENTATIONS: dict[str, tuple[str, ...]] = {
    "fastapi": (
        "gateway.rest.api",
        "gateway.rest.books",
        "gateway.rest.loans",
        "gateway.rest.negotiation",
        "gateway.rest.problems",
        "gateway.rest.requests",
        "gateway.rest.head",
        "gateway.rest.openapi",
        "gateway.rest.models",
    ),
    "flask": ("frameworks.flask_app",),
    "django": (
        "frameworks.django_app.asgi",
        "frameworks.django_app.settings",
        "frameworks.django_app.urls",
        "frameworks.django_app.views",
    ),
    "tornado": ("frameworks.tornado_app",),
}
"""The modules of each REST implementation, its entry point first. The framework-free modules
all four share (gateway/rest/problem_details.py, preconditions.py, json_body.py, links.py,
xml_form.py, refusals.py) count for none of them; Tornado's /ws (tornado_ws.py) is not REST."""
