"""docs/guide.md and docs/guide.fr.md, run: every sample against a live gateway, as printed.

Samples are run as the README's are (tests/integration/test_readme.py): the documented URL
becomes the live gateway's, `.venv/bin/` this environment's. A `# prints: TEXT` line in a
sample is a promise to the reader, checked: TEXT must be in what the sample printed.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_readme import ROOT, environment, free_port, localised
from tests.live import LiveGateway
from tests.system_programs import CURL

GUIDES = ("guide.md", "guide.fr.md")
# Fences with an info string, so that ```console (shown, not run here) is told apart.
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
PROMISE = re.compile(r"#\s*(?:prints|affiche)\s*:\s*(.+)$", re.MULTILINE)
BIN = str(Path(sys.executable).parent)
# A sample that starts a gateway of its own (with an API token) does it on this port, which
# the test moves to a free one.
OWN_GATEWAY_PORT = "8001"


def samples(guide: str) -> list[tuple[str, str]]:
    text = (ROOT / "docs" / guide).read_text()
    return [(lang, body) for lang, body in FENCE.findall(text) if lang in ("sh", "python")]


def cases() -> list[object]:
    return [
        pytest.param(guide, index, id=f"{guide}-{index}-{lang}")
        for guide in GUIDES
        for index, (lang, _) in enumerate(samples(guide))
    ]


# A string with a space in it, or a label ending in a colon, is prose, translated with the
# guide; other strings are code.
SHELL_PROSE = re.compile(r""""[^"\n]* [^"\n]*"|'[^'\n]* [^'\n]*'""")


def _is_prose(literal: str) -> bool:
    return " " in literal or literal.rstrip("\"'").endswith(":")


# Python 3.12 tokenizes an f-string into parts (PEP 701); 3.11 gives it as one STRING token.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


def _whole_strings(tokens: Iterator[tokenize.TokenInfo]) -> Iterator[tuple[int, str]]:
    """The tokens, with each f-string joined back into one STRING token, as 3.11 reads it."""
    depth, parts = 0, []
    for token in tokens:
        if token.type == _FSTRING_START:
            depth += 1
        if depth:
            parts.append(token.string)
            if token.type == _FSTRING_END:
                depth -= 1
                if not depth:
                    yield tokenize.STRING, "".join(parts)
                    parts = []
            continue
        yield token.type, token.string


def code_only(lang: str, body: str) -> list[str]:
    """The sample without its comments and prose strings: what must be the same in every
    language."""
    if lang == "python":
        tokens = _whole_strings(tokenize.generate_tokens(io.StringIO(body).readline))
        kept = [
            (kind, "..." if kind == tokenize.STRING and _is_prose(text) else text)
            for kind, text in tokens
            if kind not in (tokenize.COMMENT, tokenize.NL)
        ]
        return tokenize.untokenize(kept).split()
    lines = (SHELL_PROSE.sub("...", re.sub(r"\s+#.*$", "", line)) for line in body.splitlines())
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_each_guide_runs_the_same_samples() -> None:
    english, french = (samples(guide) for guide in GUIDES)
    assert len(english) >= 15
    assert [(lang, code_only(lang, body)) for lang, body in french] == [
        (lang, code_only(lang, body)) for lang, body in english
    ]


@pytest.mark.parametrize(("guide", "index"), cases())
def test_guide_sample_runs_and_prints_what_it_promises(
    gateway: LiveGateway, guide: str, index: int
) -> None:
    lang, body = samples(guide)[index]
    port = str(free_port())
    code = localised(body, gateway)
    code = code.replace(f"127.0.0.1:{OWN_GATEWAY_PORT}", f"127.0.0.1:{port}")
    code = code.replace(f"--port {OWN_GATEWAY_PORT}", f"--port {port}")
    if lang == "sh":
        if "curl " in code:
            CURL.need()
        command = ["bash", "-euo", "pipefail", "-c", code.replace(".venv/bin/", f"{BIN}/")]
    else:
        command = [sys.executable, "-c", code]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=environment(gateway),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for promise in PROMISE.findall(body):
        assert promise.strip() in done.stdout, f"{promise!r} not in:\n{done.stdout}"


@pytest.mark.parametrize("guide", GUIDES)
def test_every_image_and_link_of_the_guide_is_there(guide: str) -> None:
    text = (ROOT / "docs" / guide).read_text()
    targets = re.findall(r"\]\(([^)#]+)\)", text)
    local = [target for target in targets if "://" not in target]
    assert "images/demo.png" in local
    for target in local:
        assert (ROOT / "docs" / target).exists(), target
