"""Whiteboards: `@whiteboard("name")` dataclasses, written in a workflow, read by id or query (§7)."""

from __future__ import annotations

import dataclasses
import datetime
import re
import typing
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lzy.proxy import is_materialized, is_proxy, preloaded, proxy_tag
from lzy.storage.uri import join_uri

if TYPE_CHECKING:
    from ai.lzy.v1.whiteboard.whiteboard_pb2 import Whiteboard
    from lzy.api.v1.lzy import Lzy
    from lzy.api.v1.workflow import LzyWorkflow

T = TypeVar("T")
WB_NAME_ATTR = "__lzy_wb_name__"
WB_NAMESPACE_ATTR = "__lzy_wb_namespace__"
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING_WHITEBOARD_FIELD"


MISSING_WHITEBOARD_FIELD: Any = _Missing()


def whiteboard(name: str, *, namespace: str = "default") -> Callable[[type[T]], type[T]]:
    """Declares a dataclass as a whiteboard type (apply together with `@dataclass`)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise TypeError(f"Invalid whiteboard name {name!r}: letters, digits, '-' and '_' only")

    def wrap(cls: type[T]) -> type[T]:
        setattr(cls, WB_NAME_ATTR, name)
        setattr(cls, WB_NAMESPACE_ATTR, namespace)
        return cls

    return wrap


def is_whiteboard(typ: Any) -> bool:
    return hasattr(typ, WB_NAME_ATTR) and dataclasses.is_dataclass(typ)


def _field_types(typ: type) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(typ)
    except Exception:
        hints = {}
    return {f.name: hints.get(f.name, f.type) for f in dataclasses.fields(typ)}


def _as_type(annotation: Any) -> type | None:
    if isinstance(annotation, type):
        return annotation
    origin = typing.get_origin(annotation)
    return origin if isinstance(origin, type) else None


def write_meta(storage: Any, wb: Whiteboard) -> None:
    from google.protobuf import json_format

    storage.put_bytes(join_uri(wb.storage.uri, ".whiteboard"), json_format.MessageToJson(wb).encode("utf-8"))


def read_meta(storage: Any, uri: str) -> Whiteboard:
    from google.protobuf import json_format

    from ai.lzy.v1.whiteboard.whiteboard_pb2 import Whiteboard

    meta = Whiteboard()
    json_format.Parse(storage.get_bytes(join_uri(uri, ".whiteboard")).decode("utf-8"), meta)
    return meta


class WritableWhiteboard:
    """Write-once fields: each may be assigned one value, a result (even not yet computed) or a plain one."""

    _wf: LzyWorkflow
    _meta: Whiteboard
    _fields: dict[str, Any]
    _values: dict[str, Any]
    _assigned: set[str]

    def __init__(self, wf: LzyWorkflow, meta: Whiteboard, fields: dict[str, Any], values: dict[str, Any]):
        object.__setattr__(self, "_wf", wf)
        object.__setattr__(self, "_meta", meta)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_assigned", set())

    @staticmethod
    def create(wf: LzyWorkflow, typ: type, tags: list[str]) -> WritableWhiteboard:
        from ai.lzy.v1.common.data_scheme_pb2 import DataScheme
        from ai.lzy.v1.whiteboard.whiteboard_pb2 import Storage, Whiteboard, WhiteboardField

        if not is_whiteboard(typ):
            raise TypeError(f"{typ} is not a whiteboard: decorate a dataclass with @whiteboard(name)")
        registry = wf.owner.storage_registry
        storage_name = registry.default_storage_name()
        base = registry.default_config()
        storage = registry.default_client()
        assert storage_name is not None and base is not None and storage is not None
        name = getattr(typ, WB_NAME_ATTR)
        wb_id = str(uuid.uuid4())
        uri = join_uri(base.uri, "whiteboards", name, wb_id)
        serializers = wf.owner.serializer_registry
        types = _field_types(typ)
        fields: list[WhiteboardField] = []
        values: dict[str, Any] = {}
        for f in dataclasses.fields(typ):
            default = f.default
            if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            field_type = _as_type(types[f.name])
            if default is not dataclasses.MISSING:
                field_type = field_type or type(default)
                _put_value(wf, storage, join_uri(uri, f"{f.name}.default"), default)
                values[f.name] = default
            schema = serializers.schema_for(field_type)
            fields.append(
                WhiteboardField(
                    name=f.name,
                    scheme=DataScheme(
                        dataFormat=schema.data_format,
                        schemeFormat=schema.schema_format,
                        schemeContent=schema.schema_content,
                        metadata=schema.meta,
                    ),
                )
            )
        meta = Whiteboard(
            id=wb_id,
            name=name,
            tags=tags,
            fields=fields,
            storage=Storage(name=storage_name, uri=uri),
            namespace=getattr(typ, WB_NAMESPACE_ATTR),
            status=Whiteboard.CREATED,
        )
        meta.createdAt.FromDatetime(datetime.datetime.now())
        write_meta(storage, meta)
        wf.owner.whiteboard_client().register(meta)
        return WritableWhiteboard(wf, meta, {f.name: f for f in dataclasses.fields(typ)}, values)

    def __setattr__(self, key: str, value: Any) -> None:
        if key not in self._fields:
            raise AttributeError(f"No such whiteboard field: {key}")
        if key in self._assigned:
            raise AttributeError("Whiteboard field can be assigned only once")
        target = join_uri(self._meta.storage.uri, key)
        storage = self._wf.owner.storage_registry.default_client()
        assert storage is not None
        entry = proxy_tag(value) if is_proxy(value) else None
        if entry is not None and not entry.stored and not is_materialized(value):
            entry.uri = target  # the op writes straight to the whiteboard (§7.3)
        elif entry is not None and entry.stored:
            storage.copy(entry.uri, target)
        else:
            _put_value(self._wf, storage, target, value)
            value = preloaded(value)
        self._values[key] = value
        self._assigned.add(key)

    def __getattr__(self, item: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if item not in values:
            raise AttributeError(f"Whiteboard has no value in field {item}")
        return values[item]

    @property
    def id(self) -> str:
        return str(self._meta.id)

    @property
    def name(self) -> str:
        return str(self._meta.name)

    @property
    def tags(self) -> list[str]:
        return list(self._meta.tags)

    @property
    def storage_uri(self) -> str:
        return str(self._meta.storage.uri)

    def finalize(self) -> None:
        from ai.lzy.v1.whiteboard.whiteboard_pb2 import Whiteboard

        storage = self._wf.owner.storage_registry.default_client()
        assert storage is not None
        meta = read_meta(storage, self._meta.storage.uri)
        meta.status = Whiteboard.FINALIZED
        write_meta(storage, meta)
        storage.put_bytes(join_uri(self._meta.storage.uri, ".finalized"), b"")
        self._wf.owner.whiteboard_client().update(Whiteboard(id=self._meta.id, status=Whiteboard.FINALIZED))


def _put_value(wf: LzyWorkflow, storage: Any, uri: str, value: Any) -> None:
    import tempfile

    with tempfile.TemporaryFile(prefix="lzy-") as f:
        wf.owner.serializer_registry.write(value, f)
        f.seek(0)
        storage.upload(uri, f)


class ReadOnlyWhiteboard:
    """A stored whiteboard; field values are read on first access from `<uri>/<field>`."""

    def __init__(self, owner: Lzy, meta: Whiteboard) -> None:
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_meta", meta)
        object.__setattr__(self, "_cache", {})

    def __getattr__(self, item: str) -> Any:
        meta = object.__getattribute__(self, "_meta")
        cache = object.__getattribute__(self, "_cache")
        if item not in [f.name for f in meta.fields]:
            raise AttributeError(f"Whiteboard field {item} not found")
        if item not in cache:
            cache[item] = self._read(item)
        return cache[item]

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("A stored whiteboard is read-only")

    def _read(self, field: str) -> Any:
        import tempfile

        owner = object.__getattribute__(self, "_owner")
        meta = object.__getattribute__(self, "_meta")
        storage = owner.storage_registry.client(meta.storage.name)
        if storage is None:
            raise RuntimeError(f"Storage {meta.storage.name} not found in your registry")
        for uri in (join_uri(meta.storage.uri, field), join_uri(meta.storage.uri, f"{field}.default")):
            if storage.exists(uri):
                with tempfile.TemporaryFile(prefix="lzy-") as f:
                    storage.download(uri, f)
                    f.seek(0)
                    return owner.serializer_registry.read(f)
        return MISSING_WHITEBOARD_FIELD

    @property
    def id(self) -> str:
        return str(self._meta.id)

    @property
    def name(self) -> str:
        return str(self._meta.name)

    @property
    def tags(self) -> list[str]:
        return list(self._meta.tags)

    @property
    def status(self) -> str:
        from ai.lzy.v1.whiteboard.whiteboard_pb2 import Whiteboard

        return str(Whiteboard.Status.Name(self._meta.status))

    @property
    def created_at(self) -> datetime.datetime:
        return typing.cast(datetime.datetime, self._meta.createdAt.ToDatetime())

    @property
    def storage_uri(self) -> str:
        return str(self._meta.storage.uri)

    @property
    def fields(self) -> list[str]:
        return [f.name for f in self._meta.fields]

    def __repr__(self) -> str:
        return f"ReadOnlyWhiteboard(id={self.id!r}, name={self.name!r}, tags={self.tags!r}, status={self.status})"
