"""A stand-in of the unchanged pylzy 1.0.1 client in its default mode, running a map-reduce.

    python/.venv/bin/python python/tests/protocol/standin_client.py [--n N]

What the user's script would be with the real client:

    @op
    def square(x: int) -> int: return x * x

    @op
    def total(*values: int) -> int: return sum(values)

    with Lzy().workflow("standin-map-reduce", interactive=False):
        print(total(*[square(i) for i in range(1, n + 1)]))

and what that client does for it (python-client-protocol.md §2.2): StartWorkflow, ReadStdSlots in
the background (op output printed as it comes), at the barrier the argument uploads (multipart),
GetAvailablePools, local modules (`lzy`, `ai`, `yaml`, `jwt`, `typing_extensions.py`; HEAD, PUT,
SigV2 presign), ExecuteGraph with the automatic provider's environment (§4.2) and pylzy's slot
naming (every input of `total` is `/<call>/square.return_0`), GraphStatus every
FETCH_STATUS_PERIOD_SEC (default 10 s, as pylzy), the result read from S3; at exit
FinishWorkflow, LongRunning.Get every 0.3 s, the std stream drained. Prints the sum last
(385 for the default n = 10). Reads LZY_ENDPOINT, LZY_WHITEBOARD_ENDPOINT, LZY_USER, LZY_KEY_PATH
(and FETCH_STATUS_PERIOD_SEC, LZY_LOG_LEVEL) like pylzy. Exit 1 if the graph fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the `protocol` package

from protocol._graph import Run, choose_pool, upload_local_modules  # noqa: E402
from protocol._pylzy import ClientEnv, StdStream, WorkflowClient  # noqa: E402
from protocol._storage import Storage, serialzy_read  # noqa: E402

WORKFLOW = "standin-map-reduce"
SYS_COLOR = "\x1b[36m"  # LZY_SYSTEM_LOG_COLOR's default, CYAN
RESET = "\x1b[0m"


def square(x: int) -> int:
    return x * x


def total(*values: int) -> int:
    return sum(values)


class _Sink(list):  # type: ignore[type-arg]
    """The std listener's list: each string printed as-is, `[SYS]` stdout lines in colour (§6.2)."""

    def __init__(self, stream: object, colour: bool) -> None:
        super().__init__()
        self.stream, self.colour = stream, colour

    def extend(self, items: object) -> None:
        for text in items:  # type: ignore[attr-defined]
            if self.colour and "[SYS]" in text:
                line = text.rstrip("\n")
                shown = f"{SYS_COLOR}{line}{RESET}{text[len(line) :]}"
            else:
                shown = text
            self.stream.write(shown)  # type: ignore[attr-defined]
            self.stream.flush()  # type: ignore[attr-defined]
            self.append(text)


async def map_reduce(env: ClientEnv, n: int) -> int:
    client = WorkflowClient(env)
    await client.ready()
    started = await client.start_workflow(WORKFLOW)
    execution_id = started.executionId
    std = StdStream(stdout=_Sink(sys.stdout, colour=True), stderr=_Sink(sys.stderr, colour=False))
    listener = asyncio.create_task(client.read_std_slots(execution_id, std))
    try:
        storage = Storage.of(started.internalSnapshotStorage)
        layout = Run(storage, WORKFLOW, execution_id)
        squares = [layout.call(square, i) for i in range(1, n + 1)]  # uploads each argument
        reduced = layout.call(total, *squares)
        pool = choose_pool(await client.get_pools(execution_id))
        modules = upload_local_modules(storage)
        graph_id = await client.execute_graph(
            layout.graph_request([*squares, reduced], pool, modules)
        )
        status = await client.wait_graph(execution_id, graph_id, timeout_s=3600)
        if status.WhichOneof("status") != "completed":
            raise RuntimeError(f"Failed executing graph {graph_id}: {status.failed.description}")
        result = int(serialzy_read(storage.get(reduced.output_uri))[1])
    except BaseException:
        await client.abort_workflow(WORKFLOW, execution_id)
        listener.cancel()
        await client.close()
        raise
    await client.finish_workflow(WORKFLOW, execution_id)
    await listener  # pylzy waits for the server to end the std stream (§6.3)
    await client.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="square 1..n, then sum (default 10)")
    n = parser.parse_args().n
    os.environ.setdefault("FETCH_STATUS_PERIOD_SEC", "10")  # pylzy's default
    try:
        result = asyncio.run(map_reduce(ClientEnv.from_environ(), n))
    except RuntimeError as e:
        print(f"lzy.api.v1.utils.LzyExecutionException: {e}", file=sys.stderr)
        return 1
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
