"""Programs from the operating system that some tests need, and what happens without them.

On a developer's machine a missing program skips its tests, with a reason that names the
package and the command that installs it. CI installs them (.ci/run) and then sets
`ROSETTA_<NAME>_TESTS=required`, so there a test that cannot find its program fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class SystemProgram:
    name: str  # also the NAME of its ROSETTA_<NAME>_TESTS variable
    debian_package: str
    why_unavailable: Callable[[], str | None]

    @property
    def required(self) -> bool:
        return os.environ.get(f"ROSETTA_{self.name.upper()}_TESTS") == "required"

    def need(self) -> None:
        """Skips the calling test where the program is missing, or fails it where required."""
        reason = self.why_unavailable()
        if reason is None:
            return
        reason += (
            f": install the Debian package {self.debian_package} "
            f"(`apt-get install {self.debian_package}`, as root)"
        )
        if self.required:
            pytest.fail(f"{reason}; ROSETTA_{self.name.upper()}_TESTS=required", pytrace=False)
        pytest.skip(reason)


def _curl_missing() -> str | None:
    return None if shutil.which("curl") else "curl is not installed"


CURL = SystemProgram("curl", "curl", _curl_missing)
