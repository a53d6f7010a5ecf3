"""Lets spyne 2.14 import on Python 3.12 and later; import this before spyne.

spyne 2.14.0 (its last release) bundles six 1.14 as ``spyne.util.six``, whose importer of
``spyne.util.six.moves*`` offers only ``find_module``/``load_module``. Python 3.12 stopped
calling those, so ``import spyne`` fails there. This finder answers ``find_spec`` for those
names and lets spyne's own bundled importer build the modules, as six 1.16 does. (Python 3.13
also removed ``cgi``, which spyne imports: the ``legacy-cgi`` dependency brings it back.)

Remove this module, and legacy-cgi, once a spyne release ships six 1.16 or later (spyne's
master already does, since arskom/spyne#704) and avoids ``cgi``.
"""

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any, Protocol

MOVES = "spyne.util.six.moves"


class SixImporter(Protocol):
    """The part of six's ``_SixMetaPathImporter`` this finder leans on."""

    known_modules: dict[str, Any]

    def load_module(self, fullname: str) -> ModuleType: ...

    def is_package(self, fullname: str) -> bool: ...


def bundled_importer() -> SixImporter | None:
    """spyne's six importer, once ``spyne.util.six`` has run and registered it."""
    six = sys.modules.get("spyne.util.six")
    importer: SixImporter | None = getattr(six, "_importer", None)
    return importer


class SixMovesFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Speaks ``find_spec`` for the ``moves`` that spyne's bundled six knows how to build."""

    def __init__(self) -> None:
        # A move such as collections_abc is the standard module itself: importing it under
        # its six name must not leave it with that name's spec.
        self.own_specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        importer = bundled_importer()
        if not fullname.startswith(MOVES) or importer is None:
            return None
        if fullname not in importer.known_modules:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, self, is_package=importer.is_package(fullname)
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        importer = bundled_importer()
        assert importer is not None  # find_spec answered only once it was there
        module = importer.load_module(spec.name)
        if module.__name__ != spec.name and module.__spec__ is not None:
            self.own_specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # load_module built the module whole; a standard module only gets its own spec back.
        if module.__name__ in self.own_specs:
            module.__spec__ = self.own_specs.pop(module.__name__)


def install() -> None:
    """Puts the finder on ``sys.meta_path`` once, ahead of spyne's own importer."""
    if not any(isinstance(finder, SixMovesFinder) for finder in sys.meta_path):
        sys.meta_path.append(SixMovesFinder())


install()
