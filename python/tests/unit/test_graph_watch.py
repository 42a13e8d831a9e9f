"""How the runtime learns a graph's end: WatchGraph when the server has it, else GraphStatus polling.

Real gRPC servers on loopback (port 0) play lzy-service: one with LZY-TS's WatchGraph, one with
only LZY 1.0.1's LzyWorkflowService (WatchGraph then answers UNIMPLEMENTED, as an older server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ai.lzy.v1.workflow import workflow_service_pb2_grpc, workflow_watch_service_pb2_grpc
from ai.lzy.v1.workflow.workflow_service_pb2 import GraphStatusRequest, GraphStatusResponse
from ai.lzy.v1.workflow.workflow_watch_service_pb2 import WatchGraphRequest, WatchGraphResponse
from lzy.api.v1.runtime import RemoteRuntime
from lzy.config import ClientConfig
from lzy.remote.workflow_client import Completed, Failed, WorkflowServiceClient

WAITING = GraphStatusResponse(waiting=GraphStatusResponse.Waiting())
EXECUTING = GraphStatusResponse(executing=GraphStatusResponse.Executing(message="Graph status"))
COMPLETED = GraphStatusResponse(completed=GraphStatusResponse.Completed())


def failed(description: str) -> GraphStatusResponse:
    return GraphStatusResponse(failed=GraphStatusResponse.Failed(description=description))


@dataclass
class LzyDouble:
    """What the double answers and what it was asked."""

    # One script per WatchGraph call: its messages, then the status code that ends it (None: OK).
    watch_scripts: list[tuple[list[GraphStatusResponse], grpc.StatusCode | None]] = field(default_factory=list)
    watch_calls: list[tuple[WatchGraphRequest, str]] = field(default_factory=list)
    graph_status_calls: int = 0
    # GraphStatus answers EXECUTING this many times, then COMPLETED.
    executing_polls: int = 2


class WatchServicer(workflow_watch_service_pb2_grpc.LzyWorkflowWatchServiceServicer):
    def __init__(self, double: LzyDouble) -> None:
        self._double = double

    def WatchGraph(self, request: WatchGraphRequest, context: grpc.ServicerContext) -> Iterator[WatchGraphResponse]:
        metadata = dict(context.invocation_metadata())
        self._double.watch_calls.append((request, str(metadata.get("authorization", ""))))
        messages, code = self._double.watch_scripts.pop(0)
        for status in messages:
            yield WatchGraphResponse(status=status)
        if code is not None:
            context.abort(code, f"scripted {code.name}")


class WorkflowServicer(workflow_service_pb2_grpc.LzyWorkflowServiceServicer):
    def __init__(self, double: LzyDouble) -> None:
        self._double = double

    def GraphStatus(self, request: GraphStatusRequest, context: grpc.ServicerContext) -> GraphStatusResponse:
        self._double.graph_status_calls += 1
        return EXECUTING if self._double.graph_status_calls <= self._double.executing_polls else COMPLETED


def start_server(double: LzyDouble, *, with_watch: bool) -> tuple[grpc.Server, str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_workflow = workflow_service_pb2_grpc.add_LzyWorkflowServiceServicer_to_server
    add_workflow(WorkflowServicer(double), server)  # type: ignore[no-untyped-call]
    if with_watch:
        add_watch = workflow_watch_service_pb2_grpc.add_LzyWorkflowWatchServiceServicer_to_server
        add_watch(WatchServicer(double), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture
def key_path(tmp_path: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "user.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(path)


Connect = Callable[..., WorkflowServiceClient]


@pytest.fixture
def connect(key_path: str) -> Iterator[Connect]:
    started: list[tuple[grpc.Server, WorkflowServiceClient]] = []

    def connect_to(double: LzyDouble, *, with_watch: bool) -> WorkflowServiceClient:
        server, address = start_server(double, with_watch=with_watch)
        client = WorkflowServiceClient(ClientConfig(address, "", "alice", key_path))
        started.append((server, client))
        return client

    yield connect_to
    for server, client in started:
        client.close()
        server.stop(None)


def test_the_graph_end_comes_by_push_with_no_graph_status_call(connect: Connect) -> None:
    double = LzyDouble(watch_scripts=[([WAITING, EXECUTING, COMPLETED], None)])
    client = connect(double, with_watch=True)
    assert RemoteRuntime._final_status(client, "exec-1", "graph-1") == Completed()
    assert double.graph_status_calls == 0
    [(request, authorization)] = double.watch_calls
    assert (request.executionId, request.graphId) == ("exec-1", "graph-1")
    assert authorization.startswith("Bearer ")


def test_a_failed_graph_ends_with_its_description(connect: Connect) -> None:
    double = LzyDouble(watch_scripts=[([WAITING, failed("rc=1: boom")], None)])
    client = connect(double, with_watch=True)
    assert RemoteRuntime._final_status(client, "exec-1", "graph-1") == Failed("rc=1: boom")
    assert double.graph_status_calls == 0


def test_a_stream_broken_by_a_restart_is_opened_again(connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lzy.remote.workflow_client.RETRY_PAUSE_S", 0.01)
    double = LzyDouble(
        watch_scripts=[
            ([WAITING, EXECUTING], grpc.StatusCode.UNAVAILABLE),
            ([], grpc.StatusCode.UNAVAILABLE),
            ([EXECUTING, COMPLETED], None),
        ]
    )
    client = connect(double, with_watch=True)
    assert RemoteRuntime._final_status(client, "exec-1", "graph-1") == Completed()
    assert len(double.watch_calls) == 3
    assert double.graph_status_calls == 0


def test_a_refusal_is_raised_not_retried(connect: Connect) -> None:
    double = LzyDouble(watch_scripts=[([], grpc.StatusCode.NOT_FOUND)])
    client = connect(double, with_watch=True)
    with pytest.raises(grpc.RpcError) as raised:
        RemoteRuntime._final_status(client, "exec-1", "graph-1")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(double.watch_calls) == 1


def test_without_watch_graph_the_runtime_polls_graph_status(connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_STATUS_PERIOD_SEC", "0.01")
    double = LzyDouble(executing_polls=2)
    client = connect(double, with_watch=False)
    assert RemoteRuntime._final_status(client, "exec-1", "graph-1") == Completed()
    assert double.graph_status_calls == 3
    assert client.watch_graph_available is False
    # The session's next graph polls at once, without asking for WatchGraph again.
    assert client.watch_graph("exec-1", "graph-2") is None
