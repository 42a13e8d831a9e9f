"""LzyWorkflowService + LongRunningService on the lzy-service endpoint (§2), and LZY-TS's
LzyWorkflowWatchService (WatchGraph: graph status by push) beside them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import grpc

from ai.lzy.v1.common.storage_pb2 import S3Credentials as PbS3Credentials
from ai.lzy.v1.common.storage_pb2 import StorageConfig
from ai.lzy.v1.long_running.operation_pb2 import GetOperationRequest
from ai.lzy.v1.long_running.operation_pb2_grpc import LongRunningServiceStub
from ai.lzy.v1.workflow.workflow_pb2 import Graph, VmPoolSpec
from ai.lzy.v1.workflow.workflow_service_pb2 import (
    AbortWorkflowRequest,
    ExecuteGraphRequest,
    FinishWorkflowRequest,
    FinishWorkflowResponse,
    GetAvailablePoolsRequest,
    GetStorageCredentialsRequest,
    GraphStatusRequest,
    GraphStatusResponse,
    ReadStdSlotsRequest,
    ReadStdSlotsResponse,
    StartWorkflowRequest,
)
from ai.lzy.v1.workflow.workflow_service_pb2_grpc import LzyWorkflowServiceStub
from ai.lzy.v1.workflow.workflow_watch_service_pb2 import WatchGraphRequest
from ai.lzy.v1.workflow.workflow_watch_service_pb2_grpc import LzyWorkflowWatchServiceStub
from lzy.config import ClientConfig
from lzy.remote.channel import (
    RETRY_ATTEMPTS,
    RETRY_CODES,
    RETRY_PAUSE_S,
    WORKFLOW_CHANNEL_OPTIONS,
    AuthorizedChannel,
    with_retries,
)
from lzy.storage.config import Storage

_LOG = logging.getLogger("lzy")
FINISH_POLL_PERIOD_S = 0.3


@dataclass(frozen=True)
class Waiting:
    pass


@dataclass(frozen=True)
class Executing:
    pass


@dataclass(frozen=True)
class Completed:
    pass


@dataclass(frozen=True)
class Failed:
    description: str


GraphStatus = Waiting | Executing | Completed | Failed


def graph_status_from_proto(r: GraphStatusResponse) -> GraphStatus:
    if r.HasField("waiting"):
        return Waiting()
    if r.HasField("completed"):
        return Completed()
    if r.HasField("failed"):
        return Failed(r.failed.description)
    return Executing()


def storage_to_proto(storage: Storage) -> StorageConfig:
    c = storage.credentials
    return StorageConfig(
        uri=storage.uri,
        s3=PbS3Credentials(endpoint=c.endpoint, accessToken=c.access_key_id, secretToken=c.secret_access_key),
    )


def storage_from_proto(config: StorageConfig) -> Storage | None:
    if not config.uri:
        return None
    if not config.HasField("s3"):
        raise ValueError(f"Storage {config.uri} has no S3 credentials (only S3 is supported)")
    return Storage.s3(
        config.uri,
        endpoint=config.s3.endpoint,
        access_key_id=config.s3.accessToken,
        secret_access_key=config.s3.secretToken,
    )


class WorkflowServiceClient:
    def __init__(self, config: ClientConfig) -> None:
        self._channel = AuthorizedChannel(config, config.endpoint, WORKFLOW_CHANNEL_OPTIONS)
        # False once the server answered WatchGraph UNIMPLEMENTED (LZY itself, an older LZY-TS).
        self.watch_graph_available = True

    def _stub(self) -> LzyWorkflowServiceStub:
        return LzyWorkflowServiceStub(self._channel.get())

    def start_workflow(self, name: str, storage: Storage | None) -> tuple[str, Storage | None]:
        request = StartWorkflowRequest(workflowName=name)
        if storage is not None:
            request.snapshotStorage.CopyFrom(storage_to_proto(storage))
        response = with_retries(
            "StartWorkflow", lambda: self._stub().StartWorkflow(request, metadata=self._channel.metadata)
        )
        internal = response.internalSnapshotStorage if response.HasField("internalSnapshotStorage") else None
        return response.executionId, None if internal is None else storage_from_proto(internal)

    def finish_workflow(self, name: str, execution_id: str, reason: str) -> None:
        def finish() -> None:
            md = self._channel.metadata
            op = self._stub().FinishWorkflow(
                FinishWorkflowRequest(workflowName=name, executionId=execution_id, reason=reason), metadata=md
            )
            operations = LongRunningServiceStub(self._channel.get())
            while not op.done:
                time.sleep(FINISH_POLL_PERIOD_S)
                op = operations.Get(GetOperationRequest(operation_id=op.id), metadata=md)
            if op.HasField("response"):
                op.response.Unpack(FinishWorkflowResponse())

        with_retries("FinishWorkflow", finish)

    def abort_workflow(self, name: str, execution_id: str, reason: str) -> None:
        request = AbortWorkflowRequest(workflowName=name, executionId=execution_id, reason=reason)
        with_retries("AbortWorkflow", lambda: self._stub().AbortWorkflow(request, metadata=self._channel.metadata))

    def execute_graph(self, name: str, execution_id: str, graph: Graph) -> str:
        request = ExecuteGraphRequest(workflowName=name, executionId=execution_id, graph=graph)
        response = with_retries(
            "ExecuteGraph", lambda: self._stub().ExecuteGraph(request, metadata=self._channel.metadata)
        )
        graph_id: str = response.graphId
        return graph_id

    def graph_status(self, execution_id: str, graph_id: str) -> GraphStatus:
        request = GraphStatusRequest(executionId=execution_id, graphId=graph_id)
        r = with_retries("GraphStatus", lambda: self._stub().GraphStatus(request, metadata=self._channel.metadata))
        return graph_status_from_proto(r)

    def watch_graph(self, execution_id: str, graph_id: str) -> Completed | Failed | None:
        """The graph's final status, pushed by WatchGraph; None when the server has no WatchGraph.

        A stream broken by UNAVAILABLE/CANCELLED (LZY restarting) is opened again as `with_retries`
        retries a call: 1 s pauses, up to 121 attempts per outage (a message starts the count
        over). Each new stream starts with the current status, so no change is missed.
        """
        if not self.watch_graph_available:
            return None
        request = WatchGraphRequest(executionId=execution_id, graphId=graph_id)
        failures = 0
        while True:
            try:
                stub = LzyWorkflowWatchServiceStub(self._channel.get())
                for message in stub.WatchGraph(request, metadata=self._channel.metadata):
                    failures = 0
                    status = graph_status_from_proto(message.status)
                    if isinstance(status, (Completed, Failed)):
                        return status
                # The server ends the stream only after a final status: an early end is an outage.
                failure: Exception = RuntimeError("WatchGraph ended before the graph was final")
                code: grpc.StatusCode | None = grpc.StatusCode.UNAVAILABLE
            except grpc.RpcError as e:
                failure = e
                code = e.code() if isinstance(e, grpc.Call) else None
                if code == grpc.StatusCode.UNIMPLEMENTED:
                    self.watch_graph_available = False
                    return None
            failures += 1
            if code not in RETRY_CODES:
                raise failure
            if failures >= RETRY_ATTEMPTS:
                raise RuntimeError("Lost connection to lzy servers, please try again later") from failure
            _LOG.warning("WatchGraph failed with %s, opening it again (attempt %d)", code, failures)
            time.sleep(RETRY_PAUSE_S)

    def get_pool_specs(self, execution_id: str) -> list[VmPoolSpec]:
        request = GetAvailablePoolsRequest(executionId=execution_id)
        response = with_retries(
            "GetAvailablePools", lambda: self._stub().GetAvailablePools(request, metadata=self._channel.metadata)
        )
        return list(response.poolSpecs)

    def get_storage_credentials(self) -> Storage:
        response = self._stub().GetStorageCredentials(GetStorageCredentialsRequest(), metadata=self._channel.metadata)
        storage = storage_from_proto(response.storage)
        if storage is None:
            raise RuntimeError("The server returned no storage")
        return storage

    def read_std_slots(self, execution_id: str) -> Iterator[ReadStdSlotsResponse]:
        stream: Iterator[ReadStdSlotsResponse] = self._stub().ReadStdSlots(
            ReadStdSlotsRequest(executionId=execution_id), metadata=self._channel.metadata
        )
        return stream

    def close(self) -> None:
        self._channel.close()
