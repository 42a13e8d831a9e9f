import datetime

from ai.lzy.v1.common import data_scheme_pb2 as _data_scheme_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Whiteboard(_message.Message):
    __slots__ = ("id", "name", "tags", "fields", "storage", "namespace", "status", "createdAt")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        WHITEBOARD_STATUS_UNSPECIFIED: _ClassVar[Whiteboard.Status]
        CREATED: _ClassVar[Whiteboard.Status]
        FINALIZED: _ClassVar[Whiteboard.Status]
    WHITEBOARD_STATUS_UNSPECIFIED: Whiteboard.Status
    CREATED: Whiteboard.Status
    FINALIZED: Whiteboard.Status
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    STORAGE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    fields: _containers.RepeatedCompositeFieldContainer[WhiteboardField]
    storage: Storage
    namespace: str
    status: Whiteboard.Status
    createdAt: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., fields: _Optional[_Iterable[_Union[WhiteboardField, _Mapping]]] = ..., storage: _Optional[_Union[Storage, _Mapping]] = ..., namespace: _Optional[str] = ..., status: _Optional[_Union[Whiteboard.Status, str]] = ..., createdAt: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WhiteboardField(_message.Message):
    __slots__ = ("name", "scheme")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    name: str
    scheme: _data_scheme_pb2.DataScheme
    def __init__(self, name: _Optional[str] = ..., scheme: _Optional[_Union[_data_scheme_pb2.DataScheme, _Mapping]] = ...) -> None: ...

class Storage(_message.Message):
    __slots__ = ("name", "description", "uri")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    uri: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., uri: _Optional[str] = ...) -> None: ...

class TimeBounds(_message.Message):
    __slots__ = ("from_", "to")
    FROM__FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    from_: _timestamp_pb2.Timestamp
    to: _timestamp_pb2.Timestamp
    def __init__(self, from_: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
