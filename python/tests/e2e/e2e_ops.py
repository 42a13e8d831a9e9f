"""Ops of the end-to-end tests (a module without pytest, so the worker needs only what ops use)."""

import hashlib
import os
import sys
import time

import numpy as np

from lzy.api.v1 import op


class OpRefused(Exception):
    """Raised by `refuse`; defined here so the client can unpickle it by reference."""


@op
def square(x: int) -> int:
    return x * x


@op
def add(a: int, b: int) -> int:
    return a + b


@op
def scale(data: np.ndarray, factor: float) -> np.ndarray:
    return data * factor


@op
def shift(data: np.ndarray, by: float) -> np.ndarray:
    return data + by


@op
def digest(data: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()


@op
def refuse(reason: str) -> int:
    raise OpRefused(f"op refused: {reason}")


@op(libraries={"tabulate": "0.9.0"})
def tabulated(rows: int) -> str:
    import tabulate

    print(f"ENV-PREFIX {sys.prefix}", flush=True)
    return str(tabulate.tabulate([[i, i * i] for i in range(rows)], headers=["n", "n2"]))


@op
def chatty(marker: str, release_file: str) -> int:
    print(marker, flush=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(release_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    return 17


@op
def total(*values: int) -> int:
    return sum(values)
