from ai.lzy.v1.iam import iam_pb2 as _iam_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorizeRequest(_message.Message):
    __slots__ = ("subject", "permission", "resource")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    subject: _iam_pb2.Subject
    permission: str
    resource: _iam_pb2.Resource
    def __init__(self, subject: _Optional[_Union[_iam_pb2.Subject, _Mapping]] = ..., permission: _Optional[str] = ..., resource: _Optional[_Union[_iam_pb2.Resource, _Mapping]] = ...) -> None: ...
