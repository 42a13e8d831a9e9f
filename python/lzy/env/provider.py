"""Finds what an op needs on the worker: pinned PyPI libraries and local modules.

pylzy's automatic provider walked everything reachable from the caller's globals and asked PyPI
which distributions exist. We walk from the op function itself (its code's global names, closure,
annotations, the modules those live in, transitively through local modules) and pin every installed
distribution found at the client's exact version, without asking PyPI.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lzy.proxy import is_proxy

# Shipped as local modules (like pylzy, whose own packages were not installable on the worker).
SDK_PACKAGES = ("lzy", "ai")
ALWAYS_PINNED = ("cloudpickle",)


@dataclass
class PyEnv:
    python_version: str
    libraries: dict[str, str] = field(default_factory=dict)
    local_modules: list[str] = field(default_factory=list)


def client_python_version() -> str:
    v = sys.version_info
    return f"{v.major}.{v.minor}.{v.micro}"


def _stdlib_dirs() -> set[str]:
    paths = sysconfig.get_paths()
    return {str(Path(paths[k]).resolve()) for k in ("stdlib", "platstdlib") if k in paths}


def _code_names(code: types.CodeType) -> Iterable[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _referenced_objects(func: Callable[..., Any]) -> Iterable[Any]:
    code = getattr(func, "__code__", None)
    if code is None:
        return
    globs = getattr(func, "__globals__", {})
    for name in _code_names(code):
        if name in globs:
            yield globs[name]
    for cell in getattr(func, "__closure__", None) or ():
        try:
            yield cell.cell_contents
        except ValueError:
            continue
    yield from getattr(func, "__annotations__", {}).values()


def _module_name_of(obj: Any) -> str | None:
    if is_proxy(obj):  # a lazy result: never load it just to find its module
        return None
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    name = getattr(obj, "__module__", None)
    if isinstance(name, str):
        return name
    return getattr(type(obj), "__module__", None)


class AutomaticPyEnvProvider:
    def __init__(self) -> None:
        self._distributions: Mapping[str, list[str]] = importlib.metadata.packages_distributions()
        self._stdlib = _stdlib_dirs()

    def provide(self, funcs: Iterable[Callable[..., Any]], values: Iterable[Any] = ()) -> PyEnv:
        env = PyEnv(client_python_version())
        for lib in ALWAYS_PINNED:
            env.libraries[lib] = importlib.metadata.version(lib)
        seen: set[str] = set()
        pending: list[str] = []
        for func in funcs:
            for obj in _referenced_objects(func):
                if (name := _module_name_of(obj)) is not None:
                    pending.append(name)
            if (own := getattr(func, "__module__", None)) is not None:
                pending.append(own)
        pending.extend(n for v in values if (n := _module_name_of(v)) is not None)
        local: dict[str, str] = {}
        while pending:
            top = pending.pop().split(".")[0]
            if top in seen:
                continue
            seen.add(top)
            self._classify(top, env, local, pending)
        env.local_modules = sorted(local.values())
        return env

    def _classify(self, top: str, env: PyEnv, local: dict[str, str], pending: list[str]) -> None:
        if top in ("__main__", "builtins") or top in sys.stdlib_module_names or top in SDK_PACKAGES:
            return
        if top in self._distributions:
            for dist in self._distributions[top]:
                try:
                    env.libraries[dist] = importlib.metadata.version(dist)
                except importlib.metadata.PackageNotFoundError:
                    continue
            return
        module = sys.modules.get(top)
        file = getattr(module, "__file__", None)
        if module is None or file is None:
            return
        resolved = Path(file).resolve()
        if any(str(resolved).startswith(d) for d in self._stdlib) or "site-packages" in resolved.parts:
            return
        local[top] = str(resolved.parent if resolved.name == "__init__.py" else resolved)
        for value in list(vars(module).values()):
            name = _module_name_of(value)
            if name is not None:
                pending.append(name)
            if inspect.isfunction(value):
                pending.extend(n for o in _referenced_objects(value) if (n := _module_name_of(o)) is not None)


def sdk_local_modules() -> list[str]:
    """Directories of the `lzy` and `ai` packages this client runs with."""
    import ai
    import lzy

    return [str(Path(pkg.__file__).resolve().parent) for pkg in (lzy, ai) if pkg.__file__]
