from ai.lzy.v1.common import env_pb2 as _env_pb2
from ai.lzy.v1.common import slot_pb2 as _slot_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Operation(_message.Message):
    __slots__ = ("env", "requirements", "command", "slots", "description", "name", "stdout", "stderr")
    class StdSlotDesc(_message.Message):
        __slots__ = ("name", "channelId")
        NAME_FIELD_NUMBER: _ClassVar[int]
        CHANNELID_FIELD_NUMBER: _ClassVar[int]
        name: str
        channelId: str
        def __init__(self, name: _Optional[str] = ..., channelId: _Optional[str] = ...) -> None: ...
    ENV_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    env: _env_pb2.EnvSpec
    requirements: Requirements
    command: str
    slots: _containers.RepeatedCompositeFieldContainer[_slot_pb2.Slot]
    description: str
    name: str
    stdout: Operation.StdSlotDesc
    stderr: Operation.StdSlotDesc
    def __init__(self, env: _Optional[_Union[_env_pb2.EnvSpec, _Mapping]] = ..., requirements: _Optional[_Union[Requirements, _Mapping]] = ..., command: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[_slot_pb2.Slot, _Mapping]]] = ..., description: _Optional[str] = ..., name: _Optional[str] = ..., stdout: _Optional[_Union[Operation.StdSlotDesc, _Mapping]] = ..., stderr: _Optional[_Union[Operation.StdSlotDesc, _Mapping]] = ...) -> None: ...

class Requirements(_message.Message):
    __slots__ = ("poolLabel", "zone")
    POOLLABEL_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    poolLabel: str
    zone: str
    def __init__(self, poolLabel: _Optional[str] = ..., zone: _Optional[str] = ...) -> None: ...

class SlotToChannelAssignment(_message.Message):
    __slots__ = ("slotName", "channelId", "lzyTsSenderUri")
    SLOTNAME_FIELD_NUMBER: _ClassVar[int]
    CHANNELID_FIELD_NUMBER: _ClassVar[int]
    LZYTSSENDERURI_FIELD_NUMBER: _ClassVar[int]
    slotName: str
    channelId: str
    lzyTsSenderUri: str
    def __init__(self, slotName: _Optional[str] = ..., channelId: _Optional[str] = ..., lzyTsSenderUri: _Optional[str] = ...) -> None: ...

class TaskDesc(_message.Message):
    __slots__ = ("operation", "slotAssignments")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    SLOTASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    slotAssignments: _containers.RepeatedCompositeFieldContainer[SlotToChannelAssignment]
    def __init__(self, operation: _Optional[_Union[Operation, _Mapping]] = ..., slotAssignments: _Optional[_Iterable[_Union[SlotToChannelAssignment, _Mapping]]] = ...) -> None: ...
