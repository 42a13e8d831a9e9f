from ai.lzy.v1.common import data_scheme_pb2 as _data_scheme_pb2
from ai.lzy.v1.validation import validation_pb2 as _validation_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Operation(_message.Message):
    __slots__ = ("name", "description", "command", "inputSlots", "outputSlots", "dockerImage", "python", "poolSpecName", "lzyTsRequirements")
    class SlotDescription(_message.Message):
        __slots__ = ("path", "storageUri")
        PATH_FIELD_NUMBER: _ClassVar[int]
        STORAGEURI_FIELD_NUMBER: _ClassVar[int]
        path: str
        storageUri: str
        def __init__(self, path: _Optional[str] = ..., storageUri: _Optional[str] = ...) -> None: ...
    class PythonEnvSpec(_message.Message):
        __slots__ = ("yaml", "localModules")
        class LocalModule(_message.Message):
            __slots__ = ("name", "url")
            NAME_FIELD_NUMBER: _ClassVar[int]
            URL_FIELD_NUMBER: _ClassVar[int]
            name: str
            url: str
            def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...
        YAML_FIELD_NUMBER: _ClassVar[int]
        LOCALMODULES_FIELD_NUMBER: _ClassVar[int]
        yaml: str
        localModules: _containers.RepeatedCompositeFieldContainer[Operation.PythonEnvSpec.LocalModule]
        def __init__(self, yaml: _Optional[str] = ..., localModules: _Optional[_Iterable[_Union[Operation.PythonEnvSpec.LocalModule, _Mapping]]] = ...) -> None: ...
    class Requirements(_message.Message):
        __slots__ = ("cpuCount", "ramGb", "gpuCount", "maxAttempts", "retryOnFailure")
        CPUCOUNT_FIELD_NUMBER: _ClassVar[int]
        RAMGB_FIELD_NUMBER: _ClassVar[int]
        GPUCOUNT_FIELD_NUMBER: _ClassVar[int]
        MAXATTEMPTS_FIELD_NUMBER: _ClassVar[int]
        RETRYONFAILURE_FIELD_NUMBER: _ClassVar[int]
        cpuCount: float
        ramGb: float
        gpuCount: int
        maxAttempts: int
        retryOnFailure: bool
        def __init__(self, cpuCount: _Optional[float] = ..., ramGb: _Optional[float] = ..., gpuCount: _Optional[int] = ..., maxAttempts: _Optional[int] = ..., retryOnFailure: _Optional[bool] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    INPUTSLOTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTSLOTS_FIELD_NUMBER: _ClassVar[int]
    DOCKERIMAGE_FIELD_NUMBER: _ClassVar[int]
    PYTHON_FIELD_NUMBER: _ClassVar[int]
    POOLSPECNAME_FIELD_NUMBER: _ClassVar[int]
    LZYTSREQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    command: str
    inputSlots: _containers.RepeatedCompositeFieldContainer[Operation.SlotDescription]
    outputSlots: _containers.RepeatedCompositeFieldContainer[Operation.SlotDescription]
    dockerImage: str
    python: Operation.PythonEnvSpec
    poolSpecName: str
    lzyTsRequirements: Operation.Requirements
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., command: _Optional[str] = ..., inputSlots: _Optional[_Iterable[_Union[Operation.SlotDescription, _Mapping]]] = ..., outputSlots: _Optional[_Iterable[_Union[Operation.SlotDescription, _Mapping]]] = ..., dockerImage: _Optional[str] = ..., python: _Optional[_Union[Operation.PythonEnvSpec, _Mapping]] = ..., poolSpecName: _Optional[str] = ..., lzyTsRequirements: _Optional[_Union[Operation.Requirements, _Mapping]] = ...) -> None: ...

class DataDescription(_message.Message):
    __slots__ = ("storageUri", "dataScheme")
    STORAGEURI_FIELD_NUMBER: _ClassVar[int]
    DATASCHEME_FIELD_NUMBER: _ClassVar[int]
    storageUri: str
    dataScheme: _data_scheme_pb2.DataScheme
    def __init__(self, storageUri: _Optional[str] = ..., dataScheme: _Optional[_Union[_data_scheme_pb2.DataScheme, _Mapping]] = ...) -> None: ...

class Graph(_message.Message):
    __slots__ = ("name", "parentGraphId", "operations", "dataDescriptions", "zone")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENTGRAPHID_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    DATADESCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    name: str
    parentGraphId: str
    operations: _containers.RepeatedCompositeFieldContainer[Operation]
    dataDescriptions: _containers.RepeatedCompositeFieldContainer[DataDescription]
    zone: str
    def __init__(self, name: _Optional[str] = ..., parentGraphId: _Optional[str] = ..., operations: _Optional[_Iterable[_Union[Operation, _Mapping]]] = ..., dataDescriptions: _Optional[_Iterable[_Union[DataDescription, _Mapping]]] = ..., zone: _Optional[str] = ...) -> None: ...

class VmPoolSpec(_message.Message):
    __slots__ = ("poolSpecName", "cpuType", "cpuCount", "gpuType", "gpuCount", "ramGb", "zones")
    POOLSPECNAME_FIELD_NUMBER: _ClassVar[int]
    CPUTYPE_FIELD_NUMBER: _ClassVar[int]
    CPUCOUNT_FIELD_NUMBER: _ClassVar[int]
    GPUTYPE_FIELD_NUMBER: _ClassVar[int]
    GPUCOUNT_FIELD_NUMBER: _ClassVar[int]
    RAMGB_FIELD_NUMBER: _ClassVar[int]
    ZONES_FIELD_NUMBER: _ClassVar[int]
    poolSpecName: str
    cpuType: str
    cpuCount: int
    gpuType: str
    gpuCount: int
    ramGb: int
    zones: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, poolSpecName: _Optional[str] = ..., cpuType: _Optional[str] = ..., cpuCount: _Optional[int] = ..., gpuType: _Optional[str] = ..., gpuCount: _Optional[int] = ..., ramGb: _Optional[int] = ..., zones: _Optional[_Iterable[str]] = ...) -> None: ...

class WhiteboardField(_message.Message):
    __slots__ = ("name", "default")
    class DefaultFieldDesc(_message.Message):
        __slots__ = ("uri", "dataScheme")
        URI_FIELD_NUMBER: _ClassVar[int]
        DATASCHEME_FIELD_NUMBER: _ClassVar[int]
        uri: str
        dataScheme: _data_scheme_pb2.DataScheme
        def __init__(self, uri: _Optional[str] = ..., dataScheme: _Optional[_Union[_data_scheme_pb2.DataScheme, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    default: WhiteboardField.DefaultFieldDesc
    def __init__(self, name: _Optional[str] = ..., default: _Optional[_Union[WhiteboardField.DefaultFieldDesc, _Mapping]] = ...) -> None: ...
