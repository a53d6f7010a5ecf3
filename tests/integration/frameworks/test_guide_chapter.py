"""The guide's frameworks chapter: its code is the real code, its figures are generated.

Every ```python file=PATH excerpt must appear, verbatim, in PATH (which the contract suite
runs); the committed comparison must have exactly the structure of a fresh one, only the
measured numbers differ.
"""

from __future__ import annotations

import re

import pytest

from clients.compare.frameworks import compare_frameworks
from clients.compare.report import render
from tests.integration.rest.support import SAMPLE_ISBN
from tests.integration.test_readme import ROOT

GUIDES = ("guide.md", "guide.fr.md")
EXCERPT = re.compile(r"^```python file=(\S+)\n(.*?)^```", re.DOTALL | re.MULTILINE)
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)
FIGURES = ROOT / "docs" / "frameworks" / "get_book.md"
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def excerpts(guide: str) -> list[tuple[str, str]]:
    return EXCERPT.findall((ROOT / "docs" / guide).read_text())


@pytest.mark.parametrize("guide", GUIDES)
def test_every_excerpt_is_the_code_of_its_file(guide: str) -> None:
    found = excerpts(guide)
    assert {path for path, _ in found} == {
        "gateway/rest/books.py",
        "frameworks/flask_app.py",
        "frameworks/django_app/views.py",
        "frameworks/tornado_app.py",
    }
    for path, code in found:
        assert code in (ROOT / path).read_text(), f"{guide}: this excerpt is not in {path}"


def test_both_guides_show_the_same_code_and_command() -> None:
    english, french = (excerpts(guide) for guide in GUIDES)
    assert english == french
    commands = [
        {
            line
            for body in CONSOLE.findall((ROOT / "docs" / g).read_text())
            for line in body.split("\n")
            if "--frameworks" in line
        }
        for g in GUIDES
    ]
    assert (
        commands[0]
        == commands[1]
        == {
            f".venv/bin/rosetta compare --frameworks get_book isbn={SAMPLE_ISBN} --format markdown"
            " > frameworks-get_book.md"
        }
    )


@pytest.mark.timeout(600)  # each implementation's import is timed in fresh interpreters
def test_the_committed_figures_have_the_structure_of_a_fresh_run(
    servers: dict[str, str],
) -> None:
    fresh = render(compare_frameworks(servers, "get_book", {"isbn": SAMPLE_ISBN}, 2), "markdown")

    def structure(report: str) -> list[str]:
        return [NUMBER.sub("N", line) for line in report.splitlines()]

    assert structure(FIGURES.read_text()) == structure(fresh)
