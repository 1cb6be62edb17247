"""Run a callback the moment a module is imported, without importing it now.

The env ids must be in Gymnasium's registry whenever Gymnasium is loaded after
``import synthcomp``, but importing Gymnasium (and numpy with it) costs ~0.2 s that
commands which never make an env, ``synthcomp render`` first of all, should not pay.
Gymnasium 1.x has no plugin entry points, so registering means calling its
``register`` once it is loaded: a one-shot finder on ``sys.meta_path`` wraps the
module's loader and calls back right after the module has executed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any


def after_import(name: str, callback: Callable[[], None]) -> None:
    """Call ``callback`` now if module ``name`` is loaded, else right after it is first imported."""
    if name in sys.modules:
        callback()
        return
    sys.meta_path.insert(0, _Finder(name, callback))


class _Finder:
    """Finds ``name`` through the other finders and hands back its spec with a calling-back loader.

    Duck-typed (a meta path finder needs only ``find_spec``): ``importlib.abc`` imports
    ``importlib.resources`` and ``tempfile``, ~15 ms of start-up for nothing."""

    def __init__(self, name: str, callback: Callable[[], None]) -> None:
        self.name = name
        self.callback = callback
        self._finding = False  # the import lock of ``name`` is held: no other thread gets here meanwhile

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname != self.name or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return None
        spec.loader = _Loader(spec.loader, self)
        return spec


class _Loader:
    """The module's own loader, then the callback; afterwards the module shows only its own loader."""

    def __init__(self, loader: Any, finder: _Finder) -> None:
        self.loader = loader
        self.finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        self.finder.callback()
