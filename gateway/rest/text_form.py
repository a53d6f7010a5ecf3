"""The plain-text form of a REST representation: a summary to read in a terminal.

One `name: value` line per field, lists joined with commas, the entries of a collection
numbered and indented, and the links last, so `curl` shows a book the way a person would
write it down.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INDENT = "  "


def to_text(heading: str, data: Mapping[str, Any]) -> bytes:
    lines = [heading, *_lines(data, "")]
    return ("\n".join(lines) + "\n").encode()


def _lines(data: Mapping[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        if key == "_links" or value is None:
            continue
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            lines.append(f"{indent}{key}:")
            for number, item in enumerate(value, 1):
                lines.append(f"{indent}{INDENT}{number}.")
                lines.extend(_lines(item, indent + INDENT * 2))
        elif isinstance(value, list):
            lines.append(f"{indent}{key}: {', '.join(_text(item) for item in value)}")
        elif isinstance(value, Mapping):
            lines.append(f"{indent}{key}:")
            lines.extend(_lines(value, indent + INDENT))
        else:
            lines.append(f"{indent}{key}: {_text(value)}")
    links = data.get("_links")
    if links:
        lines.append(f"{indent}links:")
        lines.extend(f"{indent}{INDENT}{rel}: {link['href']}" for rel, link in links.items())
    return lines


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
