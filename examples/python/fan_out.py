"""Fan-out + whiteboard with the LZY-TS Python SDK (also runs unchanged with pylzy 1.0.1).

    pip install ./python            # from the repository root (our SDK: packages `lzy` and `ai`)
    pnpm start                      # in another terminal: the local installation (~/.lzy/client.json)
    python examples/python/fan_out.py

Ten `square` ops run in parallel on workers, `total` sums them; the sum is kept on a whiteboard,
found again by its tag after the workflow ends.
"""

import dataclasses
import uuid

from lzy.api.v1 import Lzy, op, whiteboard


@op
def square(x: int) -> int:
    print(f"squaring {x}")
    return x * x


@op
def total(*values: int) -> int:
    return sum(values)


@whiteboard("fan-out-example")
@dataclasses.dataclass
class Results:
    total: int
    count: int = 0


def main() -> None:
    lzy = Lzy()
    tag = f"example-{uuid.uuid4().hex[:8]}"
    with lzy.workflow("fan-out-example", interactive=False) as wf:
        board = wf.create_whiteboard(Results, tags=[tag])
        squares = [square(i) for i in range(1, 11)]
        board.total = total(*squares)  # computed at the end of the block, written to the whiteboard
        board.count = len(squares)
    (found,) = lzy.whiteboards(name="fan-out-example", tags=[tag])
    print(f"whiteboard {found.id}: total={found.total} count={found.count}")
    assert found.total == 385


if __name__ == "__main__":
    main()
