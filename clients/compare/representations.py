"""`rosetta compare OPERATION key=value --representations`: one REST read in every format.

The request is the one clients/rest.py makes for the operation; the formats are the media
types the gateway's OpenAPI document declares for it. Each answer's body is counted, and the
XML is read back into the JSON's fields to check that both carry the same values: HTML and
plain text are for reading, so they are counted, not compared.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree

from clients.arguments import ArgumentError, describe
from clients.rest import RestClient
from services.operations import CHANGES

JSON = "application/json"
XML = "application/xml"


@dataclass(frozen=True)
class Representation:
    media_type: str
    body_bytes: int
    same_as_json: bool | None  # None: not compared


@dataclass(frozen=True)
class Representations:
    call: str
    path: str
    found: tuple[Representation, ...]

    @property
    def equal(self) -> bool:
        return all(r.same_as_json is not False for r in self.found)


def compare_representations(url: str, operation: str, arguments: dict[str, Any]) -> Representations:
    if operation in CHANGES:
        raise ArgumentError(
            f"--representations reads one resource in each format; {operation} is a change"
        )
    sent: list[httpx.Request] = []
    with httpx.Client(
        base_url=f"{url}/rest", headers={"Accept": JSON}, event_hooks={"request": [sent.append]}
    ) as http:
        client = RestClient(url, http=http)
        getattr(client, operation)(**arguments)
        request = sent[-1]
        answers = {
            media: http.get(request.url, headers={"Accept": media})
            for media in _documented_media_types(http, operation)
        }
    for answer in answers.values():
        answer.raise_for_status()
    json_leaves = dict(_json_leaves(answers[JSON].json()))
    found = tuple(
        Representation(
            media,
            len(answer.content),
            json_leaves == dict(_xml_leaves(answer.content)) if media == XML else None,
        )
        for media, answer in answers.items()
    )
    return Representations(describe(operation, arguments), request.url.raw_path.decode(), found)


def render(result: Representations) -> str:
    lines = [
        f"### {result.call}: GET {result.path} in each representation",
        "",
        "| media type | body bytes | same values as JSON |",
        "|---|---:|---|",
    ]
    for found in result.found:
        if found.media_type == JSON:
            same = "baseline"
        elif found.same_as_json is None:
            same = "- (for reading)"
        else:
            same = "yes" if found.same_as_json else "NO"
        lines.append(f"| {found.media_type} | {found.body_bytes} | {same} |")
    return "\n".join(lines) + "\n"


def _documented_media_types(http: httpx.Client, operation: str) -> list[str]:
    document = http.get("/openapi.json").raise_for_status().json()
    for operations in document["paths"].values():
        for declared in operations.values():
            if declared.get("operationId") == operation:
                return list(declared["responses"]["200"]["content"])
    raise LookupError(f"the gateway's OpenAPI document has no operation {operation!r}")


Leaf = tuple[str, str]


def _json_leaves(data: Any, path: str = "") -> Iterator[Leaf]:
    """(path, text) for every value, as XML would write it: lists by position, links by rel."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key == "_links":
                for rel, link in value.items():
                    yield f"{path}link[{rel}]", link["href"]
            else:
                yield from _json_leaves(value, f"{path}{key}.")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _json_leaves(item, f"{path}{index}.")
    elif data is not None:
        yield (
            path.rstrip("."),
            ("true" if data else "false") if isinstance(data, bool) else str(data),
        )


def _xml_leaves(body: bytes) -> Iterator[Leaf]:
    yield from _element_leaves(etree.fromstring(body), "")


def _element_leaves(element: etree._Element, path: str) -> Iterator[Leaf]:
    """A resource's children: links, lists (a wrapper of entries) and plain fields."""
    for child in element:
        name = str(child.tag)
        if name == "link":
            yield f"{path}link[{child.get('rel')}]", child.get("href") or ""
        elif len(child):
            for index, entry in enumerate(child):
                entry_path = f"{path}{name}.{index}"
                if len(entry):
                    yield from _element_leaves(entry, f"{entry_path}.")
                else:
                    yield entry_path, entry.text or ""
        elif child.text is not None:
            yield f"{path}{name}", child.text
