"""The Python SDK's side of bench/src/python-sdk.ts: runs workloads through `lzy` (python/) against
the installation in LZY_ENDPOINT, LZY_WHITEBOARD_ENDPOINT, LZY_USER, LZY_KEY_PATH and prints one JSON
line per measurement on stdout (times in ms, from time.perf_counter). Results are checked; a wrong
one raises (exit 1).

    python bench_sdk.py first
    python bench_sdk.py workloads --chain 20 --fan-out 1000 --bytes 268435456
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_ops  # noqa: E402

from lzy.api.v1 import Lzy  # noqa: E402


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def first(lzy: Lzy) -> None:
    """One op in a fresh workflow: the cold path (portal VM, worker VM, op environment)."""
    start = time.perf_counter()
    with lzy.workflow("bench-py-first", interactive=False):
        if bench_ops.inc(0) != 1:
            raise AssertionError("first result is wrong")
    emit(kind="first", ms=ms_since(start))


def chain(lzy: Lzy, n: int) -> None:
    """After one op warmed a worker and the op environment: a chain of n ops in one graph."""
    with lzy.workflow("bench-py-warm-op", interactive=False):
        warm_start = time.perf_counter()
        if bench_ops.inc(0) != 1:
            raise AssertionError("warm-up result is wrong")
        warm_ms = ms_since(warm_start)
        start = time.perf_counter()
        result = bench_ops.inc(0)
        for _ in range(1, n):
            result = bench_ops.inc(result)
        if result != n:
            raise AssertionError(f"chain result {result}, expected {n}")
        emit(kind="chain", n=n, ms=ms_since(start), warm_up_ms=warm_ms)


def fan_out(lzy: Lzy, n: int) -> None:
    """n independent ops whose results one reduce op consumes, one graph."""
    with lzy.workflow("bench-py-fan-out", interactive=False):
        if bench_ops.inc(0) != 1:
            raise AssertionError("warm-up result is wrong")
        start = time.perf_counter()
        reduced = bench_ops.total(*[bench_ops.inc(i) for i in range(n)])
        if reduced != n * (n + 1) // 2:
            raise AssertionError(f"fan-out + reduce: {reduced}")
        emit(kind="fan-out", n=n, ms=ms_since(start))


def op_to_op(lzy: Lzy, size: int) -> None:
    """`produce(size)` → `length`: the consumer reads the producer's result while the S3 copy is
    written; the graph completes when that copy is done. Also a 1-byte run (the fixed cost)."""
    with lzy.workflow("bench-py-op-to-op", interactive=False):
        if bench_ops.length(bench_ops.produce(1)) != 1:
            raise AssertionError("warm-up result is wrong")
        start = time.perf_counter()
        if bench_ops.length(bench_ops.produce(1)) != 1:
            raise AssertionError("1-byte result is wrong")
        small_ms = ms_since(start)
        start = time.perf_counter()
        if bench_ops.length(bench_ops.produce(size)) != size:
            raise AssertionError("big result is wrong")
        emit(kind="op-to-op", bytes=size, ms=ms_since(start), small_ms=small_ms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["first", "workloads"])
    parser.add_argument("--chain", type=int, default=20)
    parser.add_argument("--fan-out", type=int, default=1000)
    parser.add_argument("--bytes", type=int, default=256 * 1024 * 1024)
    args = parser.parse_args()
    lzy = Lzy()
    if args.what == "first":
        first(lzy)
        return
    chain(lzy, args.chain)
    fan_out(lzy, args.fan_out)
    op_to_op(lzy, args.bytes)


if __name__ == "__main__":
    main()
