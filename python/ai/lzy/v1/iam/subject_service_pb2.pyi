from ai.lzy.v1.iam import iam_pb2 as _iam_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateSubjectRequest(_message.Message):
    __slots__ = ("auth_provider", "provider_subject_id", "type", "credentials")
    AUTH_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    auth_provider: _iam_pb2.AuthProvider
    provider_subject_id: str
    type: str
    credentials: _containers.RepeatedCompositeFieldContainer[_iam_pb2.Credentials]
    def __init__(self, auth_provider: _Optional[_Union[_iam_pb2.AuthProvider, str]] = ..., provider_subject_id: _Optional[str] = ..., type: _Optional[str] = ..., credentials: _Optional[_Iterable[_Union[_iam_pb2.Credentials, _Mapping]]] = ...) -> None: ...

class RemoveSubjectRequest(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: _iam_pb2.Subject
    def __init__(self, subject: _Optional[_Union[_iam_pb2.Subject, _Mapping]] = ...) -> None: ...

class RemoveSubjectResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetSubjectRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class AddCredentialsRequest(_message.Message):
    __slots__ = ("subject", "credentials")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    subject: _iam_pb2.Subject
    credentials: _iam_pb2.Credentials
    def __init__(self, subject: _Optional[_Union[_iam_pb2.Subject, _Mapping]] = ..., credentials: _Optional[_Union[_iam_pb2.Credentials, _Mapping]] = ...) -> None: ...

class AddCredentialsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RemoveCredentialsRequest(_message.Message):
    __slots__ = ("subject", "credentials_name")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_NAME_FIELD_NUMBER: _ClassVar[int]
    subject: _iam_pb2.Subject
    credentials_name: str
    def __init__(self, subject: _Optional[_Union[_iam_pb2.Subject, _Mapping]] = ..., credentials_name: _Optional[str] = ...) -> None: ...

class RemoveCredentialsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCredentialsRequest(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: _iam_pb2.Subject
    def __init__(self, subject: _Optional[_Union[_iam_pb2.Subject, _Mapping]] = ...) -> None: ...

class ListCredentialsResponse(_message.Message):
    __slots__ = ("credentialsList",)
    CREDENTIALSLIST_FIELD_NUMBER: _ClassVar[int]
    credentialsList: _containers.RepeatedCompositeFieldContainer[_iam_pb2.Credentials]
    def __init__(self, credentialsList: _Optional[_Iterable[_Union[_iam_pb2.Credentials, _Mapping]]] = ...) -> None: ...

class FindSubjectRequest(_message.Message):
    __slots__ = ("provider_user_id", "auth_provider", "subject_type")
    PROVIDER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    AUTH_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    provider_user_id: str
    auth_provider: str
    subject_type: str
    def __init__(self, provider_user_id: _Optional[str] = ..., auth_provider: _Optional[str] = ..., subject_type: _Optional[str] = ...) -> None: ...

class FindSubjectResponse(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: _iam_pb2.Subject
    def __init__(self, subject: _Optional[_Union[_iam_pb2.Subject, _Mapping]] = ...) -> None: ...
