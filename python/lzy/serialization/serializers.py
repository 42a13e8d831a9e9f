"""The serializers of serialzy 0.0.15 that pylzy 1.0.1 used by default, same formats and schemas."""

from __future__ import annotations

import base64
import importlib
import json
import shutil
from abc import ABC, abstractmethod
from typing import Any, BinaryIO

from lzy.serialization.format import SERIALZY_VERSION, Schema, read_schema, write_schema
from lzy.types import File

PRIMITIVES: tuple[type, ...] = (int, float, str, bool, type(None))


class Serializer(ABC):
    """Writes/reads one value with the serialzy envelope."""

    @abstractmethod
    def supports(self, typ: type) -> bool: ...

    @abstractmethod
    def data_format(self) -> str: ...

    @abstractmethod
    def schema(self, typ: type) -> Schema: ...

    @abstractmethod
    def resolve(self, schema: Schema) -> type: ...

    @abstractmethod
    def _write(self, obj: Any, dest: BinaryIO) -> None: ...

    @abstractmethod
    def _read(self, source: BinaryIO, typ: type) -> Any: ...

    def stable(self) -> bool:
        """True if the bytes do not depend on Python/library versions (whiteboard-safe)."""
        return True

    def available(self) -> bool:
        return True

    def serialize(self, obj: Any, dest: BinaryIO, typ: type | None = None) -> None:
        write_schema(self.schema(typ if typ is not None else type(obj)), dest)
        self._write(obj, dest)

    def deserialize(self, source: BinaryIO) -> Any:
        schema = read_schema(source)
        return self._read(source, self.resolve(schema))


class PrimitiveSerializer(Serializer):
    """`primitive_type`: int, float, str, bool, None as their `str()` in UTF-8."""

    def supports(self, typ: type) -> bool:
        return typ in PRIMITIVES

    def data_format(self) -> str:
        return "primitive_type"

    def schema(self, typ: type) -> Schema:
        return Schema(
            "primitive_type",
            "serialzy_python_type_reference",
            json.dumps({"module": typ.__module__, "name": typ.__name__}),
            {"serialzy": SERIALZY_VERSION},
        )

    def resolve(self, schema: Schema) -> type:
        info = json.loads(schema.schema_content)
        if info["module"] == "builtins" and info["name"] == "NoneType":
            return type(None)
        typ = getattr(importlib.import_module(info["module"]), info["name"])
        if not isinstance(typ, type):
            raise TypeError(f"{info} is not a type")
        return typ

    def _write(self, obj: Any, dest: BinaryIO) -> None:
        dest.write(str(obj).encode("utf-8"))

    def _read(self, source: BinaryIO, typ: type) -> Any:
        text = source.read().decode("utf-8")
        if typ is type(None):
            return None
        if typ is bool:
            return text == "True"
        return typ(text)


class PickleSerializer(Serializer):
    """`pickle` / `pickled_type`: anything cloudpickle can handle, streamed (no in-memory copy)."""

    def supports(self, typ: type) -> bool:
        return True

    def data_format(self) -> str:
        return "pickle"

    def stable(self) -> bool:
        return False

    def schema(self, typ: type) -> Schema:
        import cloudpickle

        return Schema(
            "pickle",
            "pickled_type",
            base64.b64encode(cloudpickle.dumps(typ)).decode("ascii"),
            {"cloudpickle": cloudpickle.__version__},
        )

    def resolve(self, schema: Schema) -> type:
        import cloudpickle

        typ: type = cloudpickle.loads(base64.b64decode(schema.schema_content.encode("ascii")))
        return typ

    def _write(self, obj: Any, dest: BinaryIO) -> None:
        import cloudpickle

        cloudpickle.dump(obj, dest, protocol=5)

    def _read(self, source: BinaryIO, typ: type) -> Any:
        import cloudpickle

        return cloudpickle.load(source)


class FileSerializer(Serializer):
    """`raw_file`: `lzy.types.File` as its raw bytes; read back into a fresh temporary file."""

    def supports(self, typ: type) -> bool:
        return typ is File

    def data_format(self) -> str:
        return "raw_file"

    def schema(self, typ: type) -> Schema:
        return Schema("raw_file", "no_schema", "", {"lzy": "1.0.1"})

    def resolve(self, schema: Schema) -> type:
        return File

    def _write(self, obj: Any, dest: BinaryIO) -> None:
        with open(obj.path, "rb") as src:
            shutil.copyfileobj(src, dest, 1024 * 1024)

    def _read(self, source: BinaryIO, typ: type) -> Any:
        import tempfile

        with tempfile.NamedTemporaryFile(delete=False, prefix="lzy-file-") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        return File(out.name)


def data_scheme_metadata(schema: Schema) -> dict[str, str]:
    return dict(schema.meta)
