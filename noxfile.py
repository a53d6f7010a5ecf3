"""The test suite on each supported Python this machine has; `make test-all` runs it.

The versions are pyproject.toml's classifiers, the ones Rosetta is tested on. A version the
machine lacks is skipped, never downloaded. Arguments after `--` go to pytest:
`nox -s tests -- tests/unit`.
"""

from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHONS = nox.project.python_versions(nox.project.load_toml(ROOT / "pyproject.toml"))

# The tests that call every operation through every protocol, and `rosetta serve` through
# each protocol's own client: CI runs them on each Python other than the default one, whose
# whole suite `make test` runs.
EVERY_PROTOCOL = [
    "tests/unit",
    "tests/integration/test_cross_protocol.py",
    "tests/integration/test_clients.py",
    "tests/integration/test_operation_table.py",
    "tests/integration/test_serve_protocols.py",
]

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False
nox.options.download_python = "never"
# Each run installs the project again, so a reused environment is never stale.
nox.options.reuse_venv = "yes"


def install(session: nox.Session) -> None:
    session.install("--quiet", "-e", ".[dev,frameworks]")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite, or the pytest arguments given after `--`."""
    install(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHONS)
def protocols(session: nox.Session) -> None:
    """The unit tests and the tests of every operation through every protocol."""
    install(session)
    session.run("pytest", *(path for path in EVERY_PROTOCOL if (ROOT / path).exists()))
