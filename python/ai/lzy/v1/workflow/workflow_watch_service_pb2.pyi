from ai.lzy.v1.workflow import workflow_service_pb2 as _workflow_service_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WatchGraphRequest(_message.Message):
    __slots__ = ("executionId", "graphId")
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    GRAPHID_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    graphId: str
    def __init__(self, executionId: _Optional[str] = ..., graphId: _Optional[str] = ...) -> None: ...

class WatchGraphResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _workflow_service_pb2.GraphStatusResponse
    def __init__(self, status: _Optional[_Union[_workflow_service_pb2.GraphStatusResponse, _Mapping]] = ...) -> None: ...
