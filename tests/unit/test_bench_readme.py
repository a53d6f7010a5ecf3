"""The README's benchmark figures are the ones bench/results/results.json holds."""

from __future__ import annotations

import json

from bench import readme


def test_the_readme_block_is_what_the_committed_results_give() -> None:
    text = readme.README.read_text()
    assert text.count(readme.BEGIN) == text.count(readme.END) == 1
    assert readme.updated(text, json.loads(readme.RESULTS.read_text())) == text


def test_the_block_follows_the_results() -> None:
    results = json.loads(readme.RESULTS.read_text())
    results["floor"]["get_book"] = 400.0
    assert "The service alone costs 400 µs of CPU per get_book" in readme.block(results)


def test_the_make_bench_recipe_writes_the_readme() -> None:
    makefile = (readme.ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/python -m bench.readme" in recipe
