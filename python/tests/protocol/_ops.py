"""Ops of the protocol tests, pickled BY VALUE like ops defined in a user's `__main__` (§4.4):
the worker needs no copy of this module, only what the op imports when it runs."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from typing import Any

import cloudpickle

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def probe(fn: str, exit: int = 0) -> Callable[..., Any]:
    """An op named `fn` that prints where it runs and a fresh marker, then returns the sum of its
    int arguments plus `lzy_protocol_probe.INCREMENT` (a plain local module, §4.5) — or, with
    `exit`, writes "op refused: <marker>" on stderr and exits with that code."""
    marker = f"marker-{uuid.uuid4().hex}"

    def op(*values: int) -> int:
        import os
        import site
        import sys

        import ai

        print(f"marker: {marker}")
        if exit:
            print(f"op refused: {marker}", file=sys.stderr)
            sys.exit(exit)
        print(f"startup file: {os.path.abspath(sys.modules['__main__'].__file__)}")
        print(f"site-packages[0]: {os.path.abspath(site.getsitepackages()[0])}")
        print(f"ai package: {os.path.abspath(ai.__file__)}")
        print(f"python: {sys.version_info.major}.{sys.version_info.minor}")
        import lzy_protocol_probe

        return sum(values) + lzy_protocol_probe.INCREMENT

    op.__name__ = op.__qualname__ = fn
    op.marker = marker  # type: ignore[attr-defined]
    return op
