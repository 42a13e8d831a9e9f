"""Finds a serializer by type or by data format; user serializers take priority."""

from __future__ import annotations

from typing import Any, BinaryIO

from lzy.serialization.format import Schema, read_schema
from lzy.serialization.serializers import (
    FileSerializer,
    PickleSerializer,
    PrimitiveSerializer,
    Serializer,
)

__all__ = ["LzySerializerRegistry", "Serializer"]


class LzySerializerRegistry:
    """Ordered by priority (0 = first). Pickle is the fallback for every type."""

    def __init__(self) -> None:
        self._serializers: list[tuple[int, Serializer]] = []
        self.register_serializer(PrimitiveSerializer(), 10)
        self.register_serializer(FileSerializer(), 10)
        self._fallback = PickleSerializer()

    def register_serializer(self, serializer: Serializer, priority: int | None = None) -> None:
        self._serializers.append((0 if priority is None else priority, serializer))
        self._serializers.sort(key=lambda item: item[0])

    def unregister_serializer(self, serializer: Serializer) -> None:
        self._serializers = [(p, s) for p, s in self._serializers if s is not serializer]

    def find_serializer_by_type(self, typ: type | None) -> Serializer:
        if typ is not None:
            for _, serializer in self._serializers:
                if serializer.supports(typ) and serializer.available():
                    return serializer
        return self._fallback

    def find_serializer_by_instance(self, obj: Any) -> Serializer:
        return self.find_serializer_by_type(type(obj))

    def find_serializer_by_data_format(self, data_format: str) -> Serializer | None:
        for _, serializer in [*self._serializers, (99, self._fallback)]:
            if serializer.data_format() == data_format:
                return serializer
        return None

    def schema_for(self, typ: type | None) -> Schema:
        return self.find_serializer_by_type(typ).schema(typ if typ is not None else object)

    def write(self, obj: Any, dest: BinaryIO, typ: type | None = None) -> Schema:
        """Serializes `obj` with the serializer of its own type; returns the schema written."""
        actual = type(obj)
        serializer = self.find_serializer_by_type(actual)
        schema = serializer.schema(actual)
        serializer.serialize(obj, dest, actual)
        return schema

    def read(self, source: BinaryIO) -> Any:
        """Reads any value written by `write` (or by serialzy), resolving the type from the header."""
        start = source.tell()
        schema = read_schema(source)
        serializer = self.find_serializer_by_data_format(schema.data_format)
        if serializer is None:
            raise TypeError(f"No serializer for data format {schema.data_format!r}")
        source.seek(start)
        return serializer.deserialize(source)
