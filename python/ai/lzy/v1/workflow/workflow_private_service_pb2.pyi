from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DeleteWorkflowRequest(_message.Message):
    __slots__ = ("workflowName",)
    WORKFLOWNAME_FIELD_NUMBER: _ClassVar[int]
    workflowName: str
    def __init__(self, workflowName: _Optional[str] = ...) -> None: ...

class DeleteWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AbortExecutionRequest(_message.Message):
    __slots__ = ("executionId", "reason")
    EXECUTIONID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    executionId: str
    reason: str
    def __init__(self, executionId: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AbortExecutionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
