import dataclasses
import datetime
import hashlib
import os
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import e2e_ops
import numpy as np
import pytest

from lzy.api.v1 import Lzy, LzyExecutionException, remote_traceback_of, whiteboard
from lzy.api.v1.exceptions import RemoteOpError


def poll_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_an_op_returns_its_value(lzy: Lzy) -> None:
    with lzy.workflow("py-value", interactive=False):
        result = e2e_ops.square(7)
        assert result == 49
        assert e2e_ops.add(result, 1) + 0 == 50


def handled_by_lzy_service(service: str, method: str) -> float:
    """Calls lzy-service handled so far (its /metrics, every status code)."""
    url = os.environ.get("LZY_TEST_LZY_SERVICE_METRICS_URL")
    if not url:
        pytest.skip("LZY_TEST_LZY_SERVICE_METRICS_URL is not set: lzy-service's /metrics is unknown")
    with urllib.request.urlopen(url) as response:
        text = response.read().decode("utf-8")
    prefix = f'lzy_grpc_server_handled_total{{service="{service}",method="{method}",'
    return sum(float(line.split(" ")[-1]) for line in text.splitlines() if line.startswith(prefix))


def test_graph_status_comes_by_push_with_no_graph_status_call(lzy: Lzy) -> None:
    def graph_status() -> float:
        return handled_by_lzy_service("ai.lzy.v1.workflow.LzyWorkflowService", "GraphStatus")

    def watch_graph() -> float:
        return handled_by_lzy_service("ai.lzy.v1.workflow.LzyWorkflowWatchService", "WatchGraph")

    polled, watched = graph_status(), watch_graph()
    with lzy.workflow("py-pushed", interactive=False):
        assert e2e_ops.add(e2e_ops.square(3), 1) + 0 == 10
    assert graph_status() == polled
    assert watch_graph() == watched + 1


def test_a_map_reduce_of_200_results_of_one_op_into_one_op(lzy: Lzy) -> None:
    """Every input of `total` is a result of `square`: each needs its own input slot (issue 10)."""
    with lzy.workflow("py-map-reduce", interactive=False):
        squares = [e2e_ops.square(i) for i in range(200)]
        assert e2e_ops.total(*squares) == sum(i * i for i in range(200))


def test_three_ops_pass_a_100_mb_numpy_array(lzy: Lzy) -> None:
    data = np.random.default_rng(7).random(100 * 1024 * 1024 // 8)  # 100 MiB of float64
    expected = data * 2.0 + 1.0
    with lzy.workflow("py-big", interactive=False):
        shifted = e2e_ops.shift(e2e_ops.scale(data, 2.0), 1.0)
        remote_digest = e2e_ops.digest(shifted)
        assert str(remote_digest) == hashlib.sha256(expected.tobytes()).hexdigest()
        assert isinstance(shifted, np.ndarray) and np.array_equal(shifted, expected)


def test_an_op_exception_reaches_the_client_with_its_type_message_and_remote_traceback(lzy: Lzy) -> None:
    with (
        pytest.raises(e2e_ops.OpRefused, match="op refused: no thanks") as info,
        lzy.workflow("py-failing", interactive=False),
    ):
        int(e2e_ops.refuse("no thanks"))
    remote_tb = remote_traceback_of(info.value)
    assert remote_tb is not None and "in refuse" in remote_tb and "OpRefused: op refused" in remote_tb
    assert isinstance(info.value.__cause__, LzyExecutionException)
    assert not isinstance(info.value, RemoteOpError)


@whiteboard("py-e2e-board")
@dataclasses.dataclass
class Board:
    total: int
    squares: int
    label: str = "unset"


def test_a_whiteboard_is_written_then_found_by_id_and_by_tags(lzy: Lzy) -> None:
    tag = f"run-{uuid.uuid4().hex[:8]}"
    before = datetime.datetime.now() - datetime.timedelta(minutes=1)
    with lzy.workflow("py-whiteboard", interactive=False) as wf:
        wb = wf.create_whiteboard(Board, tags=[tag, "py-e2e"])
        wb.total = e2e_ops.add(1, 2)  # not computed yet: the op writes to the whiteboard
        squares = e2e_ops.square(4)
        assert squares == 16
        wb.squares = squares  # already computed: copied
        wb.label = "fan-in"  # a plain value
        wb_id = wb.id

    stored = lzy.whiteboard(id_=wb_id)
    assert (stored.id, stored.name, stored.status) == (wb_id, "py-e2e-board", "FINALIZED")
    assert (stored.total, stored.squares, stored.label) == (3, 16, "fan-in")
    assert stored.tags == [tag, "py-e2e"]

    found = lzy.whiteboards(tags=[tag])
    assert [w.id for w in found] == [wb_id]
    assert found[0].total == 3
    assert [w.id for w in lzy.whiteboards(name="py-e2e-board", tags=[tag], not_before=before)] == [wb_id]
    assert lzy.whiteboards(name="py-e2e-board", tags=[tag], not_after=before) == []


def run_tabulated(lzy: Lzy, capsys: pytest.CaptureFixture[str]) -> tuple[str, str, str]:
    with lzy.workflow("py-env", interactive=False):
        table = str(e2e_ops.tabulated(3))
    out, err = capsys.readouterr()
    prefix = next(line.split("ENV-PREFIX ", 1)[1] for line in out.splitlines() if "ENV-PREFIX " in line)
    return table, prefix.strip(), err


def test_a_pip_library_is_installed_once_and_the_environment_is_reused(
    lzy: Lzy, capsys: pytest.CaptureFixture[str]
) -> None:
    table, first_prefix, _first_err = run_tabulated(lzy, capsys)
    assert "n2" in table and "4" in table
    table_again, second_prefix, second_err = run_tabulated(lzy, capsys)
    assert table_again == table
    assert second_prefix == first_prefix
    assert "tabulate==0.9.0" not in second_err, second_err  # no installer output the second time


def test_op_stdout_reaches_the_client_while_the_op_still_runs(
    lzy: Lzy, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    marker = f"hello-from-op-{uuid.uuid4().hex[:8]}"
    release = tmp_path / "release"
    result: dict[str, object] = {}
    printed: list[str] = []

    def run() -> None:
        try:
            with lzy.workflow("py-chatty", interactive=False):
                result["value"] = int(e2e_ops.chatty(marker, str(release)))
        except BaseException as e:  # re-raised in the test's thread below
            result["error"] = e

    worker = threading.Thread(target=run)
    worker.start()
    try:
        poll_until(
            lambda: printed.append(capsys.readouterr().out) is None and marker in "".join(printed),
            180,
            "the op's print",
        )
        assert worker.is_alive() and "value" not in result  # the op is still waiting for release
    finally:
        release.touch()
        worker.join(300)
    if "error" in result:
        raise AssertionError("the workflow failed") from result["error"]  # type: ignore[arg-type]
    assert result["value"] == 17
