"""What the LZY 1.0.1 client (pylzy) puts on the wire, rebuilt on stubs generated from our proto/.

Transport (python-client-protocol.md §1.3): plaintext grpc.aio channels; the workflow channel pings
every 1 s with a 1 s timeout, also without calls, and carries a retry service config that names the
services without their package (so it matches nothing); the whiteboard channel pings every 3 min.
Token (§1.4): PS256, claims iss/pvd=GITHUB and FLOAT iat/nbf/exp, 7 days, no `kid`/`kn`.
Retries (§2.4): only UNAVAILABLE/CANCELLED, 1 s apart, 121 attempts.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import grpc.aio
import jwt

from . import _stubs

_stubs.install()

from ai.lzy.v1.long_running import operation_pb2 as lro  # noqa: E402
from ai.lzy.v1.long_running import operation_pb2_grpc as lro_grpc  # noqa: E402
from ai.lzy.v1.whiteboard import whiteboard_service_pb2_grpc as wb_grpc  # noqa: E402
from ai.lzy.v1.workflow import workflow_service_pb2 as wf  # noqa: E402
from ai.lzy.v1.workflow import workflow_service_pb2_grpc as wf_grpc  # noqa: E402

__all__ = [
    "ClientEnv",
    "StdStream",
    "WhiteboardClient",
    "WorkflowClient",
    "build_token",
    "lro",
    "wf",
    "workflow_channel_options",
]

T = TypeVar("T")

WEEK_S = 7 * 24 * 60 * 60
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def _service_config(names: Sequence[str]) -> str:
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{"service": name}],
                    "retryPolicy": {
                        "maxAttempts": 120,
                        "initialBackoff": "1.0s",
                        "maxBackoff": "1.0s",
                        "backoffMultiplier": 1,
                        "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"],
                    },
                }
                for name in names
            ]
        }
    )


def workflow_channel_options() -> list[tuple[str, Any]]:
    """The workflow channel's options as pylzy 1.0.1 sets them (keepalive 1 s, without calls)."""
    return [
        ("grpc.enable_retries", 1),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.keepalive_time_ms", 1000),
        ("grpc.keepalive_timeout_ms", 1000),
        ("grpc.service_config", _service_config(["LzyWorkflowService", "LongRunningService"])),
    ]


def whiteboard_channel_options() -> list[tuple[str, Any]]:
    return [
        ("grpc.enable_retries", 0),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.keepalive_time_ms", 3 * 60 * 1000),
        ("grpc.keepalive_timeout_ms", 1000),
    ]


def build_token(user: str, key_pem: str, now: float | None = None) -> str:
    """pylzy's token: float NumericDates (time.time()), `pvd: GITHUB`, PS256, PyJWT's header."""
    iat = time.time() if now is None else now
    claims = {"iat": iat, "nbf": iat, "exp": iat + WEEK_S, "iss": user, "pvd": "GITHUB"}
    return str(jwt.encode(claims, key_pem, algorithm="PS256"))


@dataclass(frozen=True)
class ClientEnv:
    """The client environment of python-client-protocol.md §1.1, as the test driver sets it."""

    endpoint: str
    whiteboard_endpoint: str
    user: str
    key_path: str
    fetch_status_period_s: float

    @staticmethod
    def from_environ() -> ClientEnv:
        missing = [
            n
            for n in ("LZY_ENDPOINT", "LZY_WHITEBOARD_ENDPOINT", "LZY_USER", "LZY_KEY_PATH")
            if not os.environ.get(n)
        ]
        if missing:
            raise RuntimeError(f"protocol tests need {', '.join(missing)} (set by the test driver)")
        return ClientEnv(
            endpoint=os.environ["LZY_ENDPOINT"],
            whiteboard_endpoint=os.environ["LZY_WHITEBOARD_ENDPOINT"],
            user=os.environ["LZY_USER"],
            key_path=os.environ["LZY_KEY_PATH"],
            fetch_status_period_s=float(os.environ.get("FETCH_STATUS_PERIOD_SEC", "0.5")),
        )

    def key_pem(self) -> str:
        with open(self.key_path) as f:
            return f.read()

    def token(self) -> str:
        return build_token(self.user, self.key_pem())


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def with_retries(action: Callable[[], Awaitable[T]], attempts: int = 121) -> T:
    """pylzy's retry decorator: UNAVAILABLE/CANCELLED → sleep 1 s and call again; else raise."""
    for _ in range(attempts - 1):
        try:
            return await action()
        except grpc.aio.AioRpcError as e:
            if e.code() not in RETRYABLE:
                raise
            await asyncio.sleep(1)
    return await action()


@dataclass
class StdStream:
    """The background ReadStdSlots listener (§6): every chunk, the reopen count, how it ended."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    reopened: int = 0
    final_code: grpc.StatusCode | None = None
    final_details: str = ""

    def out_text(self) -> str:
        return "".join(self.stdout)

    def err_text(self) -> str:
        return "".join(self.stderr)


class WorkflowClient:
    """pylzy's WorkflowServiceClient: one channel (also LongRunningService), one token."""

    def __init__(
        self,
        env: ClientEnv,
        token: str | None = None,
        extra_options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        self.env = env
        self.channel = grpc.aio.insecure_channel(
            env.endpoint, options=[*workflow_channel_options(), *extra_options]
        )
        self.stub = wf_grpc.LzyWorkflowServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.operations = lro_grpc.LongRunningServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.metadata = bearer(token if token is not None else env.token())

    async def ready(self) -> None:
        # pylzy waits with no timeout; a test bounds it.
        await asyncio.wait_for(self.channel.channel_ready(), timeout=30)

    async def close(self) -> None:
        await self.channel.close()

    async def start_workflow(
        self, name: str, snapshot_storage: Any | None = None
    ) -> wf.StartWorkflowResponse:
        request = wf.StartWorkflowRequest(workflowName=name)
        if snapshot_storage is not None:
            request.snapshotStorage.CopyFrom(snapshot_storage)
        return await with_retries(lambda: self.stub.StartWorkflow(request, metadata=self.metadata))

    async def get_storage_credentials(self) -> wf.GetStorageCredentialsResponse:
        response: wf.GetStorageCredentialsResponse = await self.stub.GetStorageCredentials(
            wf.GetStorageCredentialsRequest(), metadata=self.metadata
        )
        return response

    async def get_pools(self, execution_id: str) -> wf.GetAvailablePoolsResponse:
        request = wf.GetAvailablePoolsRequest(executionId=execution_id)
        return await with_retries(
            lambda: self.stub.GetAvailablePools(request, metadata=self.metadata)
        )

    async def execute_graph(self, request: wf.ExecuteGraphRequest) -> str:
        response = await with_retries(
            lambda: self.stub.ExecuteGraph(request, metadata=self.metadata)
        )
        return str(response.graphId)

    async def graph_status(self, execution_id: str, graph_id: str) -> wf.GraphStatusResponse:
        request = wf.GraphStatusRequest(executionId=execution_id, graphId=graph_id)
        return await with_retries(lambda: self.stub.GraphStatus(request, metadata=self.metadata))

    async def wait_graph(
        self, execution_id: str, graph_id: str, timeout_s: float = 600
    ) -> wf.GraphStatusResponse:
        """pylzy's barrier loop: sleep FETCH_STATUS_PERIOD_SEC, then GraphStatus, until an end."""
        deadline = time.monotonic() + timeout_s
        while True:
            await asyncio.sleep(self.env.fetch_status_period_s)
            status = await self.graph_status(execution_id, graph_id)
            if status.WhichOneof("status") in ("completed", "failed"):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"graph {graph_id} still {status} after {timeout_s} s")

    async def finish_workflow_call(self, name: str, execution_id: str) -> lro.Operation:
        request = wf.FinishWorkflowRequest(
            workflowName=name, executionId=execution_id, reason="Workflow completed"
        )
        return await with_retries(lambda: self.stub.FinishWorkflow(request, metadata=self.metadata))

    async def wait_operation(self, operation_id: str, timeout_s: float = 120) -> lro.Operation:
        """pylzy polls LongRunningService.Get every 0.3 s until `done`."""
        deadline = time.monotonic() + timeout_s
        request = lro.GetOperationRequest(operation_id=operation_id)
        while True:
            op: lro.Operation = await with_retries(
                lambda: self.operations.Get(request, metadata=self.metadata)
            )
            if op.done:
                return op
            if time.monotonic() > deadline:
                raise TimeoutError(f"operation {operation_id} not done after {timeout_s} s")
            await asyncio.sleep(0.3)

    async def finish_workflow(self, name: str, execution_id: str) -> lro.Operation:
        op = await self.finish_workflow_call(name, execution_id)
        return await self.wait_operation(op.id)

    async def abort_workflow(self, name: str, execution_id: str) -> None:
        request = wf.AbortWorkflowRequest(
            workflowName=name, executionId=execution_id, reason="Workflow execution aborted"
        )
        await with_retries(lambda: self.stub.AbortWorkflow(request, metadata=self.metadata))

    async def read_std_slots(self, execution_id: str, into: StdStream) -> None:
        """The std listener: reopens after 1 s on UNAVAILABLE/CANCELLED; records how it ended."""
        request = wf.ReadStdSlotsRequest(executionId=execution_id)
        for _ in range(121):
            call = self.stub.ReadStdSlots(request, metadata=self.metadata)
            try:
                async for message in call:
                    kind = message.WhichOneof("data")
                    if kind == "stdout":
                        into.stdout.extend(message.stdout.data)
                    elif kind == "stderr":
                        into.stderr.extend(message.stderr.data)
                into.final_code = await call.code()
                into.final_details = await call.details() or ""
                return
            except grpc.aio.AioRpcError as e:
                into.final_code, into.final_details = e.code(), e.details() or ""
                if e.code() not in RETRYABLE:
                    return
                into.reopened += 1
                await asyncio.sleep(1)


class WhiteboardClient:
    """pylzy's whiteboard index client: its own channel, no retries."""

    def __init__(self, env: ClientEnv, token: str | None = None) -> None:
        self.channel = grpc.aio.insecure_channel(
            env.whiteboard_endpoint, options=whiteboard_channel_options()
        )
        self.stub = wb_grpc.LzyWhiteboardServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.metadata = bearer(token if token is not None else env.token())

    async def ready(self) -> None:
        await asyncio.wait_for(self.channel.channel_ready(), timeout=30)

    async def close(self) -> None:
        await self.channel.close()
