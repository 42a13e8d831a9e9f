"""serialzy-compatible data format (python-client-protocol.md §3.4)."""

from lzy.serialization.format import HEADER, Schema, read_schema, write_schema
from lzy.serialization.registry import LzySerializerRegistry, Serializer

__all__ = ["HEADER", "LzySerializerRegistry", "Schema", "Serializer", "read_schema", "write_schema"]
