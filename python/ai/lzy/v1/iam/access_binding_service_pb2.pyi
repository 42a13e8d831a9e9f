from ai.lzy.v1.iam import iam_pb2 as _iam_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListAccessBindingsRequest(_message.Message):
    __slots__ = ("resource",)
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    resource: _iam_pb2.Resource
    def __init__(self, resource: _Optional[_Union[_iam_pb2.Resource, _Mapping]] = ...) -> None: ...

class ListAccessBindingsResponse(_message.Message):
    __slots__ = ("bindings",)
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    bindings: _containers.RepeatedCompositeFieldContainer[_iam_pb2.AccessBinding]
    def __init__(self, bindings: _Optional[_Iterable[_Union[_iam_pb2.AccessBinding, _Mapping]]] = ...) -> None: ...

class SetAccessBindingsRequest(_message.Message):
    __slots__ = ("resource", "bindings")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    BINDINGS_FIELD_NUMBER: _ClassVar[int]
    resource: _iam_pb2.Resource
    bindings: _containers.RepeatedCompositeFieldContainer[_iam_pb2.AccessBinding]
    def __init__(self, resource: _Optional[_Union[_iam_pb2.Resource, _Mapping]] = ..., bindings: _Optional[_Iterable[_Union[_iam_pb2.AccessBinding, _Mapping]]] = ...) -> None: ...

class SetAccessBindingsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateAccessBindingsRequest(_message.Message):
    __slots__ = ("resource", "deltas")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    DELTAS_FIELD_NUMBER: _ClassVar[int]
    resource: _iam_pb2.Resource
    deltas: _containers.RepeatedCompositeFieldContainer[_iam_pb2.AccessBindingDelta]
    def __init__(self, resource: _Optional[_Union[_iam_pb2.Resource, _Mapping]] = ..., deltas: _Optional[_Iterable[_Union[_iam_pb2.AccessBindingDelta, _Mapping]]] = ...) -> None: ...

class UpdateAccessBindingsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
