from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnvSpec(_message.Message):
    __slots__ = ("baseEnv", "auxEnv")
    BASEENV_FIELD_NUMBER: _ClassVar[int]
    AUXENV_FIELD_NUMBER: _ClassVar[int]
    baseEnv: BaseEnv
    auxEnv: AuxEnv
    def __init__(self, baseEnv: _Optional[_Union[BaseEnv, _Mapping]] = ..., auxEnv: _Optional[_Union[AuxEnv, _Mapping]] = ...) -> None: ...

class BaseEnv(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class AuxEnv(_message.Message):
    __slots__ = ("pyenv",)
    PYENV_FIELD_NUMBER: _ClassVar[int]
    pyenv: PythonEnv
    def __init__(self, pyenv: _Optional[_Union[PythonEnv, _Mapping]] = ...) -> None: ...

class PythonEnv(_message.Message):
    __slots__ = ("name", "yaml", "localModules")
    NAME_FIELD_NUMBER: _ClassVar[int]
    YAML_FIELD_NUMBER: _ClassVar[int]
    LOCALMODULES_FIELD_NUMBER: _ClassVar[int]
    name: str
    yaml: str
    localModules: _containers.RepeatedCompositeFieldContainer[LocalModule]
    def __init__(self, name: _Optional[str] = ..., yaml: _Optional[str] = ..., localModules: _Optional[_Iterable[_Union[LocalModule, _Mapping]]] = ...) -> None: ...

class LocalModule(_message.Message):
    __slots__ = ("name", "uri")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    name: str
    uri: str
    def __init__(self, name: _Optional[str] = ..., uri: _Optional[str] = ...) -> None: ...

class Provisioning(_message.Message):
    __slots__ = ("tags",)
    class Tag(_message.Message):
        __slots__ = ("tag",)
        TAG_FIELD_NUMBER: _ClassVar[int]
        tag: str
        def __init__(self, tag: _Optional[str] = ...) -> None: ...
    TAGS_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedCompositeFieldContainer[Provisioning.Tag]
    def __init__(self, tags: _Optional[_Iterable[_Union[Provisioning.Tag, _Mapping]]] = ...) -> None: ...
