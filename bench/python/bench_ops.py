"""Ops of the Python benchmarks (a module of its own: the worker imports only what ops use)."""

from lzy.api.v1 import op


@op
def inc(x: int) -> int:
    """The no-op of a chain: its input plus one (a result must flow op → op)."""
    return x + 1


@op
def total(*values: int) -> int:
    """The reduce of the fan-out: consumes every result."""
    return sum(values)


@op
def produce(size: int) -> bytes:
    """`size` bytes (zeros: generation is ~free), pickled by the SDK as any `bytes` result."""
    return bytes(size)


@op
def length(data: bytes) -> int:
    return len(data)
