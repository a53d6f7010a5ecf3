"""Every `make` target the README names exists, and CI or a test runs it, in full or in brief."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()

# Where each target runs, and the words in that file that run it.
RUN_BY: dict[str, tuple[str, str]] = {
    "run": ("tests/integration/test_readme.py", '["make", "--no-print-directory", "run"]'),
    "test": (".ci/run", "\nmake test\n"),
    "test-all": (".ci/run", "-o lint test-all"),
    "lint": ("Makefile", "test: lint"),
    # `make test` checks what `make format` writes: lint runs `ruff format --check`.
    "format": ("Makefile", "$(BIN)/ruff format --check ."),
    # The full runs take minutes; a test runs the quick or the narrowed form of each.
    "bench": ("tests/integration/test_bench_quick.py", '"-m", "bench", "--quick"'),
    "bench-quick": ("tests/integration/test_bench_quick.py", '"-m", "bench", "--quick"'),
    "test-stress": ("tests/unit/test_stress.py", "stress.main("),
    "soak": ("tests/integration/test_load_mixed.py", "tests.load.mixed"),
}


def named_targets() -> set[str]:
    return set(re.findall(r"\bmake ([a-z][a-z-]*)", README))


def test_every_target_the_readme_names_is_in_the_makefile() -> None:
    for target in named_targets():
        assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.MULTILINE), target


def test_every_target_the_readme_names_is_run_by_ci_or_a_test() -> None:
    assert named_targets() <= set(RUN_BY), named_targets() - set(RUN_BY)
    for target in named_targets():
        where, words = RUN_BY[target]
        assert words in (ROOT / where).read_text(), (target, where)
