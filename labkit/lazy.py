"""Lazy package exports: a name is imported from its module the first time someone uses it.

Keeps `import labkit.<package>` light (no moto, boto3, pandas or ipywidgets until needed) while the package
still lists its public names in `__all__`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level `__getattr__` and `__dir__` for a package whose names live in `exports` (name -> module)."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(set(import_module(package).__dict__) | set(exports))

    return __getattr__, __dir__
