"""A real headless browser for the /demo page: Chromium, driven through Playwright.

Playwright drives the distribution's chromium (/usr/bin/chromium) and never downloads a
browser of its own. Where it is missing, these tests are skipped with a reason that says how
to install it (`make test` prints it in its summary), and fail in CI (tests/system_programs.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.system_programs import SystemProgram

CHROMIUM = os.environ.get("ROSETTA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def why_unavailable() -> str | None:
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        return (
            f"the browser tests of /demo need Chromium, and there is none at {CHROMIUM} "
            "(ROSETTA_CHROMIUM may name another binary)"
        )
    return None


BROWSER = SystemProgram("browser", "chromium", why_unavailable)


# Module scope, not session: while Playwright's sync API is open, the main thread has a
# running event loop, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    BROWSER.need()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A page, with every console error and every request that left the machine."""

    page: Page
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


LOCAL_PREFIXES = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "about:")


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(LOCAL_PREFIXES) else watched.outside.append(request.url)
        ),
    )
    yield watched
    context.close()
    # Every test, whatever it checked, ends with a page that logged no error.
    assert watched.errors == [], watched.errors
