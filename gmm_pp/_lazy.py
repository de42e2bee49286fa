"""Packages whose names load their module on first use (PEP 562)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["lazy_names"]


def lazy_names(package: str, names: dict[str, str], eager) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for a package whose ``names`` load their module on use.

    Parameters
    ----------
    package : str
        The package's name (for the error message).
    names : dict
        ``{name: module}``.
    eager : iterable of str
        The names the package defines itself (``globals()``), for ``dir()``.
    """

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted([*eager, *names])

    return __getattr__, __dir__
