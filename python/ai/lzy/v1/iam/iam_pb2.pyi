import datetime

from ai.lzy.v1.validation import validation_pb2 as _validation_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AccessBindingAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCESS_BINDING_ACTION_UNSPECIFIED: _ClassVar[AccessBindingAction]
    ADD: _ClassVar[AccessBindingAction]
    REMOVE: _ClassVar[AccessBindingAction]

class AuthProvider(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTH_PROVIDER_UNSPECIFIED: _ClassVar[AuthProvider]
    INTERNAL: _ClassVar[AuthProvider]
    GITHUB: _ClassVar[AuthProvider]
ACCESS_BINDING_ACTION_UNSPECIFIED: AccessBindingAction
ADD: AccessBindingAction
REMOVE: AccessBindingAction
AUTH_PROVIDER_UNSPECIFIED: AuthProvider
INTERNAL: AuthProvider
GITHUB: AuthProvider

class Resource(_message.Message):
    __slots__ = ("id", "type")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class Subject(_message.Message):
    __slots__ = ("id", "type")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class Credentials(_message.Message):
    __slots__ = ("name", "credentials", "type", "expired_at")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CREDENTIALS_TYPE_UNSPECIFIED: _ClassVar[Credentials.Type]
        PUBLIC_KEY: _ClassVar[Credentials.Type]
        OTT: _ClassVar[Credentials.Type]
        COOKIE: _ClassVar[Credentials.Type]
    CREDENTIALS_TYPE_UNSPECIFIED: Credentials.Type
    PUBLIC_KEY: Credentials.Type
    OTT: Credentials.Type
    COOKIE: Credentials.Type
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    credentials: str
    type: Credentials.Type
    expired_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., credentials: _Optional[str] = ..., type: _Optional[_Union[Credentials.Type, str]] = ..., expired_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AccessBinding(_message.Message):
    __slots__ = ("role", "subject")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    role: str
    subject: Subject
    def __init__(self, role: _Optional[str] = ..., subject: _Optional[_Union[Subject, _Mapping]] = ...) -> None: ...

class AccessBindingDelta(_message.Message):
    __slots__ = ("binding", "action")
    BINDING_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    binding: AccessBinding
    action: AccessBindingAction
    def __init__(self, binding: _Optional[_Union[AccessBinding, _Mapping]] = ..., action: _Optional[_Union[AccessBindingAction, str]] = ...) -> None: ...
