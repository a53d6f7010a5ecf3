from starlette.routing import BaseRoute

from gateway.runtime import Runtime


def routes(runtime: Runtime) -> list[BaseRoute]:
    return []
