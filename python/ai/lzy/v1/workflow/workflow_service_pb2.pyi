from ai.lzy.v1.common import data_scheme_pb2 as _data_scheme_pb2
from ai.lzy.v1.common import storage_pb2 as _storage_pb2
from ai.lzy.v1.long_running import operation_pb2 as _operation_pb2
from ai.lzy.v1.long_running import option_pb2 as _option_pb2
from ai.lzy.v1.workflow import workflow_pb2 as _workflow_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartWorkflowRequest(_message.Message):
    __slots__ = ("workflowName", "snapshotStorage")
    WORKFLOWNAME_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOTSTORAGE_FIELD_NUMBER: _ClassVar[int]
    workflowName: str
    snapshotStorage: _storage_pb2.StorageConfig
    def __init__(self, workflowName: _Optional[str] = ..., snapshotStorage: _Optional[_Union[_storage_pb2.StorageConfig, _Mapping]] = ...) -> None: ...

class StartWorkflowResponse(_message.Message):
    __slots__ = ("executionId", "internalSnapshotStorage")
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    INTERNALSNAPSHOTSTORAGE_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    internalSnapshotStorage: _storage_pb2.StorageConfig
    def __init__(self, executionId: _Optional[str] = ..., internalSnapshotStorage: _Optional[_Union[_storage_pb2.StorageConfig, _Mapping]] = ...) -> None: ...

class FinishWorkflowRequest(_message.Message):
    __slots__ = ("workflowName", "executionId", "reason")
    WORKFLOWNAME_FIELD_NUMBER: _ClassVar[int]
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    workflowName: str
    executionId: str
    reason: str
    def __init__(self, workflowName: _Optional[str] = ..., executionId: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class FinishWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AbortWorkflowRequest(_message.Message):
    __slots__ = ("workflowName", "executionId", "reason")
    WORKFLOWNAME_FIELD_NUMBER: _ClassVar[int]
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    workflowName: str
    executionId: str
    reason: str
    def __init__(self, workflowName: _Optional[str] = ..., executionId: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AbortWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExecuteGraphRequest(_message.Message):
    __slots__ = ("workflowName", "executionId", "graph")
    WORKFLOWNAME_FIELD_NUMBER: _ClassVar[int]
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    workflowName: str
    executionId: str
    graph: _workflow_pb2.Graph
    def __init__(self, workflowName: _Optional[str] = ..., executionId: _Optional[str] = ..., graph: _Optional[_Union[_workflow_pb2.Graph, _Mapping]] = ...) -> None: ...

class ExecuteGraphResponse(_message.Message):
    __slots__ = ("graphId",)
    GRAPHID_FIELD_NUMBER: _ClassVar[int]
    graphId: str
    def __init__(self, graphId: _Optional[str] = ...) -> None: ...

class GraphStatusRequest(_message.Message):
    __slots__ = ("executionId", "graphId")
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    GRAPHID_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    graphId: str
    def __init__(self, executionId: _Optional[str] = ..., graphId: _Optional[str] = ...) -> None: ...

class GraphStatusResponse(_message.Message):
    __slots__ = ("waiting", "executing", "completed", "failed")
    class Waiting(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class Executing(_message.Message):
        __slots__ = ("operationsCompleted", "operationsExecuting", "operationsWaiting", "message")
        OPERATIONSCOMPLETED_FIELD_NUMBER: _ClassVar[int]
        OPERATIONSEXECUTING_FIELD_NUMBER: _ClassVar[int]
        OPERATIONSWAITING_FIELD_NUMBER: _ClassVar[int]
        MESSAGE_FIELD_NUMBER: _ClassVar[int]
        operationsCompleted: _containers.RepeatedScalarFieldContainer[str]
        operationsExecuting: _containers.RepeatedScalarFieldContainer[str]
        operationsWaiting: _containers.RepeatedScalarFieldContainer[str]
        message: str
        def __init__(self, operationsCompleted: _Optional[_Iterable[str]] = ..., operationsExecuting: _Optional[_Iterable[str]] = ..., operationsWaiting: _Optional[_Iterable[str]] = ..., message: _Optional[str] = ...) -> None: ...
    class Completed(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
    class Failed(_message.Message):
        __slots__ = ("description",)
        DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
        description: str
        def __init__(self, description: _Optional[str] = ...) -> None: ...
    WAITING_FIELD_NUMBER: _ClassVar[int]
    EXECUTING_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    waiting: GraphStatusResponse.Waiting
    executing: GraphStatusResponse.Executing
    completed: GraphStatusResponse.Completed
    failed: GraphStatusResponse.Failed
    def __init__(self, waiting: _Optional[_Union[GraphStatusResponse.Waiting, _Mapping]] = ..., executing: _Optional[_Union[GraphStatusResponse.Executing, _Mapping]] = ..., completed: _Optional[_Union[GraphStatusResponse.Completed, _Mapping]] = ..., failed: _Optional[_Union[GraphStatusResponse.Failed, _Mapping]] = ...) -> None: ...

class StopGraphRequest(_message.Message):
    __slots__ = ("executionId", "graphId")
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    GRAPHID_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    graphId: str
    def __init__(self, executionId: _Optional[str] = ..., graphId: _Optional[str] = ...) -> None: ...

class StopGraphResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReadStdSlotsRequest(_message.Message):
    __slots__ = ("executionId",)
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    def __init__(self, executionId: _Optional[str] = ...) -> None: ...

class ReadStdSlotsResponse(_message.Message):
    __slots__ = ("stdout", "stderr")
    class Data(_message.Message):
        __slots__ = ("data",)
        DATA_FIELD_NUMBER: _ClassVar[int]
        data: _containers.RepeatedScalarFieldContainer[str]
        def __init__(self, data: _Optional[_Iterable[str]] = ...) -> None: ...
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    stdout: ReadStdSlotsResponse.Data
    stderr: ReadStdSlotsResponse.Data
    def __init__(self, stdout: _Optional[_Union[ReadStdSlotsResponse.Data, _Mapping]] = ..., stderr: _Optional[_Union[ReadStdSlotsResponse.Data, _Mapping]] = ...) -> None: ...

class GetAvailablePoolsRequest(_message.Message):
    __slots__ = ("executionId",)
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    def __init__(self, executionId: _Optional[str] = ...) -> None: ...

class GetAvailablePoolsResponse(_message.Message):
    __slots__ = ("poolSpecs",)
    POOLSPECS_FIELD_NUMBER: _ClassVar[int]
    poolSpecs: _containers.RepeatedCompositeFieldContainer[_workflow_pb2.VmPoolSpec]
    def __init__(self, poolSpecs: _Optional[_Iterable[_Union[_workflow_pb2.VmPoolSpec, _Mapping]]] = ...) -> None: ...

class GetStorageCredentialsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStorageCredentialsResponse(_message.Message):
    __slots__ = ("storage",)
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    storage: _storage_pb2.StorageConfig
    def __init__(self, storage: _Optional[_Union[_storage_pb2.StorageConfig, _Mapping]] = ...) -> None: ...
