"""How heavy each client is: its lines of code, what it imports, and how long importing takes.

Lines of code count the lines of the client's own file that hold code: not blank, not a
comment, not a docstring. The shared `clients/interface.py` is left out of all three.
Third-party imports are read from the file's syntax tree; the installed packages they pull
in follow the distributions' requirements. Import time is `python -X importtime` of the client
module in a fresh interpreter, the median of a few, so no cache of this process helps.
"""

from __future__ import annotations

import ast
import functools
import io
import statistics
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

FIRST_PARTY = frozenset({"clients", "services", "gateway", "demo", "rosetta", "frameworks"})
IMPORT_SAMPLES = 3
MODULES = {"rest": "clients.rest", "soap": "clients.soap", "websocket": "clients.ws"}


@dataclass(frozen=True)
class Weight:
    module: str
    file: str  # relative to the project, as a reader would open it
    lines_of_code: int
    imports: tuple[str, ...]  # third-party modules the file imports
    packages: tuple[str, ...]  # installed distributions those imports need, all the way down
    import_ms: float


def source_of(module: str) -> Path:
    spec = util.find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"cannot find the source of {module}")
    return Path(spec.origin)


def lines_of_code(source: str) -> int:
    """Lines that carry a token of code: blank lines, comments and docstrings do not count."""
    docstrings = _docstring_lines(ast.parse(source))
    lines: set[int] = set()
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in skipped or token.type == tokenize.ENDMARKER:
            continue
        lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in docstrings)
    return len(lines)


def third_party_imports(source: str) -> tuple[str, ...]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return tuple(
        sorted(n for n in found if n not in sys.stdlib_module_names and n not in FIRST_PARTY)
    )


def packages_needed(imports: tuple[str, ...]) -> tuple[str, ...]:
    """The installed distributions that provide these modules, and everything they require."""
    providers = metadata.packages_distributions()
    pending = [dist for module in imports for dist in providers.get(module, [])]
    seen: dict[str, str] = {}
    while pending:
        name = pending.pop()
        key = _canonical(name)
        if key in seen:
            continue
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = distribution.metadata["Name"]
        for line in distribution.requires or ():
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            # Extras are optional: only what a plain install of the package brings counts.
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return tuple(sorted(seen.values(), key=str.lower))


def import_ms(module: str, samples: int = IMPORT_SAMPLES) -> float:
    times = []
    for _ in range(samples):
        try:
            # The command is this interpreter and a module name from MODULES, never user input.
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-X", "importtime", "-c", f"import {module}"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        except subprocess.SubprocessError as error:
            raise LookupError(f"cannot time the import of {module}: {error}") from None
        times.append(_cumulative_us(done.stderr, module) / 1000)
    return round(statistics.median(times), 1)


@functools.cache
def weigh(protocol: str) -> Weight:
    module = MODULES[protocol]
    path = source_of(module)
    source = path.read_text()
    imports = third_party_imports(source)
    return Weight(
        module=module,
        file=f"clients/{path.name}",
        lines_of_code=lines_of_code(source),
        imports=imports,
        packages=packages_needed(imports),
        import_ms=import_ms(module),
    )


def _cumulative_us(report: str, module: str) -> int:
    # Lines read "import time: self [us] | cumulative | imported package".
    for line in report.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == module:
            return int(parts[1].strip())
    raise LookupError(f"python -X importtime did not report {module}")


def _docstring_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0] if node.body else None
        value = first.value if isinstance(first, ast.Expr) else None
        if first is not None and isinstance(value, ast.Constant) and isinstance(value.value, str):
            lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")
