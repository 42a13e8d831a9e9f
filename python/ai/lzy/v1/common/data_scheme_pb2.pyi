from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DataScheme(_message.Message):
    __slots__ = ("dataFormat", "schemeFormat", "schemeContent", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DATAFORMAT_FIELD_NUMBER: _ClassVar[int]
    SCHEMEFORMAT_FIELD_NUMBER: _ClassVar[int]
    SCHEMECONTENT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    dataFormat: str
    schemeFormat: str
    schemeContent: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, dataFormat: _Optional[str] = ..., schemeFormat: _Optional[str] = ..., schemeContent: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...
