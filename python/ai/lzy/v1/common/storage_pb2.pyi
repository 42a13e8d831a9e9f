from ai.lzy.v1.validation import validation_pb2 as _validation_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class S3Credentials(_message.Message):
    __slots__ = ("endpoint", "accessToken", "secretToken")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ACCESSTOKEN_FIELD_NUMBER: _ClassVar[int]
    SECRETTOKEN_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    accessToken: str
    secretToken: str
    def __init__(self, endpoint: _Optional[str] = ..., accessToken: _Optional[str] = ..., secretToken: _Optional[str] = ...) -> None: ...

class AzureBlobStorageCredentials(_message.Message):
    __slots__ = ("connectionString",)
    CONNECTIONSTRING_FIELD_NUMBER: _ClassVar[int]
    connectionString: str
    def __init__(self, connectionString: _Optional[str] = ...) -> None: ...

class StorageConfig(_message.Message):
    __slots__ = ("uri", "s3", "azure")
    URI_FIELD_NUMBER: _ClassVar[int]
    S3_FIELD_NUMBER: _ClassVar[int]
    AZURE_FIELD_NUMBER: _ClassVar[int]
    uri: str
    s3: S3Credentials
    azure: AzureBlobStorageCredentials
    def __init__(self, uri: _Optional[str] = ..., s3: _Optional[_Union[S3Credentials, _Mapping]] = ..., azure: _Optional[_Union[AzureBlobStorageCredentials, _Mapping]] = ...) -> None: ...
