from ai.lzy.v1.common import data_scheme_pb2 as _data_scheme_pb2
from ai.lzy.v1.whiteboard import whiteboard_pb2 as _whiteboard_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetRequest(_message.Message):
    __slots__ = ("whiteboardId",)
    WHITEBOARDID_FIELD_NUMBER: _ClassVar[int]
    whiteboardId: str
    def __init__(self, whiteboardId: _Optional[str] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("whiteboard",)
    WHITEBOARD_FIELD_NUMBER: _ClassVar[int]
    whiteboard: _whiteboard_pb2.Whiteboard
    def __init__(self, whiteboard: _Optional[_Union[_whiteboard_pb2.Whiteboard, _Mapping]] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ("name", "tags", "createdTimeBounds")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    CREATEDTIMEBOUNDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    createdTimeBounds: _whiteboard_pb2.TimeBounds
    def __init__(self, name: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., createdTimeBounds: _Optional[_Union[_whiteboard_pb2.TimeBounds, _Mapping]] = ...) -> None: ...

class ListResponse(_message.Message):
    __slots__ = ("whiteboards",)
    WHITEBOARDS_FIELD_NUMBER: _ClassVar[int]
    whiteboards: _containers.RepeatedCompositeFieldContainer[_whiteboard_pb2.Whiteboard]
    def __init__(self, whiteboards: _Optional[_Iterable[_Union[_whiteboard_pb2.Whiteboard, _Mapping]]] = ...) -> None: ...

class RegisterWhiteboardRequest(_message.Message):
    __slots__ = ("whiteboard",)
    WHITEBOARD_FIELD_NUMBER: _ClassVar[int]
    whiteboard: _whiteboard_pb2.Whiteboard
    def __init__(self, whiteboard: _Optional[_Union[_whiteboard_pb2.Whiteboard, _Mapping]] = ...) -> None: ...

class RegisterWhiteboardResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateWhiteboardRequest(_message.Message):
    __slots__ = ("whiteboard",)
    WHITEBOARD_FIELD_NUMBER: _ClassVar[int]
    whiteboard: _whiteboard_pb2.Whiteboard
    def __init__(self, whiteboard: _Optional[_Union[_whiteboard_pb2.Whiteboard, _Mapping]] = ...) -> None: ...

class UpdateWhiteboardResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
