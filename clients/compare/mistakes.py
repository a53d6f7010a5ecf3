"""Command-line mistakes that only show once the gateway is asked: a `--url` that is not a
gateway's root, a change refused for want of the token. Each is one line that says what to
type instead, and exit status 2, as for any other wrong command line.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from clients.interface import RemoteError

CHANGES_ADVICE = "pass the gateway's API token with --token TOKEN or set ROSETTA_API_TOKEN"
HTTP_SCHEMES = ("http", "https")
WEBSOCKET_SCHEMES = {"ws": "http", "wss": "https"}


class CommandLineMistake(Exception):
    """The command line asks for something that cannot work; the message names the fix."""


def url_mistake(url: str, option: str = "--url") -> CommandLineMistake | None:
    """What is wrong with the URL `option` gives, as written, before anything is sent; None if
    it may be right."""
    parts = urlsplit(url)
    if parts.scheme in WEBSOCKET_SCHEMES:
        root = f"{WEBSOCKET_SCHEMES[parts.scheme]}://{parts.netloc}"
        return CommandLineMistake(
            f"{option} {url} is a WebSocket URL: {option} takes the gateway's root over HTTP, "
            f"e.g. {root} (the WebSocket client finds /ws from it)"
        )
    if parts.scheme not in HTTP_SCHEMES or not parts.netloc:
        return CommandLineMistake(
            f"{option} {url} has no scheme: write it http://{url.removeprefix('//')}"
        )
    return None


def path_mistake(url: str, healthy: bool, option: str = "--url") -> CommandLineMistake | None:
    """A URL with a path (`.../rest`) where no gateway answers, though one answers at the root."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if healthy or not path:
        return None
    root = f"{parts.scheme}://{parts.netloc}"
    try:
        at_root = httpx.get(f"{root}/healthz", timeout=5).is_success
    except httpx.HTTPError:
        return None
    if not at_root:
        return None
    return CommandLineMistake(f"drop {path}: {option} takes the gateway's root, e.g. {root}")


def token_mistake(error: RemoteError) -> CommandLineMistake | None:
    """A refusal for want of the API token (or a wrong one), with where the token goes."""
    if error.kind != "not_allowed":
        return None
    return CommandLineMistake(
        f"{error.protocol} refused the change ({error.message}): {CHANGES_ADVICE}"
    )
