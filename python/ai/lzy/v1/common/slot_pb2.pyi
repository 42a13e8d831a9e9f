from ai.lzy.v1.common import data_scheme_pb2 as _data_scheme_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Slot(_message.Message):
    __slots__ = ("name", "media", "direction", "contentType")
    class Media(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNSPECIFIED: _ClassVar[Slot.Media]
        FILE: _ClassVar[Slot.Media]
        PIPE: _ClassVar[Slot.Media]
        ARG: _ClassVar[Slot.Media]
    UNSPECIFIED: Slot.Media
    FILE: Slot.Media
    PIPE: Slot.Media
    ARG: Slot.Media
    class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Slot.Direction]
        INPUT: _ClassVar[Slot.Direction]
        OUTPUT: _ClassVar[Slot.Direction]
    UNKNOWN: Slot.Direction
    INPUT: Slot.Direction
    OUTPUT: Slot.Direction
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CONTENTTYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    media: Slot.Media
    direction: Slot.Direction
    contentType: _data_scheme_pb2.DataScheme
    def __init__(self, name: _Optional[str] = ..., media: _Optional[_Union[Slot.Media, str]] = ..., direction: _Optional[_Union[Slot.Direction, str]] = ..., contentType: _Optional[_Union[_data_scheme_pb2.DataScheme, _Mapping]] = ...) -> None: ...

class SlotStatus(_message.Message):
    __slots__ = ("taskId", "declaration", "connectedTo", "pointer", "state")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNSPECIFIED: _ClassVar[SlotStatus.State]
        UNBOUND: _ClassVar[SlotStatus.State]
        PREPARING: _ClassVar[SlotStatus.State]
        OPEN: _ClassVar[SlotStatus.State]
        SUSPENDED: _ClassVar[SlotStatus.State]
        CLOSED: _ClassVar[SlotStatus.State]
        DESTROYED: _ClassVar[SlotStatus.State]
    UNSPECIFIED: SlotStatus.State
    UNBOUND: SlotStatus.State
    PREPARING: SlotStatus.State
    OPEN: SlotStatus.State
    SUSPENDED: SlotStatus.State
    CLOSED: SlotStatus.State
    DESTROYED: SlotStatus.State
    TASKID_FIELD_NUMBER: _ClassVar[int]
    DECLARATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTEDTO_FIELD_NUMBER: _ClassVar[int]
    POINTER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    taskId: str
    declaration: Slot
    connectedTo: str
    pointer: int
    state: SlotStatus.State
    def __init__(self, taskId: _Optional[str] = ..., declaration: _Optional[_Union[Slot, _Mapping]] = ..., connectedTo: _Optional[str] = ..., pointer: _Optional[int] = ..., state: _Optional[_Union[SlotStatus.State, str]] = ...) -> None: ...

class SlotInstance(_message.Message):
    __slots__ = ("taskId", "slot", "slotUri", "channelId")
    TASKID_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    SLOTURI_FIELD_NUMBER: _ClassVar[int]
    CHANNELID_FIELD_NUMBER: _ClassVar[int]
    taskId: str
    slot: Slot
    slotUri: str
    channelId: str
    def __init__(self, taskId: _Optional[str] = ..., slot: _Optional[_Union[Slot, _Mapping]] = ..., slotUri: _Optional[str] = ..., channelId: _Optional[str] = ...) -> None: ...
