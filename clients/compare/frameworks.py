"""`rosetta compare --frameworks`: one REST call through FastAPI, Flask, Django and Tornado.

The same measuring as the protocol comparison, with the REST client every time: the counting
proxy's wire pass (clients/compare/measure.py), then fresh and warm clients timed, frameworks
taking turns call by call. Each framework serves its own database, seeded at its own start,
so `updated_at` is masked when the answers are compared. Beside the figures, each
implementation is weighed: its lines of code, the packages it installs, its import time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from clients.arguments import describe
from clients.compare.measure import CompareError, latency_pass, wire_pass
from clients.compare.results import Comparison, Measurement
from clients.compare.scratch import MASKED, Scratchpad
from clients.compare.servers import framework_server
from clients.compare.weight import (
    Weight,
    import_ms,
    lines_of_code,
    packages_needed,
    source_of,
    third_party_imports,
)
from clients.equality import differences
from clients.interface import UNREACHABLE
from clients.rest import RestClient
from frameworks.serving import FRAMEWORKS, IMPLEMENTATIONS
from services.operations import CHANGES

SUBJECT = "FastAPI, Flask, Django and Tornado"
SEEDED_AT = ("updated_at",)  # each server seeds its own database when it starts


@contextmanager
def framework_urls(given: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The URL of every framework: those given, and a fresh server for each of the others."""
    with ExitStack() as servers:
        urls = {
            name: given.get(name) or servers.enter_context(framework_server(name))
            for name in FRAMEWORKS
        }
        yield {name: url.rstrip("/") for name, url in urls.items()}


def weigh_implementation(framework: str) -> Weight:
    modules = IMPLEMENTATIONS[framework]
    paths = [source_of(module) for module in modules]
    sources = [path.read_text() for path in paths]
    imports = tuple(sorted({name for source in sources for name in third_party_imports(source)}))
    project = paths[0].parents[len(modules[0].split(".")) - 1]
    shown = [str(path.relative_to(project)) for path in paths]
    return Weight(
        module=modules[0],
        file=shown[0]
        if len(shown) == 1
        else f"{paths[0].parent.relative_to(project)}/ ({len(shown)} files)",
        lines_of_code=sum(lines_of_code(source) for source in sources),
        imports=imports,
        packages=packages_needed(imports),
        import_ms=import_ms(modules[0]),
    )


def compare_frameworks(
    urls: Mapping[str, str],
    operation: str,
    arguments: dict[str, Any],
    runs: int,
    token: str | None = None,
    weights: bool = True,
) -> Comparison:
    helpers = {name: RestClient(url, token=token) for name, url in urls.items()}
    try:
        pads = {name: Scratchpad(helpers[name], operation, arguments) for name in urls}
        try:
            wire = {
                name: wire_pass(url, "rest", operation, pads[name], token)
                for name, url in urls.items()
            }
            makers = {n: functools.partial(RestClient, url, token=token) for n, url in urls.items()}
            timings = latency_pass(makers, operation, pads, runs)
        finally:
            for pad in pads.values():
                pad.clean()
    except UNREACHABLE as error:
        raise CompareError(f"lost a framework's server: {error}") from None
    finally:
        for helper in helpers.values():
            helper.close()
    measurements = {
        name: Measurement(**{**wire[name], "protocol": name}, **timings[name]) for name in urls
    }
    masked = (*MASKED.get(operation, ()), *SEEDED_AT)
    return Comparison(
        operation=operation,
        call=describe(operation, arguments),
        runs=runs,
        scratch=operation in CHANGES,
        masked=masked,
        measurements=measurements,
        differences=differences({n: m.answer for n, m in measurements.items()}, ignore=masked),
        weights={name: weigh_implementation(name) for name in urls} if weights else {},
        subject=SUBJECT,
        weighed="implementation",
    )
